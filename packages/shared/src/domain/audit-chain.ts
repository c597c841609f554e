import crypto from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The audit log's chain (docs/audit.md). Each event's hash covers its content and the previous
 * event's hash, so editing, inserting or deleting a row breaks the chain; the first event links to
 * GENESIS.
 *
 * Two schemes, named per event in `audit_events.alg` (0026):
 * - `hmac-sha256-v2` (every new event): HMAC-SHA256, keyed with AUDIT_KEY, over the RFC 8785
 *   canonical JSON of {v, id, prev, at, actor, action, object, details}. Without the key nobody can
 *   write an event, or recompute a chain, that verifies.
 * - `sha256-v1` (events written before 0026): plain SHA-256 over a line-joined text; verifiable
 *   by anyone, so also forgeable by anyone: `verifyAudit` counts them and refuses one that follows a
 *   keyed event.
 */
export const AUDIT_GENESIS = '0'.repeat(64);
export const AUDIT_ALG_KEYED = 'hmac-sha256-v2';
export const AUDIT_ALG_LEGACY = 'sha256-v1';
export type AuditAlg = typeof AUDIT_ALG_KEYED | typeof AUDIT_ALG_LEGACY;

export interface AuditContent {
  at: string;
  actor: string;
  action: string;
  object: string | null;
  details: unknown;
}

/**
 * What is stored is what is hashed: details go through JSON once (a Date becomes its ISO text, an
 * undefined field disappears), so the stored jsonb and the hashed value cannot differ.
 */
export function normaliseDetails(details: unknown): Record<string, unknown> {
  const v = JSON.parse(JSON.stringify(details ?? {})) as unknown;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError('audit details must be a JSON object');
  return v as Record<string, unknown>;
}

/** The keyed MAC of one event (hex). `key` is AUDIT_KEY's bytes. */
export function auditMac(key: Buffer, id: number, prev: string, e: AuditContent): string {
  const text = canonicalize({ v: 2, id, prev, at: e.at, actor: e.actor, action: e.action, object: e.object ?? null, details: e.details });
  return crypto.createHmac('sha256', key).update(text!).digest('hex');
}

/** The scheme before 0026: kept only to verify the events it wrote. */
function legacyCanonical(v: unknown): string {
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(legacyCanonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${legacyCanonical(o[k])}`)
    .join(',')}}`;
}

export function legacyAuditHash(prev: string, e: AuditContent): string {
  return crypto
    .createHash('sha256')
    .update(`${prev}\n${e.at}\n${e.actor}\n${e.action}\n${e.object ?? ''}\n${legacyCanonical(e.details)}`)
    .digest('hex');
}

/** The hash an event of scheme `alg` should carry; undefined for a scheme this version does not know. */
export function expectedAuditHash(alg: string, key: Buffer, id: number, prev: string, e: AuditContent): string | undefined {
  if (alg === AUDIT_ALG_KEYED) return auditMac(key, id, prev, e);
  if (alg === AUDIT_ALG_LEGACY) return legacyAuditHash(prev, e);
  return undefined;
}

/** Checkpoints are signed with a key derived from AUDIT_KEY, so one secret covers both. */
export function checkpointKey(auditKey: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', auditKey, Buffer.alloc(0), 'deliveryline audit checkpoint v1', 32));
}

export interface AuditCheckpoint {
  /** the last event the checkpoint covers (0 and GENESIS for an empty log) */
  lastId: number;
  lastHash: string;
  /** events up to and including lastId */
  count: number;
  /** of those, how many were written by the unkeyed scheme */
  legacy: number;
  at: string;
}

export function signCheckpoint(auditKey: Buffer, c: AuditCheckpoint): string {
  const { lastId, lastHash, count, legacy, at } = c;
  return crypto
    .createHmac('sha256', checkpointKey(auditKey))
    .update(canonicalize({ v: 1, lastId, lastHash, count, legacy, at })!)
    .digest('hex');
}

export function checkpointSignatureOk(auditKey: Buffer, c: AuditCheckpoint, signature: string): boolean {
  const want = Buffer.from(signCheckpoint(auditKey, c), 'hex');
  const got = Buffer.from(typeof signature === 'string' ? signature : '', 'hex');
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}
