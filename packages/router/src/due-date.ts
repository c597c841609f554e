/** Due date: `days` calendar days after release, at 23:59:59 JST. (Business days: see the delivery issue.) */
export function dueDate(release: Date, days: number): Date {
  const jstMidnight = Math.floor((release.getTime() + 9 * 3_600_000) / 86_400_000) * 86_400_000 - 9 * 3_600_000;
  return new Date(jstMidnight + (days + 1) * 86_400_000 - 1000);
}
