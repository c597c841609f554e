import holidayJp from '@holiday-jp/holiday_jp';

/**
 * Japanese business days, in JST. A day is a business day unless it is a Saturday, a Sunday, a
 * national holiday (including substitute and citizens' holidays, from @holiday-jp/holiday_jp,
 * maintained from the Cabinet Office's list) or part of the year-end break 12/29–1/3, which
 * government offices and most ISPs' abuse desks observe (行政機関の休日に関する法律 第1条).
 */
const JST_MS = 9 * 3_600_000;
const DAY_MS = 86_400_000;
const holidays = holidayJp.holidays as Record<string, unknown>;

/** The JST calendar day of an instant, as a day number (days since 1970-01-01 JST). */
export const jstDayNumber = (d: Date): number => Math.floor((d.getTime() + JST_MS) / DAY_MS);
const dayKey = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

export function isBusinessDay(day: number): boolean {
  const weekday = new Date(day * DAY_MS).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  const key = dayKey(day);
  const md = key.slice(5);
  if (md >= '12-29' || md <= '01-03') return false;
  return !(key in holidays);
}

/** Why a JST day is not a business day, for messages and docs; undefined on a business day. */
export function closedBecause(day: number): string | undefined {
  const weekday = new Date(day * DAY_MS).getUTCDay();
  if (weekday === 0 || weekday === 6) return 'weekend';
  const h = holidays[dayKey(day)] as { name?: string; name_en?: string } | undefined;
  if (h) return `${h.name} / ${h.name_en}`;
  const md = dayKey(day).slice(5);
  if (md >= '12-29' || md <= '01-03') return 'year-end break / 年末年始';
  return undefined;
}

/** The JST day `n` business days after the day of `from` (the day of `from` itself does not count). */
export function addBusinessDays(from: Date, n: number): number {
  let day = jstDayNumber(from);
  for (let left = n; left > 0;) {
    day += 1;
    if (isBusinessDay(day)) left -= 1;
  }
  return day;
}

/** Business days strictly after the JST day of `from`, up to and including the JST day of `to`. */
export function businessDaysBetween(from: Date, to: Date): number {
  const a = jstDayNumber(from);
  const b = jstDayNumber(to);
  let n = 0;
  for (let d = a + 1; d <= b; d++) if (isBusinessDay(d)) n++;
  return b >= a ? n : -businessDaysBetween(to, from);
}

/** The end (23:59:59 JST) of a JST day number. */
export const endOfJstDay = (day: number): Date => new Date((day + 1) * DAY_MS - JST_MS - 1000);

/** Due date: `days` Japanese business days after release, at 23:59:59 JST on the last of them. */
export function dueDate(release: Date, days: number): Date {
  return endOfJstDay(addBusinessDays(release, days));
}

/** `YYYY-MM-DD (曜) HH:MM JST`, the form every message uses. */
export function formatJst(d: Date): string {
  const s = new Date(d.getTime() + JST_MS).toISOString();
  const wd = '日月火水木金土'[new Date(d.getTime() + JST_MS).getUTCDay()];
  return `${s.slice(0, 10)} (${wd}) ${s.slice(11, 16)} JST`;
}
