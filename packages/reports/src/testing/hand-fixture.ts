import type { Queryable } from '@deliveryline/shared';
import { createBatches } from '@deliveryline/router';

export const HAND_MEMBERS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'].map((w) => ({
  id: `isp-${w}`,
  name: `${w[0].toUpperCase()}${w.slice(1)} Net`,
}));

/**
 * The small campaign the figures are checked by hand against (see stats.int.test.ts for the
 * arithmetic). Routes go in by INSERT and batches through the pipeline's own createBatches.
 * list 1 (source jpcert): 16 received, alpha 4, bravo 2, charlie..golf 1 each, 5 returned (4 no_member, 1 non_routable)
 * list 2 (source police): 5 received, alpha 3, bravo 1, 1 returned (no_member)
 */
export async function loadHandCampaign(
  db: Queryable,
): Promise<{ list1: number; list2: number; batch: (list: number, member: string) => Promise<number> }> {
  await db.query(`INSERT INTO sources (id, name) VALUES ('jpcert', 'JPCERT/CC'), ('police', 'Police')`);
  await db.query(`INSERT INTO campaigns (id, name, tlp) VALUES ('hand', 'Hand-checked campaign', 'amber')`);
  for (const m of HAND_MEMBERS) await db.query(`INSERT INTO members (id, name) VALUES ($1, $2)`, [m.id, m.name]);
  const mk = async (round: number, source: string, counts: number[]) => {
    await db.query(`INSERT INTO files (sha256, size, chunks) VALUES (sha256($1::bytea), 0, 0)`, [`hand${round}`]);
    return Number(
      (
        await db.query(
          `INSERT INTO lists (campaign_id, source_id, round, file_sha256, file_name, tlp, state, rows_read, rejected, duplicates, received, delivered, returned, created_at)
       VALUES ('hand', $1, $2, sha256($3::bytea), $3, 'amber', 'released', $4, $5, $6, $7, $8, $9, '2026-01-04T00:00:00Z') RETURNING id`,
          [source, round, `hand${round}`, ...counts],
        )
      ).rows[0].id,
    );
  };
  const list1 = await mk(1, 'jpcert', [19, 2, 1, 16, 11, 5]);
  const list2 = await mk(2, 'police', [5, 0, 0, 5, 4, 1]);
  const m = (w: string) => `isp-${w}`;
  const routes: [number, number, string | null, string | null][] = [
    ...[1, 2, 3, 4].map((s) => [list1, s, m('alpha'), null] as [number, number, string, null]),
    [list1, 5, m('bravo'), null],
    [list1, 6, m('bravo'), null],
    [list1, 7, m('charlie'), null],
    [list1, 8, m('delta'), null],
    [list1, 9, m('echo'), null],
    [list1, 10, m('foxtrot'), null],
    [list1, 11, m('golf'), null],
    ...[12, 13, 14, 15].map((s) => [list1, s, null, 'no_member'] as [number, number, null, string]),
    [list1, 16, null, 'non_routable'],
    [list2, 1, m('alpha'), null],
    [list2, 2, m('alpha'), null],
    [list2, 3, m('alpha'), null],
    [list2, 4, m('bravo'), null],
    [list2, 5, null, 'no_member'],
  ];
  await db.query(
    `INSERT INTO routes (list_id, seq, member_id, state, reason)
     SELECT l, s, mm, CASE WHEN mm IS NULL THEN 'returned' ELSE 'delivered' END, rs
       FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[]) AS u(l, s, mm, rs)`,
    [routes.map((r) => r[0]), routes.map((r) => r[1]), routes.map((r) => r[2]), routes.map((r) => r[3])],
  );
  await db.query(
    `INSERT INTO entries (list_id, seq, row_no, ip, observed_at)
     SELECT l, s, s, '192.0.2.0'::inet + (l * 100 + s), '2026-01-03T00:00:00Z' FROM unnest($1::bigint[], $2::int[]) AS u(l, s)`,
    [routes.map((r) => r[0]), routes.map((r) => r[1])],
  );
  await createBatches(db, list1, new Date('2026-01-09T00:00:00Z'), 3);
  await createBatches(db, list2, new Date('2099-01-01T00:00:00Z'), 3);
  const batch = async (list: number, member: string) =>
    Number((await db.query(`SELECT id FROM batches WHERE list_id = $1 AND member_id = $2`, [list, member])).rows[0].id);
  return { list1, list2, batch };
}
