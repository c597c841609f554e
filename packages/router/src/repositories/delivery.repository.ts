import type { Queryable } from '@deliveryline/shared';
import type { BatchMailFacts, MailLanguage } from '../delivery/batch-email';

/** What every message about a batch says, read in one query (with the batch row locked when asked). */
export interface BatchDeliveryRow {
  id: number;
  listId: number;
  memberId: string;
  state: string;
  notifiedAt: Date | null;
  firstDownloadedAt: Date | null;
  webhookSentAt: Date | null;
  lastRemindedAt: Date | null;
  dueAt: Date | null;
  contacts: string[];
  webhookUrl: string | null;
  webhookSecret: string | null;
  open: number;
  facts: Omit<BatchMailFacts, 'portalUrl'>;
}

/**
 * With `lock`, the batch row is held `FOR NO KEY UPDATE`: a second attempt waits, while the
 * attempt's own `deliveries` row (written on another connection before the send, its foreign key
 * taking `FOR KEY SHARE`) does not — `FOR UPDATE` would make it wait for its own transaction.
 */
export async function loadBatchForDelivery(
  db: Queryable,
  batchId: number,
  opts: { lock?: boolean } = {},
): Promise<BatchDeliveryRow | undefined> {
  const b = (
    await db.query(
      `SELECT b.*, m.name AS member_name, m.contact_emails, m.language, m.webhook_url, m.webhook_secret,
            c.name AS campaign_name, l.round, l.tlp, CASE WHEN s.anonymous THEN NULL ELSE s.name END AS source_name,
            (SELECT count(*)::int FROM batch_entries be WHERE be.batch_id = b.id AND be.relapse_of IS NOT NULL) AS relapses,
            b.entries - (SELECT count(DISTINCT o.entry_id)::int FROM outcomes o WHERE o.batch_id = b.id) AS open
       FROM batches b JOIN members m ON m.id = b.member_id JOIN lists l ON l.id = b.list_id
       JOIN campaigns c ON c.id = l.campaign_id JOIN sources s ON s.id = l.source_id
      WHERE b.id = $1 ${opts.lock ? 'FOR NO KEY UPDATE OF b' : ''}`,
      [batchId],
    )
  ).rows[0];
  if (!b) return undefined;
  return {
    id: Number(b.id),
    listId: Number(b.list_id),
    memberId: b.member_id,
    state: b.state,
    notifiedAt: b.notified_at,
    firstDownloadedAt: b.first_downloaded_at,
    webhookSentAt: b.webhook_sent_at,
    lastRemindedAt: b.last_reminded_at,
    dueAt: b.due_at,
    contacts: b.contact_emails ?? [],
    webhookUrl: b.webhook_url,
    webhookSecret: b.webhook_secret,
    open: b.open,
    facts: {
      batchId: Number(b.id),
      memberName: b.member_name,
      campaignName: b.campaign_name,
      listId: Number(b.list_id),
      round: b.round,
      entries: b.entries,
      tlp: b.tlp,
      dueAt: b.due_at,
      sourceName: b.source_name,
      language: b.language as MailLanguage,
      relapses: b.relapses,
    },
  };
}

export interface AttemptRecord {
  batchId: number;
  channel: 'email' | 'webhook';
  kind: 'ready' | 'reminder';
  attempt: number;
  recipients: readonly string[];
  /** `unknown`: the message may have reached the server (see attemptOutcome) */
  status: 'sent' | 'failed' | 'unknown';
  response: string;
  messageId?: string | null;
  final: boolean;
  /** the row written before the attempt (startAttempt): settled in place instead of a new row */
  id?: number;
}

/** Every attempt is a row in `deliveries`, sent, failed or unknown, with what the server answered. */
export async function recordAttempt(db: Queryable, a: AttemptRecord): Promise<void> {
  const values = [a.batchId, a.channel, a.kind, a.attempt, a.recipients, a.status, a.response.slice(0, 2000), a.messageId ?? null, a.final];
  if (a.id !== undefined) {
    await db.query(
      `UPDATE deliveries SET status = $3, response = $4, message_id = COALESCE($5, message_id), final = $6, at = now() WHERE id = $1 AND batch_id = $2`,
      [a.id, a.batchId, a.status, a.response.slice(0, 2000), a.messageId ?? null, a.final],
    );
    return;
  }
  await db.query(
    `INSERT INTO deliveries (batch_id, channel, kind, attempt, recipients, status, response, message_id, final)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    values,
  );
}

/**
 * Writes an attempt's row before the message goes out, committed at once and marked `unknown`
 * with the Message-ID it will carry: if the process dies while the server holds its reply, the
 * row stays and explains the second message that the retry sends.
 */
export async function startAttempt(db: Queryable, a: Omit<AttemptRecord, 'status' | 'response' | 'final' | 'id'>): Promise<number> {
  const r = await db.query(
    `INSERT INTO deliveries (batch_id, channel, kind, attempt, recipients, status, response, message_id, final)
     VALUES ($1, $2, $3, $4, $5, 'unknown', 'sending: no answer recorded (the process stopped, or is still waiting)', $6, false) RETURNING id`,
    [a.batchId, a.channel, a.kind, a.attempt, a.recipients, a.messageId ?? null],
  );
  return Number(r.rows[0].id);
}
