import type { Queryable } from '@deliveryline/shared';

/**
 * A deterministic campaign written straight into PostgreSQL with generate_series: the GOZ-like
 * replay test and the 10-million-entry benchmark. Lists, entries, routes, batches and outcomes go
 * in through the same tables (and so the same triggers) as the pipeline's; nothing is random.
 * Never point it at a shared database: it is for a test's or a bench's own database.
 */
export interface SyntheticSpec {
  campaignId: string;
  sourceId: string;
  members: number;
  /** received and delivered per list (round = position + 1); the rest of a list is returned */
  lists: { received: number; delivered: number }[];
  /** one in this many delivered entries gets no outcome; one in `changeEvery` is reported twice */
  unreportedEvery: number;
  changeEvery: number;
  /** the first list's round (loaders working side by side take different rounds) */
  firstRound?: number;
}

const ID_STRIDE = 100_000_000;

export async function loadSynthetic(db: Queryable, s: SyntheticSpec): Promise<number[]> {
  await db.query(`INSERT INTO sources (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [s.sourceId]);
  await db.query(`INSERT INTO campaigns (id, name, tlp) VALUES ($1, $1, 'amber') ON CONFLICT DO NOTHING`, [s.campaignId]);
  await db.query(
    `INSERT INTO members (id, name) SELECT 'syn-' || lpad(g::text, 2, '0'), 'Synthetic ISP ' || g FROM generate_series(1, $1) g ON CONFLICT DO NOTHING`,
    [s.members],
  );
  const ids: number[] = [];
  for (const [i, l] of s.lists.entries()) {
    const round = (s.firstRound ?? 1) + i;
    const sha = `${s.campaignId}:${round}`;
    await db.query(`INSERT INTO files (sha256, size, chunks) VALUES (sha256($1::bytea), 0, 0) ON CONFLICT DO NOTHING`, [sha]);
    const listId = Number(
      (
        await db.query(
          `INSERT INTO lists (campaign_id, source_id, round, file_sha256, file_name, tlp, state, rows_read, rejected, duplicates,
                          received, delivered, returned, created_at, routed_at, released_at)
       VALUES ($1, $2, $3::int, sha256($4::bytea), $4, 'amber', 'released', $5::int, 0, 0, $5::int, $6::int, $5::int - $6::int,
               timestamptz '2026-01-05T00:00:00Z' + $3 * interval '7 days', timestamptz '2026-01-05T01:00:00Z' + $3 * interval '7 days',
               timestamptz '2026-01-05T02:00:00Z' + $3 * interval '7 days') RETURNING id`,
          [s.campaignId, s.sourceId, round, sha, l.received, l.delivered],
        )
      ).rows[0].id,
    );
    ids.push(listId);
    // entry ids are list_id·10⁸ + seq, so outcomes can name them without a join back to entries
    await db.query(
      `INSERT INTO entries (id, list_id, seq, row_no, ip, observed_at) OVERRIDING SYSTEM VALUE
       SELECT $1::bigint * ${ID_STRIDE} + g, $1, g, g, '10.0.0.0'::inet + (($1::bigint * 7919 + g) % 16000000),
              timestamptz '2026-01-01T00:00:00Z' + g * interval '1 second'
         FROM generate_series(1, $2) g`,
      [listId, l.received],
    );
    // the first `delivered` entries go to members, unevenly (a few large ISPs, many small); the rest come back, with a reason
    await db.query(
      `INSERT INTO routes (list_id, seq, member_id, state, reason)
       SELECT $1, g, CASE WHEN g <= $3 THEN 'syn-' || lpad(least($4::int, 1 + floor($4::int * power(((g * 7 + $1::bigint) % 1000)::float8 / 1000, 1.6)))::text, 2, '0') END,
              CASE WHEN g <= $3 THEN 'delivered' ELSE 'returned' END,
              CASE WHEN g > $3 THEN (ARRAY['no_member', 'no_member', 'no_member', 'non_routable', 'member_inactive'])[1 + g % 5] END
         FROM generate_series(1, $2) g`,
      [listId, l.received, l.delivered, s.members],
    );
    await db.query(
      `INSERT INTO batches (list_id, member_id, entries, state, due_at, created_at, first_downloaded_at)
       SELECT $1, member_id, count(*), 'downloaded', l.released_at + interval '5 days', l.released_at,
              l.released_at + (1 + (hashtext(member_id) & 15)) * interval '1 hour'
         FROM routes r JOIN lists l ON l.id = r.list_id WHERE r.list_id = $1 AND r.state = 'delivered' GROUP BY member_id, l.released_at`,
      [listId],
    );
    await loadOutcomes(db, listId, s);
  }
  await db.query(`SELECT setval(pg_get_serial_sequence('entries', 'id'), (SELECT max(id) FROM entries))`);
  return ids;
}

async function loadOutcomes(db: Queryable, listId: number, s: SyntheticSpec): Promise<void> {
  const reports = `FROM routes r JOIN batches b ON b.list_id = r.list_id AND b.member_id = r.member_id
                  WHERE r.list_id = $1 AND r.state = 'delivered' AND r.seq % $2 <> 0`;
  // first reports: mostly notified, some not identified, one upload per member per day offset
  await db.query(
    `INSERT INTO outcomes (entry_id, batch_id, member_id, outcome, reported_at)
     SELECT r.list_id * ${ID_STRIDE} + r.seq, b.id, b.member_id, CASE WHEN r.seq % 4 = 1 THEN 'not_identified' ELSE 'notified' END,
            b.created_at + (1 + r.seq % 3) * interval '1 day' + (hashtext(b.member_id) & 7) * interval '1 hour'
       ${reports}`,
    [listId, s.unreportedEvery],
  );
  // later reports change the outcome of some entries: an entry counts under its latest
  await db.query(
    `INSERT INTO outcomes (entry_id, batch_id, member_id, outcome, reported_at)
     SELECT r.list_id * ${ID_STRIDE} + r.seq, b.id, b.member_id, CASE WHEN r.seq % 2 = 0 THEN 'declined' ELSE 'notified' END, b.created_at + interval '6 days'
       ${reports} AND r.seq % $3 = 0`,
    [listId, s.unreportedEvery, s.changeEvery],
  );
}
