import type { Queryable } from '@deliveryline/shared';

/** What the product stored for one list, row by row, for the differential test to compare with the reference. */
export interface ProductList {
  state: string;
  failure: string | null;
  counts: { rowsRead: number; rejected: number; duplicates: number; received: number; delivered: number; returned: number };
  rejects: { row: number; line: number; reason: string }[];
  entries: {
    row: number;
    ip: string;
    observedAt: number;
    port: number | null;
    malware: string | null;
    extra: Record<string, string> | null;
    state: string;
    memberId: string | null;
    reason: string | null;
  }[];
  /** member id → row numbers in its batch (ascending), and the batch's own count */
  batches: Map<string, { rows: number[]; entries: number }>;
}

export async function readProductList(db: Queryable, listId: number): Promise<ProductList> {
  const l = (
    await db.query(`SELECT state, failure, rows_read, rejected, duplicates, received, delivered, returned FROM lists WHERE id = $1`, [
      listId,
    ])
  ).rows[0];
  const rejects = (
    await db.query(`SELECT row_no AS row, line_no AS line, reason FROM rejects WHERE list_id = $1 ORDER BY row_no`, [listId])
  ).rows;
  const entries = (
    await db.query(
      `SELECT e.row_no AS row, host(e.ip) AS ip, floor(extract(epoch FROM e.observed_at) * 1000)::bigint AS ms, e.port, e.malware, e.extra,
            r.state, r.member_id, r.reason
       FROM entries e LEFT JOIN routes r ON r.list_id = e.list_id AND r.seq = e.seq
      WHERE e.list_id = $1 ORDER BY e.row_no`,
      [listId],
    )
  ).rows;
  const batches = new Map<string, { rows: number[]; entries: number }>();
  for (const b of (
    await db.query(
      `SELECT b.member_id, b.entries, array_agg(e.row_no ORDER BY e.row_no) AS rows
       FROM batches b JOIN batch_entries be ON be.batch_id = b.id JOIN entries e ON e.id = be.entry_id AND e.list_id = b.list_id
      WHERE b.list_id = $1 GROUP BY b.id`,
      [listId],
    )
  ).rows) {
    batches.set(b.member_id, { rows: b.rows.map(Number), entries: b.entries });
  }
  const n = (v: unknown) => (v === null ? 0 : Number(v));
  return {
    state: l.state,
    failure: l.failure,
    counts: {
      rowsRead: n(l.rows_read),
      rejected: n(l.rejected),
      duplicates: n(l.duplicates),
      received: n(l.received),
      delivered: n(l.delivered),
      returned: n(l.returned),
    },
    rejects,
    entries: entries.map((e) => ({
      row: e.row,
      ip: e.ip,
      observedAt: Number(e.ms),
      port: e.port,
      malware: e.malware,
      extra: e.extra,
      state: e.state,
      memberId: e.member_id,
      reason: e.reason,
    })),
    batches,
  };
}
