import { type Payload, JOBS, UnrecoverableError } from '@deliveryline/shared';
import type { RouterDeps } from '../deps';
import { markNotified, markNotifyFailed, noticeStopped } from '../repositories/notice.repository';
import type { Mailer } from '../delivery/mailer';
import { batchReadyMail } from '../delivery/batch-email';
import { recordAttempt, startAttempt } from '../repositories/delivery.repository';
import { attemptOutcome, describeFailure } from '../delivery/send-failure';
import { withLockedBatch, AttemptFailure } from '../delivery/locked-attempt';

/**
 * The batch's notice has one Message-ID, the same on every attempt, so a member's mail system
 * (and the member) can tell a repeat from a new notice.
 */
export function batchMessageId(batchId: number, listId: number, publicUrl: string): string {
  let host = 'deliveryline.invalid';
  try {
    host = new URL(publicUrl).hostname || host;
  } catch {
    // a bad PUBLIC_URL was refused at start; keep the default
  }
  return `<batch-${batchId}.list-${listId}.ready@${host}>`;
}

/**
 * Tells a member's contacts that its batch is ready: one message per batch, to all of the
 * member's contacts at once, **at least once**. The batch row stays locked while the message is
 * sent, so a second run of the job (retried, duplicated, or concurrent on another worker) waits
 * and then sees it sent. Each attempt's row in `deliveries` is written before the message goes
 * out (`unknown`) and settled after it with the server's answer: `sent`, `failed` (the server
 * refused, or no connection was made) or `unknown` (the connection broke once the message may
 * have reached the server). An attempt that is not `sent` throws, and BullMQ retries with
 * exponential backoff (catalog: 8 attempts from 2 s); the retry's message carries the same
 * Message-ID, so a second message a member may get is a recognisable repeat, and the record
 * explains it. The last attempt BullMQ will make is marked `final`.
 */
export async function notifyBatch(p: Payload<'router.notify-batch'>, deps: RouterDeps & { mailer: Mailer }, attempt = 1): Promise<void> {
  const lastAttempt = attempt >= JOBS['router.notify-batch'].attempts;
  const markFailed = (pool: RouterDeps['pool']) => markNotifyFailed(pool, p.batchId);
  await withLockedBatch(deps.pool, p.batchId, async (tx, b) => {
    if (b.notifiedAt) return;
    // a coordinator stopped this notice's retries (dline batches stop-notice)
    if (await noticeStopped(tx, b.id)) return;
    const to = b.contacts;
    const base = { batchId: b.id, channel: 'email', kind: 'ready', attempt, recipients: to, status: 'failed' } as const;
    if (to.length === 0) {
      throw new AttemptFailure(
        { ...base, response: 'the member has no contact e-mail address', final: true },
        new UnrecoverableError(
          `member ${b.memberId} has no contact e-mail address; batch ${b.id} was not announced (add one with: dline members import)`,
        ),
        markFailed,
      );
    }
    const messageId = batchMessageId(b.id, b.facts.listId, deps.env.publicUrl);
    // committed on its own at once: it outlives this transaction if the process dies mid-send
    const id = await startAttempt(deps.pool, { ...base, messageId });
    let sent;
    try {
      sent = await deps.mailer.send({ ...batchReadyMail({ ...b.facts, portalUrl: deps.env.publicUrl }, to), messageId });
    } catch (err) {
      const status = attemptOutcome(err);
      deps.log.warn(
        { batchId: b.id, attempt, status, response: describeFailure(err) },
        'batch e-mail not sent; BullMQ retries with backoff',
      );
      throw new AttemptFailure(
        { ...base, id, status, messageId, response: describeFailure(err), final: lastAttempt },
        err,
        lastAttempt ? markFailed : undefined,
      );
    }
    await recordAttempt(tx, { ...base, id, status: 'sent', response: sent.response, messageId: sent.messageId, final: true });
    await markNotified(tx, b.id);
  });
}
