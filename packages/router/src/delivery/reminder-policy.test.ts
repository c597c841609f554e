import { reminderDue, inOfficeHours, DEFAULT_REMINDER_POLICY, type ReminderState } from './reminder-policy';

const jst = (s: string) => new Date(`${s}+09:00`);
const batch = (o: Partial<ReminderState> = {}): ReminderState => ({
  state: 'notified',
  notifiedAt: jst('2025-04-24T10:00:00'),
  firstDownloadedAt: null,
  dueAt: jst('2025-05-15T23:59:59'),
  lastRemindedAt: null,
  open: 10,
  ...o,
});

describe('reminderDue', () => {
  it('reminds a batch not downloaded three business days after it was announced, counting holidays out', () => {
    // Announced Thu 4/24; business days after: 4/25 (Fri), 4/28 (Mon), 4/29 is 昭和の日, 4/30 (Wed).
    expect(reminderDue(batch(), jst('2025-04-29T12:00:00'))).toBeUndefined();
    expect(reminderDue(batch(), jst('2025-04-30T12:00:00'))).toBe('not_downloaded');
  });

  it('reminds about open entries near and past the due date, not before', () => {
    const downloaded = batch({ firstDownloadedAt: jst('2025-04-25T09:00:00'), state: 'downloaded' });
    expect(reminderDue(downloaded, jst('2025-05-12T12:00:00'))).toBeUndefined(); // 3 business days before
    expect(reminderDue(downloaded, jst('2025-05-13T12:00:00'))).toBe('due_soon');
    expect(reminderDue(downloaded, jst('2025-05-16T09:00:00'))).toBe('overdue');
  });

  it('stays quiet when every entry has an outcome, the batch is closed, or it was never announced', () => {
    const now = jst('2025-05-20T12:00:00');
    expect(reminderDue(batch({ open: 0 }), now)).toBeUndefined();
    expect(reminderDue(batch({ state: 'closed' }), now)).toBeUndefined();
    expect(reminderDue(batch({ notifiedAt: null }), now)).toBeUndefined();
  });

  it('reminds at most once per interval', () => {
    const last = jst('2025-05-16T10:00:00'); // Friday
    expect(reminderDue(batch({ lastRemindedAt: last }), jst('2025-05-19T12:00:00'))).toBeUndefined(); // 1 business day
    expect(reminderDue(batch({ lastRemindedAt: last }), jst('2025-05-20T12:00:00'), DEFAULT_REMINDER_POLICY)).toBe('overdue');
  });

  it('sends only on business days within office hours, JST', () => {
    expect(inOfficeHours(jst('2025-05-20T08:59:00'))).toBe(false);
    expect(inOfficeHours(jst('2025-05-20T09:00:00'))).toBe(true);
    expect(inOfficeHours(jst('2025-05-20T18:00:00'))).toBe(false);
    expect(inOfficeHours(jst('2025-05-05T12:00:00'))).toBe(false); // こどもの日
    expect(reminderDue(batch(), jst('2025-05-20T03:00:00'))).toBeUndefined();
    expect(reminderDue(batch(), jst('2025-05-20T10:00:00'))).toBe('overdue');
  });
});
