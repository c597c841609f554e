import { formatRate, hasText, t } from '@deliveryline/shared';
import { roundsChart, notifiedChart, reasonsChart, timesChart, type TimesRow } from './charts';
import { DEFINITIONS, fmtInt, label, type Lang } from './labels';
import type { CampaignStats, MemberFigures } from './scope';
import { renderPdf } from './pdf';
import { esc } from './svg';
import { campaignTable } from './table';

// FIRST's TLP 2.0 colours: the label must be read before anything else on the page.
const TLP: Record<string, { fg: string; bg: string }> = {
  red: { fg: '#FF2B2B', bg: '#000' },
  amber: { fg: '#FFC000', bg: '#000' },
  'amber+strict': { fg: '#FFC000', bg: '#000' },
  green: { fg: '#33FF00', bg: '#000' },
  clear: { fg: '#FFFFFF', bg: '#000' },
};

function fmtDate(iso: string | null, lang: Lang): string {
  if (!iso) return '–';
  return new Date(iso).toLocaleDateString(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  });
}

function tableHtml(s: CampaignStats, lang: Lang): string {
  const t = campaignTable(s.table, lang);
  const head = `<tr><th></th>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map((r) => `<tr class="${r.rate ? 'rate' : ''}"><th>${esc(r.label)}</th>${r.cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="figures">${head}${body}</table>`;
}

const hours = (s: number | null) => (s == null ? '–' : (Math.round(s / 360) / 10).toFixed(1));
const pair = (t: { medianSeconds: number | null; p90Seconds: number | null }) => `${hours(t.medianSeconds)} / ${hours(t.p90Seconds)}`;

/** A member's report: the other members as one anonymous row of medians (never names, never ids). */
function peersRow(s: CampaignStats, lang: Lang): string {
  const p = s.peers;
  if (!p) return '';
  const num = (v: number | null) => (v == null ? '–' : fmtInt(Math.round(v), lang));
  const pct = (v: number | null) => (v == null ? '–' : `${(Math.round(v * 1000) / 10).toFixed(1)}%`);
  return (
    `<tr class="peers"><th>${esc(label(lang, 'othersMedian'))} (n=${p.members})</th><td>${num(p.delivered.median)}</td><td>${num(p.reported.median)}</td>` +
    `<td>${num(p.notified.median)}</td><td>${num(p.unhandled.median)}</td><td>${pct(p.notifyRate.median)}</td><td>${num(p.overdueEntries.median)}</td>` +
    `<td>${hours(p.toFirstDownloadMedianSeconds.median)}</td><td>${hours(p.toOutcomeMedianSeconds.median)}</td></tr>`
  );
}

function membersHtml(ms: MemberFigures[], lang: Lang, extra = ''): string {
  const cols = ['member', 'delivered', 'reported', 'notified', 'unhandled', 'notifyRate', 'overdue', 'toDownload', 'toOutcome'] as const;
  const head = `<tr>${cols.map((c) => `<th>${esc(label(lang, c))}</th>`).join('')}</tr>`;
  const rows = ms
    .map(
      (m) =>
        `<tr><th>${esc(m.name)}</th><td>${fmtInt(m.delivered, lang)}</td><td>${fmtInt(m.reported, lang)}</td><td>${fmtInt(m.notified, lang)}</td>` +
        `<td>${fmtInt(m.unhandled, lang)}</td><td>${formatRate(m.notified, m.delivered)}</td><td>${fmtInt(m.overdueEntries, lang)}</td>` +
        `<td>${pair(m.toFirstDownload)}</td><td>${pair(m.toOutcome)}</td></tr>`,
    )
    .join('');
  return `<table class="members">${head}${rows}${extra}</table><p class="note">${esc(label(lang, 'toDownload'))}, ${esc(label(lang, 'toOutcome'))}: ${esc(label(lang, 'median'))} / ${esc(label(lang, 'p90'))} (${esc(label(lang, 'hours'))})</p>`;
}

/** The rows of the times chart as this reader may see them: names for coordinators, "you" and "others" for a member. */
export function timesRows(s: CampaignStats, lang: Lang): TimesRow[] {
  if (s.members) return s.members.map((m) => ({ label: m.name, toFirstDownload: m.toFirstDownload, toOutcome: m.toOutcome }));
  const rows: TimesRow[] = [];
  if (s.own) rows.push({ label: label(lang, 'you'), toFirstDownload: s.own.toFirstDownload, toOutcome: s.own.toOutcome });
  if (s.peers)
    rows.push({
      label: label(lang, 'othersMedian'),
      toFirstDownload: {
        n: s.peers.members,
        medianSeconds: s.peers.toFirstDownloadMedianSeconds.median,
        p90Seconds: s.peers.toFirstDownloadMedianSeconds.q3,
      },
      toOutcome: {
        n: s.peers.members,
        medianSeconds: s.peers.toOutcomeMedianSeconds.median,
        p90Seconds: s.peers.toOutcomeMedianSeconds.q3,
      },
    });
  return rows;
}

/** All four charts as SVG strings, for a dashboard page or the report. */
export function campaignCharts(s: CampaignStats, lang: Lang): { rounds: string; notified: string; times: string | null; reasons: string } {
  const rows = timesRows(s, lang);
  return {
    rounds: roundsChart(s.table, lang),
    notified: notifiedChart(s.notifiedByDay, lang),
    times: rows.length ? timesChart(rows, lang) : null,
    reasons: reasonsChart(s.returnsByReason, lang),
  };
}

const CSS = `@page { size: A4; margin: 16mm 12mm 14mm; }
body { font-family: IPAPGothic, 'IPA Pゴシック', IPAGothic, 'Noto Sans CJK JP', 'Hiragino Sans', Meiryo, sans-serif; color: #222; font-size: 10.5pt; margin: 0; }
.tlp { display: inline-block; font-weight: bold; font-size: 15pt; padding: 3px 12px; letter-spacing: .05em; }
header { display: flex; justify-content: space-between; align-items: flex-start; border-bottom: 2px solid #1f5fa8; padding-bottom: 6px; }
h1 { font-size: 17pt; margin: 0 0 4px; } h2 { font-size: 12.5pt; margin: 16px 0 6px; color: #1f5fa8; }
.meta { color: #444; margin: 2px 0; }
table { border-collapse: collapse; width: 100%; margin: 4px 0; }
th, td { border: 1px solid #bbb; padding: 3px 6px; } td { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #eef3f9; text-align: left; font-weight: normal; } table.figures tr:first-child th, table.members tr:first-child th { text-align: center; font-weight: bold; }
tr.rate td { font-weight: bold; } .note, footer { color: #555; font-size: 9pt; }
/* one chart across the page: at half width its labels printed at about 5 pt (svg.ts SMALL) */
.charts { display: grid; grid-template-columns: minmax(0, 1fr); gap: 8px; margin-top: 10px; }
.charts svg { break-inside: avoid; }
.charts svg { display: block; box-sizing: border-box; width: 100%; height: auto; border: 1px solid #ddd; }
table.members th:first-child { white-space: nowrap; } tr.peers th, tr.peers td { color: #555; font-style: italic; } table.members td { white-space: nowrap; }
section { break-inside: avoid; } footer { margin-top: 12px; border-top: 1px solid #ccc; padding-top: 4px; }`;

/** The TLP label as a small page header, for renderPdf's pageHeader (every printed page carries it). */
export function tlpPageHeader(tlp: string): string {
  const c = TLP[tlp] ?? TLP.amber;
  return `<span style="color:${c.fg};background:${c.bg};font-weight:bold;padding:1px 6px;font-family:sans-serif">TLP:${esc(tlp.toUpperCase())}</span>`;
}

/** The report as a PDF: the page printed by Chromium with the TLP label on every page and page numbers. */
export function renderReportPdf(s: CampaignStats, lang: Lang): Promise<Buffer> {
  return renderPdf(renderReportHtml(s, lang), { pageHeader: tlpPageHeader(s.campaign.tlp) });
}

/** The printable report for management: TLP label, period, the table, the charts, per-member figures as the scope allows. */
export function renderReportHtml(s: CampaignStats, lang: Lang): string {
  const tlp = TLP[s.campaign.tlp] ?? TLP.amber;
  const tlpLabel = `<span class="tlp" style="color:${tlp.fg};background:${tlp.bg}">TLP:${esc(s.campaign.tlp.toUpperCase())}</span>`;
  const note = hasText(`stats.tlp.${s.campaign.tlp}`) ? t(lang, `stats.tlp.${s.campaign.tlp}`) : '';
  const c = campaignCharts(s, lang);
  const members = s.members?.length
    ? `<section><h2>${esc(label(lang, 'perMember'))}</h2>${membersHtml(s.members, lang)}</section>`
    : s.own
      ? `<section><h2>${esc(label(lang, 'perMember'))}</h2>${membersHtml([{ ...s.own, name: label(lang, 'you') }], lang, peersRow(s, lang))}</section>`
      : '';
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${esc(label(lang, 'reportTitle'))}: ${esc(s.campaign.name)}</title><style>${CSS}</style></head><body>
<header><div><h1>${esc(label(lang, 'reportTitle'))}</h1>
<p class="meta">${esc(label(lang, 'campaign'))}: <b>${esc(s.campaign.name)}</b> (${esc(s.campaign.id)})</p>
<p class="meta" id="period">${esc(label(lang, 'period'))}: ${fmtDate(s.campaign.from, lang)} – ${fmtDate(s.campaign.to, lang)} (JST)</p>
<p class="meta">${esc(label(lang, 'generated'))}: ${fmtDate(s.generatedAt, lang)}</p></div>
<div style="text-align:right">${tlpLabel}<p class="note">${esc(label(lang, 'tlpNote'))}${esc(note)}</p></div></header>
<section>${tableHtml(s, lang)}</section>
<div class="charts">${c.rounds}${c.notified}${c.reasons}${c.times ?? ''}</div>
${members}
<footer><b>${esc(label(lang, 'definitions'))}</b>: ${DEFINITIONS[lang].map(esc).join(' / ')}</footer>
</body></html>`;
}
