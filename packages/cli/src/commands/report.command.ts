import fs from 'node:fs';
import type { Command } from 'commander';
import { formatRate, t as tr, type Lang } from '@deliveryline/shared';
import {
  campaignReport,
  campaignStats,
  campaignTable,
  campaignTableCsv,
  memberFigures,
  renderReportHtml,
  renderReportPdf,
  type CampaignReport,
  type MemberFigures,
} from '@deliveryline/reports';
import { withContext, print, say, CliError } from '../cli-context';

// East Asian wide characters take two columns in a terminal
const width = (s: string) =>
  [...s].reduce(
    (n, ch) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1),
    0,
  );
const pad = (s: string, w: number, left: boolean) =>
  left ? ' '.repeat(Math.max(0, w - width(s))) + s : s + ' '.repeat(Math.max(0, w - width(s)));

function grid(head: string[], rows: [string, string[]][]): string[] {
  const w0 = Math.max(...rows.map((r0) => width(r0[0]) + 2), width(head[0]) + 2, 10);
  const w = head.slice(1).map((c, i) => Math.max(width(c), ...rows.map((r0) => width(r0[1][i]))) + 2);
  const line = (label: string, cells: string[]) => pad(label, w0, false) + cells.map((c, i) => pad(c, w[i], true)).join('');
  return [line(head[0], head.slice(1)), ...rows.map(([l, c]) => line(l, c))];
}

/**
 * The published GOZ table's layout: one column per round and a total; received, delivered,
 * returned, handling rate, then rejected, duplicates, notified, not identified, unhandled,
 * notify rate. Without `lang`, each label is in English and Japanese.
 */
export function renderTable(r: CampaignReport, lang?: Lang): string {
  const t = campaignTable(r, lang);
  return [
    `campaign ${r.campaignId}`,
    ...grid(
      ['', ...t.columns],
      t.rows.map((x) => [x.label, x.cells]),
    ),
  ].join('\n');
}

const MEMBER_HEAD = [
  'member',
  'delivered',
  'reported',
  'notified',
  'unhandled',
  'notifyRate',
  'overdue',
  'dlMedian',
  'dlP90',
  'outcomeMedian',
  'outcomeP90',
];

/** One line per member: counts, overdue entries and the times from release (hours). */
export function renderMembers(ms: MemberFigures[], lang: Lang = 'en'): string {
  const h = (s: number | null) => (s == null ? '–' : (Math.round(s / 360) / 10).toFixed(1));
  const n = (v: number) => v.toLocaleString('en-US');
  return grid(
    MEMBER_HEAD.map((k) => tr(lang, `cli.members.${k}`)),
    ms.map((m) => [
      `${m.memberId} ${m.name}`,
      [
        n(m.delivered),
        n(m.reported),
        n(m.notified),
        n(m.unhandled),
        formatRate(m.notified, m.delivered),
        n(m.overdueEntries),
        h(m.toFirstDownload.medianSeconds),
        h(m.toFirstDownload.p90Seconds),
        h(m.toOutcome.medianSeconds),
        h(m.toOutcome.p90Seconds),
      ],
    ]),
  ).join('\n');
}

interface Opts {
  campaign: string;
  json?: boolean;
  lang?: string;
  csv?: boolean;
  pdf?: string;
  html?: string;
  members?: boolean;
}

export function register(program: Command) {
  program
    .command('report')
    .description(
      'the per-round table of a campaign (received, delivered, returned, handling rate, outcomes); per-member figures; CSV, HTML or PDF report',
    )
    .requiredOption('--campaign <id>', 'campaign id')
    .option('--lang <ja|en>', 'language of labels (default: both in the table, English elsewhere)')
    .option('--members', 'per-member figures: delivered, reported, notified, unhandled, overdue, times from release')
    .option('--csv', 'the table as CSV (UTF-8 with BOM) on stdout')
    .option('--html <file>', 'write the printable report page to FILE')
    .option('--pdf <file>', 'write the report as PDF to FILE (printed by Chromium)')
    .option('--json', 'machine output: { campaignId, rounds: [...], total: {...} }, or with --members the members array')
    .action(async (o: Opts) => {
      if (o.lang && o.lang !== 'ja' && o.lang !== 'en') throw new CliError(`--lang must be ja or en, not "${o.lang}"`);
      const lang = o.lang as Lang | undefined;
      await withContext(async (ctx) => {
        if (o.html || o.pdf) {
          const s = await campaignStats(ctx.pool, o.campaign, { role: 'coordinator' });
          if (o.html) {
            fs.writeFileSync(o.html, renderReportHtml(s, lang ?? 'ja'));
            say(`report: wrote ${o.html}`);
          }
          if (o.pdf) {
            fs.writeFileSync(o.pdf, await renderReportPdf(s, lang ?? 'ja'));
            say(`report: wrote ${o.pdf}`);
          }
          return;
        }
        if (o.members) {
          const ms = await memberFigures(ctx.pool, o.campaign);
          if (o.json) print(ms);
          else process.stdout.write(renderMembers(ms, lang) + '\n');
          return;
        }
        const r = await campaignReport(ctx.pool, o.campaign);
        if (!r.rounds.length) say(`report: campaign "${o.campaign}" has no lists; check the id with dline batches or the lists page`);
        if (o.json) print(r);
        else if (o.csv) process.stdout.write(campaignTableCsv(r, lang ?? 'en'));
        else process.stdout.write(renderTable(r, lang) + '\n');
      });
    });
}
