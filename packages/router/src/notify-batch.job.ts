import { type Payload, JOBS, UnrecoverableError } from '@deliveryline/shared';
import type { RouterDeps } from './route-list.job';
import type { Mailer } from './mailer';
import { batchReadyMail } from './batch-email';
import { recordAttempt, describeFailure } from './delivery/batch-facts';
import { withLockedBatch, AttemptFailure } from './delivery/locked-attempt';

/**
 * Tells a member's contacts that its batch is ready: exactly one message per batch, to all of
 * the member's contacts at once. The batch row stays locked while the message is sent, so a
 * second run of the job (retried, duplicated, or concurrent on another worker) waits and then
 * sees it sent. Every attempt, failed or not, is recorded in `deliveries` with the server's
 * answer; the last attempt BullMQ will make is marked `final`. A failure throws, and BullMQ
 * retries with exponential backoff (catalog: 8 attempts from 2 s).
 */
export async function notifyBatch(p: Payload<'router.notify-batch'>, deps: RouterDeps & { mailer: Mailer }, attempt = 1): Promise<void> {
  const lastAttempt = attempt >= JOBS['router.notify-batch'].attempts;
  const markFailed = (pool: RouterDeps['pool']) => pool.query(`UPDATE batches SET notify_failed_at = now() WHERE id = $1`, [p.batchId]);
  await withLockedBatch(deps.pool, p.batchId, async (tx, b) => {
    if (b.notifiedAt) return;
    // a coordinator stopped this notice's retries (dline batches stop-notice)
    if ((await tx.query('SELECT notify_stopped_at FROM batches WHERE id = $1', [b.id])).rows[0]?.notify_stopped_at) return;
    const to = b.contacts;
    const base = { batchId: b.id, channel: 'email', kind: 'ready', attempt, recipients: to, status: 'failed' } as const;
    if (to.length === 0) {
      throw new AttemptFailure({ ...base, response: 'the member has no contact e-mail address', final: true },
        new UnrecoverableError(`member ${b.memberId} has no contact e-mail address; batch ${b.id} was not announced (add one with: dline members import)`), markFailed);
    }
    let sent;
    try {
      sent = await deps.mailer.send(batchReadyMail({ ...b.facts, portalUrl: deps.env.publicUrl }, to));
    } catch (err) {
      deps.log.warn({ batchId: b.id, attempt, response: describeFailure(err) }, 'batch e-mail failed; BullMQ retries with backoff');
      throw new AttemptFailure({ ...base, response: describeFailure(err), final: lastAttempt }, err, lastAttempt ? markFailed : undefined);
    }
    await recordAttempt(tx, { ...base, status: 'sent', response: sent.response, messageId: sent.messageId, final: true });
    await tx.query(
      `UPDATE batches SET notified_at = now(), notify_failed_at = NULL, state = CASE WHEN state = 'ready' THEN 'notified' ELSE state END WHERE id = $1`, [b.id]);
  });
}
