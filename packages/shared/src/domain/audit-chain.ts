import crypto from 'node:crypto';

/**
 * The audit log's chain: each event's hash covers its content and the previous event's hash, so
 * editing or deleting a row breaks the chain. The first event links to GENESIS.
 */
export const AUDIT_GENESIS = '0'.repeat(64);

function canonical(v: unknown): string {
  // what is hashed must be what JSON stores and reads back: a Date is stored as its ISO text
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

export function auditHash(prev: string, e: { at: string; actor: string; action: string; object: string | null; details: unknown }): string {
  return crypto
    .createHash('sha256')
    .update(`${prev}\n${e.at}\n${e.actor}\n${e.action}\n${e.object ?? ''}\n${canonical(e.details)}`)
    .digest('hex');
}
