import crypto from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import {
  BIG_LIST_ENTRIES,
  buildIndexesInLanes,
  createOwnTable,
  inLanes,
  ownTableFor,
  withPlanner,
  type Queryable,
} from '@deliveryline/shared';

/**
 * The release: a routed list's delivered entries become one batch per member, each entry with an
 * opaque id (`ref`) and its relapse mark, fixed in `batch_entries` so an export reads exactly what
 * was released. Called by the release job (jobs/release-list.job.ts) and by the return of
 * misrouted entries (registry/misrouted.ts).
 */

const batchEntriesPartition = (listId: number): string => `batch_entries_l${Math.trunc(listId)}`;

/**
 * The opaque id of a batch entry: 96 bits of SHA-256 over a key ($2) and the entry's place in the
 * list (list id, seq). The key is 256 bits from Node's CSPRNG, drawn for each release and never
 * stored, so an id tells nothing of the entry and cannot be worked out from another: SHA-256 over
 * a secret prefix and a fixed-length message is a pseudo-random function, and the truncation
 * leaves no state to extend. Drawing from PostgreSQL's CSPRNG for each entry cost 1.4 s for
 * 567,512 entries; the hash costs 0.4 s.
 */
const NEW_REF = `'e' || encode(substring(sha256($2::bytea || int8send(r.list_id) || int8send(r.seq::bigint)) from 1 for 12), 'hex')`;
const refKey = (): Buffer => crypto.randomBytes(32);
/**
 * Every delivered entry of list $1 with its batch (`batches`: rows `b(id, member_id)` of the
 * list's batches) and entry id. Routing writes the entry id next to each decision (0012), so no
 * join with the list's entries is needed; a decision stored before that has none, and its entry is
 * looked up.
 */
const delivered = (batches: string, where = '') => `SELECT b.id, r.seq, r.list_id,
            coalesce(r.entry_id, (SELECT e.id FROM entries e WHERE e.list_id = r.list_id AND e.seq = r.seq)),
            ${NEW_REF}
       FROM routes r JOIN ${batches} ON b.member_id = r.member_id
      WHERE r.list_id = $1 AND r.state = 'delivered'${where}`;

/**
 * Writes a list's batches and their entries. Given a transaction, in it. Given the pool, a big
 * first release (more than `ownPartitionAbove` delivered entries) writes its entries into a table
 * of its own before the transaction, on two connections (see `prepareOwnPartition`), and the
 * transaction makes the batches and attaches the table; `guard`, run first in that transaction,
 * can call the release off (the list moved on meanwhile), and then nothing is kept.
 */
export async function createBatches(
  db: Queryable,
  listId: number,
  dueAt: Date,
  dueBusinessDays: number,
  opts: { ownPartitionAbove?: number; guard?: (tx: PoolClient) => Promise<boolean> } = {},
): Promise<void> {
  if (db instanceof Pool) {
    await releaseWithOwnPartition(db, listId, (tx, prepared) => writeBatches(tx, listId, dueAt, dueBusinessDays, prepared), opts);
    return;
  }
  if (opts.guard && !(await opts.guard(db))) return;
  await writeBatches(db, listId, dueAt, dueBusinessDays, null);
}

/** A batch per member with delivered entries, counted by the routes summary (0007: kept by the
 * triggers on routes in the same transactions), not by a pass over the list's decisions. */
const DELIVERED_PER_MEMBER = `SELECT member_id, entries FROM stats_list_routes WHERE list_id = $1 AND state = 'delivered' AND entries > 0`;

async function writeBatches(
  tx: PoolClient,
  listId: number,
  dueAt: Date,
  dueBusinessDays: number,
  prepared: OwnPartition | null,
): Promise<void> {
  if (prepared) {
    // the ids drawn for the prepared rows; no batch of the list exists yet (the caller checked, under its lock)
    await tx.query(
      `INSERT INTO batches (id, list_id, member_id, entries, due_at, due_business_days) OVERRIDING SYSTEM VALUE
       SELECT m.id, $1, m.member_id, m.entries, $2, $3 FROM unnest($4::bigint[], $5::text[], $6::int[]) AS m(id, member_id, entries)`,
      [
        listId,
        dueAt,
        dueBusinessDays,
        prepared.batches.map((b) => b.id),
        prepared.batches.map((b) => b.memberId),
        prepared.batches.map((b) => b.entries),
      ],
    );
    await tx.query(`ALTER TABLE batch_entries ATTACH PARTITION ${prepared.table} FOR VALUES IN (${Math.trunc(listId)})`);
  } else {
    await tx.query(
      `INSERT INTO batches (list_id, member_id, entries, due_at, due_business_days)
       SELECT $1, member_id, entries, $2, $3 FROM (${DELIVERED_PER_MEMBER}) d
       ON CONFLICT (list_id, member_id) DO NOTHING`,
      [listId, dueAt, dueBusinessDays],
    );
    await tx.query(
      `INSERT INTO batch_entries (batch_id, seq, list_id, entry_id, ref) ${delivered('(SELECT id, member_id FROM batches WHERE list_id = $1) b')}
       ON CONFLICT (batch_id, seq, list_id) DO NOTHING`,
      [listId, refKey()],
    );
  }
  // Relapses: an entry whose address this member reported `notified` on an earlier observation.
  // Nothing to look for when none of this list's members ever reported `notified` (a campaign's
  // first lists). Otherwise the addresses they reported `notified` are gathered first into a
  // small analysed table, each outcome finding its entry by an index probe (a join with every
  // entry had spilled to temporary files in load runs); only the list's entries at one of those
  // addresses then look for the latest earlier notified observation, by index probes. Bitmap
  // scans are off for it: on rows just written and not yet analysed the planner ANDed each probe
  // with the `(list_id, seq)` index and read a whole list per probe.
  const any = await tx.query(
    `SELECT 1 FROM outcomes WHERE outcome = 'notified' AND member_id IN (SELECT member_id FROM batches WHERE list_id = $1) LIMIT 1`,
    [listId],
  );
  if (!any.rowCount) return;
  await withPlanner(tx, { enable_bitmapscan: 'off' }, async () => {
    await tx.query('DROP TABLE IF EXISTS pg_temp.relapse_ips');
    await tx.query(
      `CREATE TEMP TABLE relapse_ips ON COMMIT DROP AS
       SELECT DISTINCT (SELECT e3.ip FROM entries e3 WHERE e3.list_id = b3.list_id AND e3.id = o3.entry_id) AS ip
         FROM outcomes o3 JOIN batches b3 ON b3.id = o3.batch_id
        WHERE o3.outcome = 'notified' AND o3.member_id IN (SELECT member_id FROM batches WHERE list_id = $1)`,
      [listId],
    );
    await tx.query('ANALYZE relapse_ips');
    await tx.query(
      `UPDATE batch_entries be SET relapse_of = x.prev
         FROM (SELECT be2.batch_id, be2.seq,
                      (SELECT e2.id FROM entries e2
                        WHERE e2.ip = e.ip AND e2.observed_at < e.observed_at AND e2.list_id <> e.list_id
                          AND (SELECT o.outcome FROM outcomes o WHERE o.entry_id = e2.id AND o.member_id = b.member_id
                                ORDER BY o.id DESC LIMIT 1) = 'notified'
                        ORDER BY e2.observed_at DESC LIMIT 1) AS prev
                 FROM batch_entries be2
                 JOIN batches b ON b.id = be2.batch_id
                 JOIN entries e ON e.list_id = $1 AND e.id = be2.entry_id
                WHERE be2.list_id = $1 AND e.ip IN (SELECT ip FROM relapse_ips)) x
        WHERE be.batch_id = x.batch_id AND be.seq = x.seq AND x.prev IS NOT NULL AND be.relapse_of IS DISTINCT FROM x.prev`,
      [listId],
    );
  });
}

/** A big first release's entries, written and indexed, waiting to be attached; the ids its batches will get. */
interface OwnPartition {
  table: string;
  batches: { id: number; memberId: string; entries: number }[];
}

/** Two releases of one list never prepare at once: a session lock on (this, list id). */
const RELEASE_LOCK = 0x646c7265; // 'dlre'

/**
 * The release of `listId` on one connection, under a session lock on the list: a big first
 * release's table is prepared (outside any transaction), then `write` runs in a transaction on the
 * same connection. A prepared table that is not attached at the end (a failure, a guard that
 * called the release off) is dropped; one left by a crash is dropped by the next attempt.
 */
async function releaseWithOwnPartition(
  pool: Pool,
  listId: number,
  write: (tx: PoolClient, prepared: OwnPartition | null) => Promise<void>,
  opts: { ownPartitionAbove?: number; guard?: (tx: PoolClient) => Promise<boolean> },
): Promise<void> {
  const c = await pool.connect();
  let unlocked = false;
  try {
    await c.query('SELECT pg_advisory_lock($1, $2)', [RELEASE_LOCK, listId]);
    let prepared: OwnPartition | null = null;
    try {
      prepared = await prepareOwnPartition(pool, c, listId, opts.ownPartitionAbove ?? BIG_LIST_ENTRIES);
      await c.query('BEGIN');
      try {
        if (!opts.guard || (await opts.guard(c))) {
          await write(c, prepared);
          prepared = null; // attached, part of batch_entries now
        }
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      if (prepared) await c.query(`DROP TABLE IF EXISTS ${prepared.table}`).catch(() => undefined);
      unlocked = await c.query('SELECT pg_advisory_unlock($1, $2)', [RELEASE_LOCK, listId]).then(
        () => true,
        () => false,
      );
    }
  } finally {
    c.release(unlocked ? undefined : true); // a connection that may still hold the lock is closed, which frees it
  }
}

/**
 * A big first release, before its transaction: the batches' ids are drawn from their sequence, and
 * the delivered entries are written into `batch_entries_l<list>` (a table with no index, not yet
 * part of batch_entries, so nobody reads it) by two connections at once, each half of the list's
 * decisions; then the three indexes every partition of batch_entries has (0010) are built in two
 * lanes. Returns null when the release is not big or not the list's first. One connection wrote
 * 567,512 entries and built the indexes in 3.4 s; two take about 2 s (docs/delivery.md).
 */
async function prepareOwnPartition(pool: Pool, own: PoolClient, listId: number, above: number): Promise<OwnPartition | null> {
  const t = batchEntriesPartition(listId);
  const state = await own.query(
    `SELECT EXISTS (SELECT 1 FROM batches WHERE list_id = $1) AS batches,
            EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($2)) AS attached`,
    [listId, t],
  );
  if (state.rows[0].batches || state.rows[0].attached) return null;
  const members = (await own.query(`${DELIVERED_PER_MEMBER} ORDER BY member_id`, [listId])).rows;
  if (
    !ownTableFor(
      members.reduce((n, m) => n + Number(m.entries), 0),
      above,
    )
  )
    return null;
  const ids = await own.query(`SELECT nextval(pg_get_serial_sequence('batches', 'id')) AS id FROM generate_series(1, $1)`, [
    members.length,
  ]);
  const batches = members.map((m, i) => ({ id: Number(ids.rows[i].id), memberId: m.member_id as string, entries: Number(m.entries) }));
  await own.query(`DROP TABLE IF EXISTS ${t}`); // left by an attempt that crashed
  await createOwnTable(own, 'batch_entries', t, listId);
  const prepared = { table: t, batches };
  try {
    const seqs = (await own.query(`SELECT min(seq) AS lo, max(seq) AS hi FROM routes WHERE list_id = $1`, [listId])).rows[0];
    // One key for both halves; the ids each member's batch will get.
    const params = [listId, refKey(), batches.map((b) => b.id), batches.map((b) => b.memberId)];
    // The join of the list's decisions with its batches is hashed, in memory: a list just routed has
    // no statistics yet, and with none the planner chose nested loops (3.5 s for 567,512 rows when
    // the entries were joined too, against 0.9 s hashed).
    const half = async (c: PoolClient, lo: number, hi: number) => {
      await c.query(`SET enable_nestloop = off; SET work_mem = '64MB'`);
      await c.query(
        `INSERT INTO ${t} (batch_id, seq, list_id, entry_id, ref)
         ${delivered('unnest($3::bigint[], $4::text[]) AS b(id, member_id)', ' AND r.seq BETWEEN $5 AND $6')}`,
        [...params, lo, hi],
      );
      await c.query('RESET enable_nestloop; RESET work_mem');
    };
    const lo = Number(seqs.lo),
      hi = Number(seqs.hi),
      mid = Math.floor((lo + hi) / 2);
    await inLanes(pool, [(c) => half(c, lo, mid), (c) => half(c, mid + 1, hi)], own);
    await buildIndexesInLanes(
      pool,
      [
        [`ALTER TABLE ${t} ADD CONSTRAINT ${t}_pkey PRIMARY KEY (batch_id, seq, list_id)`],
        [`CREATE UNIQUE INDEX ${t}_ref_idx ON ${t} (ref, list_id)`, `CREATE INDEX ${t}_entry_idx ON ${t} (entry_id)`],
      ],
      own,
    );
    return prepared;
  } catch (err) {
    await own.query(`DROP TABLE IF EXISTS ${t}`).catch(() => undefined);
    throw err;
  }
}
