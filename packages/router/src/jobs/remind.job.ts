import { type Payload, enqueue } from '@deliveryline/shared';
import type { RouterDeps } from '../deps';
import { reminderDue, DEFAULT_REMINDER_POLICY, type ReminderPolicy } from '../delivery/reminder-policy';
import { jstDayNumber } from '../delivery/due-date';
import { openBatches } from '../repositories/notice.repository';

export type RemindDeps = RouterDeps & { now?: () => Date; reminderPolicy?: ReminderPolicy };

export const jstDayKey = (d: Date) => new Date(jstDayNumber(d) * 86_400_000).toISOString().slice(0, 10);

/**
 * The scheduled sweep (a BullMQ job scheduler runs it every hour, see worker.ts): finds open
 * batches that need a reminder and enqueues one `router.remind-batch` per batch, with the JST
 * day in its job id, so a batch gets at most one reminder job a day however often this runs;
 * the interval between reminders is then checked again under the batch's lock.
 */
export async function remind(p: Payload<'router.remind'>, deps: RemindDeps): Promise<void> {
  const now = p.at ? new Date(p.at) : (deps.now?.() ?? new Date());
  const policy = deps.reminderPolicy ?? DEFAULT_REMINDER_POLICY;
  const open = await openBatches(deps.pool);
  let n = 0;
  let overdue = 0;
  for (const b of open) {
    const why = reminderDue(
      {
        state: b.state,
        notifiedAt: b.notified_at,
        firstDownloadedAt: b.first_downloaded_at,
        dueAt: b.due_at,
        lastRemindedAt: b.last_reminded_at,
        open: b.open,
      },
      now,
      policy,
    );
    if (why === 'overdue') overdue++;
    if (!why) continue;
    await enqueue(deps.queues, 'router.remind-batch', { batchId: Number(b.id), day: jstDayKey(now) });
    n++;
  }
  deps.log.info({ reminders: n, overdue }, 'reminder sweep');
}
