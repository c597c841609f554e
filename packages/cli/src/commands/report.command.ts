import type { Command } from 'commander';
import { campaignReport, formatRate, type CampaignReport } from '@deliveryline/shared';
import { withContext, print } from '../cli-context';

/** The published GOZ table's layout: one column per round and a total. */
export function renderTable(r: CampaignReport): string {
  const cols = [...r.rounds.map((x) => (x.round != null ? `round ${x.round}` : `list ${x.listId}`)), 'total'];
  const all = [...r.rounds, r.total];
  const fmt = (n: number) => n.toLocaleString('en-US');
  const rows: [string, string[]][] = [
    ['received 受領数', all.map((x) => fmt(x.received))],
    ['delivered 送付数', all.map((x) => fmt(x.delivered))],
    ['returned 返却数', all.map((x) => fmt(x.returned))],
    ['handling rate 対応率', all.map((x) => formatRate(x.delivered, x.received))],
    ['rejected', all.map((x) => fmt(x.rejected))],
    ['duplicates', all.map((x) => fmt(x.duplicates))],
  ];
  // East Asian wide characters take two columns in a terminal
  const width = (s: string) => [...s].reduce((n, ch) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1), 0);
  const pad = (s: string, w: number, left: boolean) => (left ? ' '.repeat(Math.max(0, w - width(s))) + s : s + ' '.repeat(Math.max(0, w - width(s))));
  const w0 = Math.max(...rows.map((r0) => width(r0[0]) + 2), 10);
  const w = cols.map((c, i) => Math.max(c.length, ...rows.map((r0) => r0[1][i].length)) + 2);
  const line = (label: string, cells: string[]) => pad(label, w0, false) + cells.map((c, i) => pad(c, w[i], true)).join('');
  return [`campaign ${r.campaignId}`, line('', cols), ...rows.map(([l, c]) => line(l, c))].join('\n');
}

export function register(program: Command) {
  program
    .command('report')
    .description('the per-round table of a campaign: received, delivered, returned, handling rate')
    .requiredOption('--campaign <id>', 'campaign id')
    .option('--json', 'machine output: { rounds: [...], total: {...} }')
    .action(async (o: { campaign: string; json?: boolean }) => {
      const r = await withContext((ctx) => campaignReport(ctx.pool, o.campaign));
      if (o.json) print(r);
      else process.stdout.write(renderTable(r) + '\n');
    });
}
