import type { Queryable } from '../db/pool';
import {
  AUDIT_ALG_KEYED,
  AUDIT_ALG_LEGACY,
  AUDIT_GENESIS,
  auditMac,
  checkpointSignatureOk,
  expectedAuditHash,
  legacyAuditHash,
  normaliseDetails,
  type AuditCheckpoint,
} from '../domain/audit-chain';
import { auditKey } from './audit-key';

/**
 * The audit log: append-only, each event's MAC covers its content, its id and the previous
 * event's hash (domain/audit-chain.ts), so editing, inserting or deleting a row breaks the chain
 * (`verifyAudit`, `dline audit verify`), and signed checkpoints kept outside the database show when
 * the newest events were deleted (docs/audit.md).
 * Appends serialise on an advisory lock so the chain has no forks and ids follow the chain.
 */
export interface AuditEvent {
  actor: string; // 'user:12', 'system', 'token:3', 'bootstrap'
  action: string; // 'list.upload', 'batch.download', 'prefix.add', 'user.signin', …
  object?: string | null; // 'list:4', 'batch:17', …
  details?: Record<string, unknown>;
}

export const AUDIT_LOCK = 7242002;

/** Appends one event. Pass a transaction to make the event part of the change it records. */
export async function audit(db: Queryable, e: AuditEvent, key: Buffer = auditKey()): Promise<void> {
  const ownTx = 'totalCount' in db; // a Pool: take a client and a transaction of our own
  const client = ownTx ? await (db as import('pg').Pool).connect() : (db as import('pg').PoolClient);
  try {
    if (ownTx) await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
    const head = (
      await client.query(
        `SELECT nextval(pg_get_serial_sequence('audit_events', 'id'))::bigint AS id,
                (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1) AS prev`,
      )
    ).rows[0];
    const id = Number(head.id);
    const prev: string = head.prev ?? AUDIT_GENESIS;
    const at = new Date().toISOString();
    const details = normaliseDetails(e.details);
    const object = e.object ?? null;
    const hash = auditMac(key, id, prev, { at, actor: e.actor, action: e.action, object, details });
    await client.query(
      `INSERT INTO audit_events (id, at, actor, action, object, details, prev_hash, hash, alg)
       OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, at, e.actor, e.action, object, JSON.stringify(details), prev, hash, AUDIT_ALG_KEYED],
    );
    if (ownTx) await client.query('COMMIT');
  } catch (err) {
    if (ownTx) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    if (ownTx) (client as import('pg').PoolClient).release();
  }
}

/** What can be wrong with an event (docs/audit.md). */
export type AuditProblemKind =
  | 'edited' // its content does not match its hash
  | 'bad-mac' // its hash was made without the key (or an unkeyed event follows keyed ones)
  | 'inserted' // the chain runs around it: it was put between two events
  | 'deleted' // it does not link to the event before it and ids are missing in between
  | 'link-broken' // it does not link to the event before it
  | 'unknown-alg' // its scheme is none this version knows
  | 'missing-after-checkpoint' // a checkpoint covers an event that is no longer there
  | 'changed-since-checkpoint' // the log up to a checkpoint's event is not what the checkpoint signed
  | 'bad-checkpoint'; // the checkpoint's signature does not verify

export interface AuditProblem {
  id: number;
  kind: AuditProblemKind;
  /** the ids missing before this event ('deleted', 'missing-after-checkpoint') */
  missing?: [from: number, to: number];
  /** the checkpoint's time, for the checkpoint kinds */
  checkpointAt?: string;
}

export interface AuditVerdict {
  ok: boolean;
  events: number;
  /** events written by the unkeyed scheme before 0026 */
  legacy: number;
  /** checkpoints checked (files given and the audit_checkpoints table) */
  checkpoints: number;
  head: { id: number; hash: string };
  /** every bad event, in id order, then the checkpoints' findings */
  problems: AuditProblem[];
}

export interface SignedCheckpoint extends AuditCheckpoint {
  signature: string;
}

interface Row {
  id: number;
  at: string;
  actor: string;
  action: string;
  object: string | null;
  details: unknown;
  prev_hash: string;
  hash: string;
  alg: string;
}

const PAGE = 5000;

async function* auditRows(db: Queryable): AsyncGenerator<Row> {
  let after = -1;
  for (;;) {
    const r = await db.query(
      `SELECT id::float8 AS id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, action, object, details,
              prev_hash, hash, alg
         FROM audit_events WHERE id > $1 ORDER BY id LIMIT ${PAGE}`,
      [after],
    );
    for (const row of r.rows as Row[]) yield row;
    if (r.rows.length < PAGE) return;
    after = r.rows[r.rows.length - 1].id;
  }
}

/** Signed checkpoints kept in the database (convenience copies; files are the ones that count). */
export async function storedCheckpoints(db: Queryable): Promise<SignedCheckpoint[]> {
  const r = await db.query(
    `SELECT last_id::float8 AS "lastId", last_hash AS "lastHash", count::float8 AS count, legacy::float8 AS legacy,
            to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, signature FROM audit_checkpoints ORDER BY id`,
  );
  return r.rows;
}

/**
 * Recomputes the whole chain and lists every bad event: edited, inserted, deleted (a broken link
 * with ids missing), made without the key; then holds the log against each checkpoint, which is how
 * deleting the newest events shows.
 */
export async function verifyAudit(
  db: Queryable,
  opts: { key?: Buffer; checkpoints?: SignedCheckpoint[]; useStoredCheckpoints?: boolean } = {},
): Promise<AuditVerdict> {
  const key = opts.key ?? auditKey();
  const cps = [...(opts.checkpoints ?? []), ...(opts.useStoredCheckpoints === false ? [] : await storedCheckpoints(db))];
  const problems: AuditProblem[] = [];
  // what each checkpoint's event looked like when the walk passed it
  const atCp = new Map<number, { hash: string; count: number; legacy: number }>();
  const cpIds = new Set(cps.map((c) => c.lastId));
  let events = 0;
  let chained = 0;
  let legacy = 0;
  let keyedSeen = false;
  let prevHash = AUDIT_GENESIS;
  let prevId = 0;
  const rows = auditRows(db);
  let cur = (await rows.next()).value as Row | undefined;
  while (cur) {
    const next = (await rows.next()).value as Row | undefined;
    events++;
    const content = { at: cur.at, actor: cur.actor, action: cur.action, object: cur.object, details: cur.details };
    const expected = expectedAuditHash(cur.alg, key, cur.id, cur.prev_hash, content);
    const hashOk = expected === cur.hash;
    if (!hashOk && next && next.prev_hash === prevHash && next.prev_hash !== cur.hash) {
      // the chain runs from the event before it straight to the one after it
      problems.push({ id: cur.id, kind: 'inserted' });
      cur = next;
      continue;
    }
    if (cur.prev_hash !== prevHash) {
      problems.push(
        cur.id > prevId + 1 ? { id: cur.id, kind: 'deleted', missing: [prevId + 1, cur.id - 1] } : { id: cur.id, kind: 'link-broken' },
      );
    }
    if (expected === undefined) problems.push({ id: cur.id, kind: 'unknown-alg' });
    else if (!hashOk) problems.push({ id: cur.id, kind: madeWithoutKey(cur, content) ? 'bad-mac' : 'edited' });
    else if (cur.alg === AUDIT_ALG_LEGACY && keyedSeen) problems.push({ id: cur.id, kind: 'bad-mac' });
    if (cur.alg === AUDIT_ALG_KEYED) keyedSeen = true;
    else legacy++;
    chained++;
    prevHash = cur.hash;
    prevId = cur.id;
    if (cpIds.has(cur.id)) atCp.set(cur.id, { hash: cur.hash, count: chained, legacy });
    cur = next;
  }
  // the same checkpoint kept twice (the coordinator's file and the table's copy) names a problem once
  const seen = new Set<string>();
  for (const c of cps)
    for (const p of checkpointProblems(key, c, atCp.get(c.lastId), prevId)) {
      const k = JSON.stringify(p);
      if (!seen.has(k)) problems.push(p);
      seen.add(k);
    }
  return { ok: problems.length === 0, events, legacy, checkpoints: cps.length, head: { id: prevId, hash: prevHash }, problems };
}

/** An event of the keyed scheme whose hash is what the product's functions give without the key. */
function madeWithoutKey(row: Row, content: Parameters<typeof legacyAuditHash>[1]): boolean {
  return (
    row.alg === AUDIT_ALG_KEYED &&
    (row.hash === legacyAuditHash(row.prev_hash, content) || row.hash === auditMac(Buffer.alloc(0), row.id, row.prev_hash, content))
  );
}

function checkpointProblems(
  key: Buffer,
  c: SignedCheckpoint,
  seen: { hash: string; count: number; legacy: number } | undefined,
  lastId: number,
): AuditProblem[] {
  const checkpointAt = c.at;
  if (!checkpointSignatureOk(key, c, c.signature)) return [{ id: c.lastId, kind: 'bad-checkpoint', checkpointAt }];
  if (c.lastId === 0) return [];
  if (!seen)
    return [
      {
        id: c.lastId,
        kind: 'missing-after-checkpoint',
        checkpointAt,
        ...(lastId < c.lastId ? { missing: [lastId + 1, c.lastId] as [number, number] } : {}),
      },
    ];
  if (seen.hash !== c.lastHash || seen.count !== c.count || seen.legacy !== c.legacy)
    return [{ id: c.lastId, kind: 'changed-since-checkpoint', checkpointAt }];
  return [];
}

/**
 * A checkpoint of the chain's head, signed with a key derived from AUDIT_KEY. Taken under the
 * append lock, so the head, the count and the legacy count belong together.
 */
export async function readAuditHead(db: import('pg').PoolClient): Promise<AuditCheckpoint> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
  const r = (
    await db.query(
      `SELECT coalesce(max(id), 0)::float8 AS "lastId", count(*)::float8 AS count,
              (count(*) FILTER (WHERE alg = $1))::float8 AS legacy,
              (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1) AS "lastHash"
         FROM audit_events`,
      [AUDIT_ALG_LEGACY],
    )
  ).rows[0];
  return { lastId: r.lastId, lastHash: r.lastHash ?? AUDIT_GENESIS, count: r.count, legacy: r.legacy, at: new Date().toISOString() };
}
