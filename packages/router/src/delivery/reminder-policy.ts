import { businessDaysBetween, isBusinessDay, jstDayNumber } from './due-date';

/**
 * When a member is reminded about a batch. All counts are Japanese business days (JST):
 * - not downloaded `notDownloadedDays` after it was announced;
 * - entries without an outcome when the due date is `dueSoonDays` away or has passed;
 * - never more often than once every `intervalDays`;
 * - and only sent on a business day within office hours (JST), so an abuse desk finds it at work
 *   rather than under a night's mail.
 */
export interface ReminderPolicy {
  notDownloadedDays: number;
  dueSoonDays: number;
  intervalDays: number;
  /** JST hours [from, to) in which reminders go out on business days */
  officeHours: [number, number];
}
export const DEFAULT_REMINDER_POLICY: ReminderPolicy = { notDownloadedDays: 3, dueSoonDays: 2, intervalDays: 2, officeHours: [9, 18] };

export function inOfficeHours(now: Date, hours: [number, number] = DEFAULT_REMINDER_POLICY.officeHours): boolean {
  const h = new Date(now.getTime() + 9 * 3_600_000).getUTCHours();
  return isBusinessDay(jstDayNumber(now)) && h >= hours[0] && h < hours[1];
}

export interface ReminderState {
  state: string;
  notifiedAt: Date | null;
  firstDownloadedAt: Date | null;
  dueAt: Date | null;
  lastRemindedAt: Date | null;
  open: number;
}

export type ReminderReason = 'not_downloaded' | 'due_soon' | 'overdue';

/** Why this batch should be reminded now, or undefined. */
export function reminderDue(b: ReminderState, now: Date, policy: ReminderPolicy = DEFAULT_REMINDER_POLICY): ReminderReason | undefined {
  if (b.state === 'closed' || !b.notifiedAt || b.open <= 0) return undefined;
  if (!inOfficeHours(now, policy.officeHours)) return undefined;
  if (b.lastRemindedAt && businessDaysBetween(b.lastRemindedAt, now) < policy.intervalDays) return undefined;
  if (b.dueAt && b.dueAt.getTime() < now.getTime()) return 'overdue';
  if (!b.firstDownloadedAt && businessDaysBetween(b.notifiedAt, now) >= policy.notDownloadedDays) return 'not_downloaded';
  if (b.dueAt && businessDaysBetween(now, b.dueAt) <= policy.dueSoonDays) return 'due_soon';
  return undefined;
}
