import { addBusinessDays, businessDaysBetween, dueDate, isBusinessDay, jstDayNumber, closedBecause, formatJst } from './due-date';

const day = (iso: string) => jstDayNumber(new Date(`${iso}T12:00:00+09:00`));

describe('Japanese business days (JST)', () => {
  it('skips weekends, national holidays and the year-end break', () => {
    expect(isBusinessDay(day('2025-05-02'))).toBe(true); // Friday between Golden Week holidays
    expect(isBusinessDay(day('2025-05-03'))).toBe(false); // 憲法記念日 (Saturday)
    expect(isBusinessDay(day('2025-05-06'))).toBe(false); // 振替休日
    expect(isBusinessDay(day('2025-01-13'))).toBe(false); // 成人の日
    expect(isBusinessDay(day('2024-12-30'))).toBe(false); // year-end break, a Monday
    expect(isBusinessDay(day('2025-01-06'))).toBe(true);
    expect(closedBecause(day('2025-01-13'))).toContain('成人の日');
  });

  it('counts the due date across Golden Week', () => {
    // Released Thursday 2025-05-01 10:00 JST: business days after it are 5/2, 5/7, 5/8 ...
    const due = dueDate(new Date('2025-05-01T10:00:00+09:00'), 3);
    expect(due.toISOString()).toBe('2025-05-08T14:59:59.000Z'); // 2025-05-08 23:59:59 JST
    expect(formatJst(due)).toBe('2025-05-08 (木) 23:59 JST');
  });

  it('uses the JST day, not the UTC day, of the release', () => {
    // 2025-05-01T16:00Z is already Friday 5/2 in Tokyo: one business day later is Wednesday 5/7.
    expect(addBusinessDays(new Date('2025-05-01T16:00:00Z'), 1)).toBe(day('2025-05-07'));
    expect(addBusinessDays(new Date('2025-05-01T14:00:00Z'), 1)).toBe(day('2025-05-02'));
  });

  it('measures business days between two instants, in either order', () => {
    const a = new Date('2024-12-27T09:00:00+09:00'); // Friday before the year-end break
    const b = new Date('2025-01-07T09:00:00+09:00');
    expect(businessDaysBetween(a, b)).toBe(2); // 1/6 and 1/7
    expect(businessDaysBetween(b, a)).toBe(-2);
    expect(businessDaysBetween(a, a)).toBe(0);
  });

  it('agrees with a day-by-day reference over ten years', () => {
    const start = new Date('2020-01-01T00:00:00+09:00');
    for (let n = 1; n <= 30; n += 7) {
      const end = addBusinessDays(start, n);
      let count = 0;
      for (let d = jstDayNumber(start) + 1; d <= end; d++)
        if ([1, 2, 3, 4, 5].includes(new Date(d * 86_400_000).getUTCDay()) && isBusinessDay(d)) count++;
      expect(count).toBe(n);
      expect(isBusinessDay(end)).toBe(true);
    }
  });
});
