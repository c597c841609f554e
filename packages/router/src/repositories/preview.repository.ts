import type { Queryable } from '@deliveryline/shared';
import type { MailLanguage } from '../delivery/batch-email';

/** The SQL of a release preview and its test sends (delivery/preview.ts). */

export interface PreviewHead {
  campaign_name: string;
  due_days: number;
  /** null when the source is anonymous */
  source_name: string | null;
}

/** The list's campaign name, due days (the campaign's, else `defaultDueDays`) and source name. */
export async function previewHead(db: Queryable, listId: number, defaultDueDays: number): Promise<PreviewHead> {
  const r = await db.query(
    `SELECT c.name AS campaign_name, coalesce(c.due_days, $2::int) AS due_days, CASE WHEN s.anonymous THEN NULL ELSE s.name END AS source_name
       FROM lists l JOIN campaigns c ON c.id = l.campaign_id JOIN sources s ON s.id = l.source_id WHERE l.id = $1`,
    [listId, defaultDueDays],
  );
  return r.rows[0];
}

export interface PreviewMemberRow {
  member_id: string;
  name: string;
  contact_emails: string[] | null;
  language: MailLanguage;
  webhook: boolean;
  entries: number;
  relapses: number;
}

/** Per member: the delivered entries the release would give it and how many are relapses. */
export async function previewMembers(db: Queryable, listId: number): Promise<PreviewMemberRow[]> {
  const r = await db.query(
    `SELECT r.member_id, m.name, m.contact_emails, m.language, m.webhook_url IS NOT NULL AS webhook, count(*)::int AS entries,
            count(*) FILTER (WHERE EXISTS (
              SELECT 1 FROM entries e2 WHERE e2.ip = e.ip AND e2.observed_at < e.observed_at AND e2.list_id <> e.list_id
                 AND (SELECT o.outcome FROM outcomes o WHERE o.entry_id = e2.id AND o.member_id = r.member_id ORDER BY o.id DESC LIMIT 1) = 'notified'))::int AS relapses
       FROM routes r JOIN entries e ON e.list_id = r.list_id AND e.seq = r.seq JOIN members m ON m.id = r.member_id
      WHERE r.list_id = $1 AND r.state = 'delivered' GROUP BY r.member_id, m.name, m.contact_emails, m.language, m.webhook_url ORDER BY r.member_id`,
    [listId],
  );
  return r.rows;
}

export interface PreviewEntryRow {
  member_id: string;
  ip: string;
  port: number | null;
  observed_at: Date;
  malware: string | null;
}

/** The first `rows` delivered entries of each member, in list order. */
export async function previewFirstEntries(db: Queryable, listId: number, rows: number): Promise<PreviewEntryRow[]> {
  const r = await db.query(
    `SELECT member_id, ip, port, observed_at, malware FROM (
       SELECT r.member_id, host(e.ip) AS ip, e.port, e.observed_at, e.malware, r.seq,
              row_number() OVER (PARTITION BY r.member_id ORDER BY r.seq) AS n
         FROM routes r JOIN entries e ON e.list_id = r.list_id AND e.seq = r.seq
        WHERE r.list_id = $1 AND r.state = 'delivered') x
      WHERE n <= $2 ORDER BY member_id, seq`,
    [listId, rows],
  );
  return r.rows;
}

export async function recordReleaseTest(
  db: Queryable,
  t: { listId: number; memberId: string; to: string; status: string; response: string | null; messageId: string | null; actor: string },
): Promise<void> {
  await db.query(
    `INSERT INTO release_tests (list_id, member_id, recipient, status, response, message_id, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [t.listId, t.memberId, t.to, t.status, t.response, t.messageId, t.actor],
  );
}
