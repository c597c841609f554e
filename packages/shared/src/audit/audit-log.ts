import type { Queryable } from '../db/pool';
import { AUDIT_GENESIS, auditHash } from '../domain/audit-chain';

/**
 * The audit log: append-only, each event's hash covers its content and the previous event's
 * hash (domain/audit-chain.ts), so editing or deleting a row breaks the chain (`verifyAudit`,
 * `dline audit verify`).
 * Appends serialise on an advisory lock so the chain has no forks.
 */
export interface AuditEvent {
  actor: string; // 'user:12', 'cli', 'system', 'token:3'
  action: string; // 'list.upload', 'batch.download', 'prefix.add', 'user.signin', …
  object?: string | null; // 'list:4', 'batch:17', …
  details?: Record<string, unknown>;
}

/** Appends one event. Pass a transaction to make the event part of the change it records. */
export async function audit(db: Queryable, e: AuditEvent): Promise<void> {
  const ownTx = 'totalCount' in db; // a Pool: take a client and a transaction of our own
  const client = ownTx ? await (db as import('pg').Pool).connect() : (db as import('pg').PoolClient);
  try {
    if (ownTx) await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(7242002)');
    const prev = (await client.query('SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1')).rows[0]?.hash ?? AUDIT_GENESIS;
    const at = new Date().toISOString();
    const details = e.details ?? {};
    const hash = auditHash(prev, { at, actor: e.actor, action: e.action, object: e.object ?? null, details });
    await client.query(
      `INSERT INTO audit_events (at, actor, action, object, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [at, e.actor, e.action, e.object ?? null, JSON.stringify(details), prev, hash],
    );
    if (ownTx) await client.query('COMMIT');
  } catch (err) {
    if (ownTx) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    if (ownTx) (client as import('pg').PoolClient).release();
  }
}

export interface AuditVerdict {
  ok: boolean;
  events: number;
  /** the first event whose stored hash or link does not match */
  brokenAt?: { id: number; reason: string };
}

/** Recomputes the chain from the first event; an edited, inserted or deleted row shows. */
export async function verifyAudit(db: Queryable): Promise<AuditVerdict> {
  const r = await db.query(
    `SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, action, object, details, prev_hash, hash FROM audit_events ORDER BY id`,
  );
  let prev = AUDIT_GENESIS;
  for (const row of r.rows) {
    if (row.prev_hash !== prev)
      return {
        ok: false,
        events: r.rowCount!,
        brokenAt: { id: Number(row.id), reason: 'the link to the previous event does not match (an event was deleted or inserted)' },
      };
    const h = auditHash(prev, { at: row.at, actor: row.actor, action: row.action, object: row.object, details: row.details });
    if (h !== row.hash)
      return { ok: false, events: r.rowCount!, brokenAt: { id: Number(row.id), reason: 'the event was changed after it was written' } };
    prev = row.hash;
  }
  return { ok: true, events: r.rowCount! };
}
