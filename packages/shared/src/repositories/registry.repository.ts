import type { Queryable } from '../db/pool';

export interface MemberRow {
  id: string;
  name: string;
  contact_emails: string[];
  active: boolean;
  language: 'ja' | 'en' | 'both';
  joined_on: string | null;
  left_on: string | null;
}

export interface PrefixRow {
  id: number;
  member_id: string;
  cidr: string;
  valid_from: Date | null; // null = open (-infinity)
  valid_to: Date | null; // null = open (infinity)
}

export async function registryVersion(db: Queryable): Promise<number> {
  return (await db.query('SELECT version FROM registry_version')).rows[0].version;
}

export async function loadMembers(db: Queryable): Promise<MemberRow[]> {
  const r = await db.query(`SELECT id, name, contact_emails, active, language, joined_on::text, left_on::text FROM members ORDER BY id`);
  return r.rows;
}

/** Every prefix with its validity window; infinities come back as null. */
export async function loadPrefixes(db: Queryable): Promise<PrefixRow[]> {
  const r = await db.query(
    `SELECT id, member_id, cidr::text AS cidr,
            CASE WHEN valid_from = '-infinity' THEN NULL ELSE valid_from END AS valid_from,
            CASE WHEN valid_to = 'infinity' THEN NULL ELSE valid_to END AS valid_to
       FROM prefixes ORDER BY id`,
  );
  return r.rows;
}

export interface MemberInput {
  id: string;
  name: string;
  contact_emails: string[];
  active: boolean;
  language?: 'ja' | 'en' | 'both';
  joined_on?: string | null;
  left_on?: string | null;
}

/** Inserts or updates a member; returns the row as it was before (null when new). */
export async function upsertMember(db: Queryable, m: MemberInput): Promise<MemberRow | null> {
  const before =
    (
      await db.query(
        `SELECT id, name, contact_emails, active, language, joined_on::text, left_on::text FROM members WHERE id = $1 FOR UPDATE`,
        [m.id],
      )
    ).rows[0] ?? null;
  await db.query(
    `INSERT INTO members (id, name, contact_emails, active, language, joined_on, left_on)
     VALUES ($1, $2, $3, $4, COALESCE($5, 'ja'), $6, $7)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, contact_emails = EXCLUDED.contact_emails, active = EXCLUDED.active,
       language = COALESCE($5, members.language), joined_on = EXCLUDED.joined_on, left_on = EXCLUDED.left_on, updated_at = now()`,
    [m.id, m.name, m.contact_emails, m.active, m.language ?? null, m.joined_on ?? null, m.left_on ?? null],
  );
  return before;
}

/** Adds one holding; open ends are null. The exclusion constraint refuses an overlap. */
export async function insertPrefix(
  db: Queryable,
  p: { member_id: string; cidr: string; valid_from: Date | null; valid_to: Date | null },
): Promise<number> {
  const r = await db.query(
    `INSERT INTO prefixes (member_id, cidr, valid_from, valid_to)
     VALUES ($1, $2, COALESCE($3, '-infinity'::timestamptz), COALESCE($4, 'infinity'::timestamptz)) RETURNING id`,
    [p.member_id, p.cidr, p.valid_from, p.valid_to],
  );
  return Number(r.rows[0].id);
}

/** Ends a holding: only an open or later end may move earlier, so history is closed, never rewritten. */
export async function closePrefix(db: Queryable, id: number, validTo: Date): Promise<void> {
  const r = await db.query(`UPDATE prefixes SET valid_to = $2 WHERE id = $1 AND valid_to > $2 AND valid_from < $2`, [id, validTo]);
  if (r.rowCount !== 1) throw new Error(`prefix row ${id} cannot be closed at ${validTo.toISOString()}`);
}

/** The holdings valid at `at` (every row when at is null), for export. */
export async function prefixesAt(db: Queryable, at: Date | null): Promise<PrefixRow[]> {
  const r = await db.query(
    `SELECT id, member_id, cidr::text AS cidr,
            CASE WHEN valid_from = '-infinity' THEN NULL ELSE valid_from END AS valid_from,
            CASE WHEN valid_to = 'infinity' THEN NULL ELSE valid_to END AS valid_to
       FROM prefixes WHERE $1::timestamptz IS NULL OR (valid_from <= $1 AND $1 < valid_to)
      ORDER BY family(prefixes.cidr), prefixes.cidr, prefixes.valid_from`,
    [at],
  );
  return r.rows;
}

export interface NestedHolding {
  inner_member: string;
  inner_cidr: string;
  outer_member: string;
  outer_cidr: string;
}
export interface ChangedHands {
  cidr: string;
  holders: { member_id: string; valid_from: Date | null; valid_to: Date | null }[];
}
export interface ExpiredWithArrivals {
  member_id: string;
  cidr: string;
  valid_to: Date;
  entries: number;
  lists: number;
  last_observed: Date;
}

/** Prefixes of one member inside another member's prefix while both are held. */
export async function nestedAcrossMembers(db: Queryable): Promise<NestedHolding[]> {
  return (
    await db.query(
      // the query is in the function (0029): under the portal's row-level security it could not use the indexes
      `SELECT inner_member, inner_cidr, outer_member, outer_cidr FROM registry_nested_holdings()`,
    )
  ).rows;
}

export async function changedHands(db: Queryable): Promise<ChangedHands[]> {
  return (
    await db.query(
      `SELECT cidr::text AS cidr, json_agg(json_build_object('member_id', member_id,
              'valid_from', CASE WHEN valid_from = '-infinity' THEN NULL ELSE valid_from END,
              'valid_to', CASE WHEN valid_to = 'infinity' THEN NULL ELSE valid_to END) ORDER BY valid_from) AS holders
       FROM prefixes GROUP BY cidr HAVING count(DISTINCT member_id) > 1 ORDER BY cidr`,
    )
  ).rows;
}

export async function membersWithoutContacts(db: Queryable): Promise<string[]> {
  return (await db.query(`SELECT id FROM members WHERE cardinality(contact_emails) = 0 ORDER BY id`)).rows.map((r) => r.id);
}

/** Members that hold no prefix now. */
export async function membersWithoutPrefixes(db: Queryable): Promise<string[]> {
  return (
    await db.query(
      `SELECT m.id FROM members m WHERE NOT EXISTS (SELECT 1 FROM prefixes p WHERE p.member_id = m.id AND p.valid_from <= now() AND now() < p.valid_to)
      ORDER BY m.id`,
    )
  ).rows.map((r) => r.id);
}

/** Expired holdings with entries observed inside them after the end that nobody else held (returned no_member). */
export async function expiredWithArrivals(db: Queryable): Promise<ExpiredWithArrivals[]> {
  return (
    await db.query(
      `SELECT p.member_id, p.cidr::text AS cidr, p.valid_to, count(*)::int AS entries, count(DISTINCT e.list_id)::int AS lists,
            max(e.observed_at) AS last_observed
       FROM prefixes p
       JOIN entries e ON e.ip <<= p.cidr AND e.observed_at >= p.valid_to
       JOIN routes r ON r.list_id = e.list_id AND r.seq = e.seq AND r.state = 'returned' AND r.reason = 'no_member'
      WHERE p.valid_to < 'infinity'
      GROUP BY p.member_id, p.cidr, p.valid_to ORDER BY p.member_id, p.cidr`,
    )
  ).rows;
}

export interface MisroutedEntry {
  entry_id: number;
  list_id: number;
  seq: number;
  ip: string;
  observed_at: Date;
  member_id: string;
  batch_id: number;
  reported_at: Date;
  note: string | null;
}

/**
 * Entries a member reported `not_our_address` (its latest outcome for the entry) that are still
 * routed to that member: they are back with the coordinator until re-routed or returned.
 */
export async function misroutedEntries(db: Queryable, listId: number | null): Promise<MisroutedEntry[]> {
  const r = await db.query(
    `SELECT lo.entry_id::int, e.list_id::int, e.seq, host(e.ip) AS ip, e.observed_at, lo.member_id, lo.batch_id::int, lo.reported_at, lo.note
       FROM (SELECT DISTINCT ON (o.entry_id, o.member_id) o.entry_id, o.member_id, o.outcome, o.batch_id, o.reported_at, o.note
               FROM outcomes o ORDER BY o.entry_id, o.member_id, o.id DESC) lo
       JOIN entries e ON e.id = lo.entry_id
       JOIN routes r ON r.list_id = e.list_id AND r.seq = e.seq AND r.state = 'delivered' AND r.member_id = lo.member_id
      WHERE lo.outcome = 'not_our_address' AND ($1::bigint IS NULL OR e.list_id = $1)
      ORDER BY e.list_id, e.seq`,
    [listId],
  );
  return r.rows;
}

/** Returns entries with reason `not_our_address`, keeping each list's delivered + returned = received. */
export async function returnMisrouted(db: Queryable, listId: number, seqs: number[]): Promise<number> {
  const r = await db.query(
    `UPDATE routes SET state = 'returned', member_id = NULL, reason = 'not_our_address'
      WHERE list_id = $1 AND seq = ANY($2::int[]) AND state = 'delivered'`,
    [listId, seqs],
  );
  const n = r.rowCount ?? 0;
  if (n)
    await db.query(`UPDATE lists SET delivered = delivered - $2, returned = returned + $2, updated_at = now() WHERE id = $1`, [listId, n]);
  return n;
}

/** Routes one delivered entry to another member (counters do not change: it stays delivered). */
export async function moveRoute(db: Queryable, listId: number, seq: number, from: string, to: string): Promise<boolean> {
  const r = await db.query(`UPDATE routes SET member_id = $4 WHERE list_id = $1 AND seq = $2 AND state = 'delivered' AND member_id = $3`, [
    listId,
    seq,
    from,
    to,
  ]);
  return r.rowCount === 1;
}

export async function listDueDays(db: Queryable, listId: number): Promise<number | null> {
  const r = await db.query(`SELECT c.due_days FROM lists l JOIN campaigns c ON c.id = l.campaign_id WHERE l.id = $1`, [listId]);
  return r.rows[0]?.due_days ?? null;
}

/** Batches of a list not yet announced by e-mail. */
export async function unannouncedBatches(db: Queryable, listId: number): Promise<number[]> {
  return (await db.query(`SELECT id FROM batches WHERE list_id = $1 AND notified_at IS NULL ORDER BY id`, [listId])).rows.map((r) =>
    Number(r.id),
  );
}

/** Starts a new routing run of a list not yet released; returns the run, or the state that forbids it. */
export async function restartRouting(db: Queryable, listId: number): Promise<{ run: number } | { state: string | null }> {
  const l = (await db.query('SELECT state, route_run FROM lists WHERE id = $1 FOR UPDATE', [listId])).rows[0];
  if (!l || !['routed', 'awaiting_approval', 'parsed', 'routing'].includes(l.state)) return { state: l?.state ?? null };
  const run = l.route_run + 1;
  await db.query(`UPDATE lists SET state = 'parsed', route_run = $2, updated_at = now() WHERE id = $1`, [listId, run]);
  return { run };
}

/** Each entry's routing decision as one label: the member, or `returned:<reason>`. */
export async function routeLabels(db: Queryable, listId: number): Promise<Map<number, string>> {
  const r = await db.query(`SELECT seq, COALESCE(member_id, 'returned:' || reason) AS label FROM routes WHERE list_id = $1`, [listId]);
  return new Map(r.rows.map((x) => [x.seq as number, x.label as string]));
}

/** Every holding for the matcher: times as epoch ms (±Infinity when open), no Date objects to build. */
export async function loadHoldings(db: Queryable): Promise<{ member_id: string; cidr: string; from_ms: number; to_ms: number }[]> {
  const r = await db.query(
    `SELECT member_id, cidr::text AS cidr, (extract(epoch FROM valid_from) * 1000)::float8 AS from_ms,
            (extract(epoch FROM valid_to) * 1000)::float8 AS to_ms FROM prefixes`,
  );
  return r.rows;
}

/** Holds the registry's prefix import for the transaction: one import at a time, so a plan still holds when applied. */
export async function lockPrefixImport(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(7242004)');
}
