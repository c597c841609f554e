import { type Payload, UnrecoverableError } from '@deliveryline/shared';
import type { RouterDeps } from './route-list.job';
import type { Mailer } from './mailer';
import { batchReadyMail } from './batch-email';

/**
 * Tells a member's contacts that its batch is ready: exactly one message per batch. The batch row
 * stays locked while the message is sent, so a second run of the job waits and then sees it sent.
 * Every attempt, failed or not, is recorded in `deliveries`.
 */
export async function notifyBatch(p: Payload<'router.notify-batch'>, deps: RouterDeps & { mailer: Mailer }, attempt = 1): Promise<void> {
  const { pool } = deps;
  const client = await pool.connect();
  let failure: { recipients: string[]; response: string } | undefined;
  try {
    await client.query('BEGIN');
    const b = (await client.query(
      `SELECT b.*, m.name AS member_name, m.contact_emails, c.name AS campaign_name, l.round, l.tlp
         FROM batches b JOIN members m ON m.id = b.member_id JOIN lists l ON l.id = b.list_id JOIN campaigns c ON c.id = l.campaign_id
        WHERE b.id = $1 FOR UPDATE OF b`, [p.batchId])).rows[0];
    if (!b) throw new UnrecoverableError(`batch ${p.batchId} does not exist`);
    if (b.notified_at) {
      await client.query('ROLLBACK');
      return;
    }
    const to: string[] = b.contact_emails ?? [];
    if (to.length === 0) {
      await client.query(
        `INSERT INTO deliveries (batch_id, channel, attempt, recipients, status, response) VALUES ($1, 'email', $2, '{}', 'failed', $3)`,
        [b.id, attempt, 'the member has no contact e-mail address']);
      await client.query('COMMIT');
      throw new UnrecoverableError(`member ${b.member_id} has no contact e-mail address; batch ${b.id} was not announced`);
    }
    const mail = batchReadyMail({
      batchId: Number(b.id), memberName: b.member_name, campaignName: b.campaign_name, listId: Number(b.list_id),
      round: b.round, entries: b.entries, tlp: b.tlp, dueAt: b.due_at, portalUrl: deps.env.publicUrl,
    }, to);
    let sent;
    try {
      sent = await deps.mailer.send(mail);
    } catch (err) {
      failure = { recipients: to, response: (err as Error).message };
      throw err;
    }
    await client.query(
      `INSERT INTO deliveries (batch_id, channel, attempt, recipients, status, response, message_id) VALUES ($1, 'email', $2, $3, 'sent', $4, $5)`,
      [b.id, attempt, to, sent.response, sent.messageId]);
    await client.query(
      `UPDATE batches SET notified_at = now(), state = CASE WHEN state = 'ready' THEN 'notified' ELSE state END WHERE id = $1`, [b.id]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (failure) {
      await pool.query(
        `INSERT INTO deliveries (batch_id, channel, attempt, recipients, status, response) VALUES ($1, 'email', $2, $3, 'failed', $4)`,
        [p.batchId, attempt, failure.recipients, failure.response]).catch(() => undefined);
    }
    throw err;
  } finally {
    client.release();
  }
}
