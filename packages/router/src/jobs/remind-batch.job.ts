import { type Payload, JOBS } from '@deliveryline/shared';
import type { Mailer } from '../delivery/mailer';
import { reminderMail } from '../delivery/batch-email';
import type { RemindDeps } from './remind.job';
import { reminderDue, DEFAULT_REMINDER_POLICY } from '../delivery/reminder-policy';
import { recordAttempt } from '../repositories/delivery.repository';
import { describeFailure } from '../delivery/send-failure';
import { withLockedBatch, AttemptFailure } from '../delivery/locked-attempt';
import { markReminded } from '../repositories/notice.repository';

/**
 * One reminder e-mail for one batch, to all the member's contacts. The decision is taken again
 * under the batch's row lock, so two sweeps, a retry or a concurrent worker never send two
 * reminders within the interval. Attempts are recorded in `deliveries` (kind `reminder`).
 */
export async function remindBatch(p: Payload<'router.remind-batch'>, deps: RemindDeps & { mailer: Mailer }, attempt = 1): Promise<void> {
  const now = deps.now?.() ?? new Date();
  await withLockedBatch(deps.pool, p.batchId, async (tx, b) => {
    const why = reminderDue(b, now, deps.reminderPolicy ?? DEFAULT_REMINDER_POLICY);
    if (!why || b.contacts.length === 0) return;
    const base = { batchId: b.id, channel: 'email', kind: 'reminder', attempt, recipients: b.contacts } as const;
    let sent;
    try {
      sent = await deps.mailer.send(
        reminderMail(
          { ...b.facts, portalUrl: deps.env.publicUrl, open: b.open, downloaded: !!b.firstDownloadedAt, overdue: why === 'overdue' },
          b.contacts,
        ),
      );
    } catch (err) {
      throw new AttemptFailure(
        { ...base, status: 'failed', response: describeFailure(err), final: attempt >= JOBS['router.remind-batch'].attempts },
        err,
      );
    }
    await recordAttempt(tx, { ...base, status: 'sent', response: `${why}: ${sent.response}`, messageId: sent.messageId, final: true });
    await markReminded(tx, b.id, now);
  });
}
