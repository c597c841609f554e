import type { Queryable } from '../db/pool';

export interface BatchSummary {
  batchId: number;
  listId: number;
  memberId: string;
  entries: number;
  state: string;
  dueAt: string | null;
  notifiedAt: string | null;
}

export async function listBatches(db: Queryable, f: { listId?: number; memberId?: string } = {}): Promise<BatchSummary[]> {
  const r = await db.query(
    `SELECT id, list_id, member_id, entries, state, due_at, notified_at FROM batches
      WHERE ($1::bigint IS NULL OR list_id = $1) AND ($2::text IS NULL OR member_id = $2) ORDER BY list_id, member_id`,
    [f.listId ?? null, f.memberId ?? null]);
  return r.rows.map((b) => ({
    batchId: Number(b.id), listId: Number(b.list_id), memberId: b.member_id, entries: b.entries, state: b.state,
    dueAt: b.due_at?.toISOString() ?? null, notifiedAt: b.notified_at?.toISOString() ?? null,
  }));
}

export interface BatchEntry {
  entryId: number;
  ip: string;
  port: number | null;
  observedAt: Date;
  malware: string | null;
}

export interface BatchHeader {
  id: number;
  listId: number;
  memberId: string;
  entries: number;
  campaignId: string;
  campaignName: string;
  round: number | null;
  tlp: string;
}

export async function getBatch(db: Queryable, id: number): Promise<BatchHeader | undefined> {
  const r = await db.query(
    `SELECT b.id, b.list_id, b.member_id, b.entries, l.campaign_id, c.name AS campaign_name, l.round, l.tlp
       FROM batches b JOIN lists l ON l.id = b.list_id JOIN campaigns c ON c.id = l.campaign_id WHERE b.id = $1`, [id]);
  const b = r.rows[0];
  return b && { id: Number(b.id), listId: Number(b.list_id), memberId: b.member_id, entries: b.entries, campaignId: b.campaign_id, campaignName: b.campaign_name, round: b.round, tlp: b.tlp };
}

/** A batch's entries in file order, a page at a time (keyset on seq): a big batch never sits in memory. */
export async function* batchEntries(db: Queryable, batch: BatchHeader, pageSize = 5000): AsyncGenerator<BatchEntry[]> {
  let after = 0;
  for (;;) {
    const r = await db.query(
      `SELECT e.id, host(e.ip) AS ip, e.port, e.observed_at, e.malware, e.seq
         FROM routes r JOIN entries e ON e.list_id = r.list_id AND e.seq = r.seq
        WHERE r.list_id = $1 AND r.member_id = $2 AND r.state = 'delivered' AND r.seq > $3
        ORDER BY r.seq LIMIT $4`,
      [batch.listId, batch.memberId, after, pageSize]);
    if (r.rowCount === 0) return;
    after = r.rows[r.rows.length - 1].seq;
    yield r.rows.map((e) => ({ entryId: Number(e.id), ip: e.ip, port: e.port, observedAt: e.observed_at, malware: e.malware }));
    if (r.rowCount! < pageSize) return;
  }
}
