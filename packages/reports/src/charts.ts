import type { CampaignReport } from './repositories/report.repository';
import { fmtHours, fmtInt, label, reasonLabel, type Lang } from './labels';
import type { TimeFigures } from './scope';
import type { DayCount, ReasonCount } from './repositories/series.repository';
import { COLORS, SMALL, emptyChart, frame, legend, niceTicks, text } from './svg';

const W = 680;

/** Grouped bars per round (and total is left out: it would dwarf the rounds): received, delivered, returned. */
export function roundsChart(r: CampaignReport, lang: Lang): string {
  const title = label(lang, 'chartRounds');
  if (!r.rounds.some((x) => x.received > 0)) return emptyChart(W, 120, title, label(lang, 'noData'));
  const H = 300,
    left = 70,
    top = 50,
    bottom = 40,
    plotH = H - top - bottom,
    plotW = W - left - 20;
  const series: [string, (x: CampaignReport['rounds'][number]) => number][] = [
    [label(lang, 'received'), (x) => x.received],
    [label(lang, 'delivered'), (x) => x.delivered],
    [label(lang, 'returned'), (x) => x.returned],
  ];
  const ticks = niceTicks(Math.max(...r.rounds.map((x) => x.received)));
  const max = ticks[ticks.length - 1];
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const group = plotW / r.rounds.length,
    bar = Math.min(40, (group * 0.75) / 3);
  let body = ticks
    .map(
      (t) =>
        `<line x1="${left}" x2="${W - 20}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/>` +
        text(left - 6, y(t) + 4, fmtInt(t, lang), 'text-anchor="end" fill="#555"'),
    )
    .join('');
  r.rounds.forEach((rd, i) => {
    const gx = left + i * group + (group - bar * 3) / 2;
    series.forEach(([name, f], k) => {
      const v = f(rd),
        bx = gx + k * bar;
      body += `<rect x="${bx.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${COLORS[k]}"><title>${name}: ${fmtInt(v, lang)}</title></rect>`;
      if (r.rounds.length <= 8)
        body += text(bx + bar / 2 - 1, y(v) - 3, fmtInt(v, lang), `text-anchor="middle" font-size="${SMALL}" fill="#333"`);
    });
    body += text(
      left + i * group + group / 2,
      H - bottom + 16,
      rd.round != null ? label(lang, 'round', { n: rd.round }) : label(lang, 'list', { n: rd.listId }),
      'text-anchor="middle" fill="#333"',
    );
  });
  body += `<line x1="${left}" x2="${W - 20}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`;
  body += legend(
    left,
    40,
    series.map(([name], k) => [COLORS[k], name]),
  );
  const desc = r.rounds.map((x) => `${x.round ?? x.listId}: ${series.map(([n, f]) => `${n} ${f(x)}`).join(', ')}`).join('; ');
  return frame(W, H, title, desc, body);
}

/** Cumulative notified per day (JST), as a step line from the first day with a notification. */
export function notifiedChart(days: DayCount[], lang: Lang): string {
  const title = label(lang, 'chartNotified');
  if (!days.length) return emptyChart(W, 120, title, label(lang, 'noData'));
  const H = 260,
    left = 70,
    top = 40,
    bottom = 40,
    plotH = H - top - bottom,
    plotW = W - left - 30;
  const d0 = Date.parse(days[0].day),
    span = Math.max(1, (Date.parse(days[days.length - 1].day) - d0) / 864e5);
  const x = (day: string) => left + ((Date.parse(day) - d0) / 864e5 / span) * plotW;
  const ticks = niceTicks(days[days.length - 1].cumulative);
  const max = ticks[ticks.length - 1];
  const y = (v: number) => top + plotH - (v / max) * plotH;
  let body = ticks
    .map(
      (t) =>
        `<line x1="${left}" x2="${W - 30}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/>` +
        text(left - 6, y(t) + 4, fmtInt(t, lang), 'text-anchor="end" fill="#555"'),
    )
    .join('');
  let path = `M${left},${y(0)}`;
  for (const d of days) path += ` H${x(d.day).toFixed(1)} V${y(d.cumulative).toFixed(1)}`;
  path += ` H${W - 30}`;
  body += `<path d="${path}" fill="none" stroke="${COLORS[1]}" stroke-width="2.5"/>`;
  for (const d of days)
    body += `<circle cx="${x(d.day).toFixed(1)}" cy="${y(d.cumulative).toFixed(1)}" r="3" fill="${COLORS[1]}"><title>${d.day}: ${fmtInt(d.cumulative, lang)}</title></circle>`;
  const labelled = days.length <= 8 ? days : [days[0], days[Math.floor(days.length / 2)], days[days.length - 1]];
  for (const d of labelled) body += text(x(d.day), H - bottom + 16, d.day.slice(5), 'text-anchor="middle" fill="#333"');
  const last = days[days.length - 1];
  body += text(W - 34, y(last.cumulative) - 6, fmtInt(last.cumulative, lang), 'text-anchor="end" font-weight="bold" fill="#222"');
  body += `<line x1="${left}" x2="${W - 30}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`;
  const desc = days.map((d) => `${d.day}: ${d.cumulative}`).join('; ');
  return frame(W, H, title, desc, body);
}

export interface TimesRow {
  label: string;
  toFirstDownload: TimeFigures;
  toOutcome: TimeFigures;
}

/** Per member: a bar to the median and a whisker to p90, for release → download and release → outcome. */
export function timesChart(rows: TimesRow[], lang: Lang): string {
  const title = label(lang, 'chartTimes');
  // members with no download or outcome yet have no time to draw: axes over nothing say nothing
  if (!rows.some((r) => r.toFirstDownload.medianSeconds != null || r.toOutcome.medianSeconds != null))
    return emptyChart(W, 120, title, label(lang, 'noData'));
  const left = 175,
    top = 50,
    rowH = 30,
    H = top + rows.length * rowH + 40,
    plotW = W - left - 70;
  const maxS = Math.max(1, ...rows.flatMap((r) => [r.toFirstDownload.p90Seconds ?? 0, r.toOutcome.p90Seconds ?? 0]));
  // whole hours at least: times of seconds would otherwise be drawn in steps of 0.0001 h
  const ticks = niceTicks(Math.max(1, maxS / 3600));
  const max = ticks[ticks.length - 1] * 3600;
  const x = (s: number) => left + (s / max) * plotW;
  let body = ticks
    .map(
      (t) =>
        `<line x1="${x(t * 3600)}" x2="${x(t * 3600)}" y1="${top - 4}" y2="${H - 36}" stroke="#ddd"/>` +
        text(x(t * 3600), H - 22, t, 'text-anchor="middle" fill="#555"'),
    )
    .join('');
  body += text(left + plotW / 2, H - 6, label(lang, 'hours'), 'text-anchor="middle" fill="#333"');
  rows.forEach((r, i) => {
    const yy = top + i * rowH;
    body += text(left - 8, yy + 15, r.label.length > 24 ? r.label.slice(0, 23) + '…' : r.label, 'text-anchor="end" fill="#222"');
    (
      [
        [r.toFirstDownload, 0, label(lang, 'toDownload')],
        [r.toOutcome, 1, label(lang, 'toOutcome')],
      ] as const
    ).forEach(([t, k, name]) => {
      const by = yy + 3 + k * 12;
      if (t.medianSeconds == null) return;
      body += `<rect x="${left}" y="${by}" width="${Math.max(1, x(t.medianSeconds) - left).toFixed(1)}" height="10" fill="${COLORS[k]}"><title>${name}: ${label(lang, 'median')} ${fmtHours(t.medianSeconds, lang)}, ${label(lang, 'p90')} ${fmtHours(t.p90Seconds, lang)}</title></rect>`;
      if (t.p90Seconds != null)
        body += `<line x1="${x(t.medianSeconds).toFixed(1)}" x2="${x(t.p90Seconds).toFixed(1)}" y1="${by + 5}" y2="${by + 5}" stroke="#333"/><line x1="${x(t.p90Seconds).toFixed(1)}" x2="${x(t.p90Seconds).toFixed(1)}" y1="${by + 1}" y2="${by + 9}" stroke="#333"/>`;
      body += text(x(t.p90Seconds ?? t.medianSeconds) + 4, by + 9, fmtHours(t.medianSeconds, lang), `font-size="${SMALL}" fill="#333"`);
    });
  });
  body += legend(left, 40, [
    [COLORS[0], label(lang, 'toDownload')],
    [COLORS[1], label(lang, 'toOutcome')],
  ]);
  const desc = rows
    .map(
      (r) =>
        `${r.label}: ${label(lang, 'toDownload')} ${fmtHours(r.toFirstDownload.medianSeconds, lang)} / ${fmtHours(r.toFirstDownload.p90Seconds, lang)}, ${label(lang, 'toOutcome')} ${fmtHours(r.toOutcome.medianSeconds, lang)} / ${fmtHours(r.toOutcome.p90Seconds, lang)}`,
    )
    .join('; ');
  return frame(W, H, title, desc, body);
}

/** Returned entries by reason, largest first, with counts and shares. */
export function reasonsChart(reasons: ReasonCount[], lang: Lang): string {
  const title = label(lang, 'chartReasons');
  if (!reasons.some((r) => r.entries > 0)) return emptyChart(W, 120, title, label(lang, 'noData'));
  const left = 200,
    top = 36,
    rowH = 26,
    H = top + reasons.length * rowH + 14,
    plotW = W - left - 130;
  const total = reasons.reduce((s, r) => s + r.entries, 0),
    max = Math.max(...reasons.map((r) => r.entries));
  let body = '';
  reasons.forEach((r, i) => {
    const yy = top + i * rowH,
      w = (r.entries / max) * plotW,
      name = reasonLabel(lang, r.reason);
    body += text(left - 8, yy + 14, name, 'text-anchor="end" fill="#222"');
    body += `<rect x="${left}" y="${yy + 2}" width="${Math.max(1, w).toFixed(1)}" height="16" fill="${COLORS[2]}"><title>${name}: ${fmtInt(r.entries, lang)}</title></rect>`;
    body += text(left + w + 6, yy + 14, `${fmtInt(r.entries, lang)} (${((r.entries * 100) / total).toFixed(1)}%)`, 'fill="#333"');
  });
  return frame(W, H, title, reasons.map((r) => `${reasonLabel(lang, r.reason)}: ${r.entries}`).join('; '), body);
}
