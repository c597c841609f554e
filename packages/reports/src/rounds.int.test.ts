import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@deliveryline/shared';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { campaignStats } from './scope';
import { campaignCharts, renderReportHtml, renderReportPdf } from './report-page';
import { campaignTable, campaignTableCsv } from './table';
import { loadHandCampaign } from './testing/hand-fixture';

const OUT = path.join(repoRoot(), 'test-artifacts', 'reports');

/** The report has the published table's shape: a column per round however many files it came in, the observation period. */
describe('a round delivered as two files', () => {
  let ctx: TestContext;
  let ids: Awaited<ReturnType<typeof loadHandCampaign>>;
  beforeAll(async () => {
    ctx = await openTestContext();
    ids = await loadHandCampaign(ctx.pool);
    // round 3 came as Shadowserver's event4 and event6 files: two lists, one round
    await ctx.pool.query(`UPDATE lists SET round = 3 WHERE id = ANY($1)`, [[ids.list1, ids.list2]]);
    await ctx.pool.query(`UPDATE entries SET observed_at = '2026-01-02T15:30:00Z' WHERE list_id = $1 AND seq = 1`, [ids.list1]);
    await ctx.pool.query(`UPDATE entries SET observed_at = '2026-01-03T14:59:00Z' WHERE list_id = $1 AND seq = 2`, [ids.list2]);
    fs.mkdirSync(OUT, { recursive: true });
  });
  afterAll(() => ctx.close());

  it('is one column in the table, the CSV and the chart, with the two lists summed', async () => {
    const s = await campaignStats(ctx.pool, 'hand', { role: 'coordinator' });
    expect(s.table.rounds).toHaveLength(1);
    expect(s.table.rounds[0]).toMatchObject({
      round: 3,
      listIds: [ids.list1, ids.list2],
      received: 21,
      delivered: 15,
      returned: 6,
      rejected: 2,
      duplicates: 1,
    });
    for (const lang of ['ja', 'en'] as const) {
      const t = campaignTable(s.table, lang);
      expect(t.columns).toEqual(lang === 'ja' ? ['第3回', '合計'] : ['round 3', 'total']);
      const csv = campaignTableCsv(s.table, lang);
      expect(csv.split('\r\n')[0]).toBe(lang === 'ja' ? '\ufeff,第3回,合計' : '\ufeff,round 3,total');
      expect(csv).toContain(lang === 'ja' ? '受領数,21,21' : 'received,21,21');
      expect(campaignCharts(s, lang).rounds.match(/<rect [^>]*><title>/g)).toHaveLength(3); // one group of three bars
    }
  });

  it('gives the observation period (first and last observed_at, in JST), not the upload date', async () => {
    const s = await campaignStats(ctx.pool, 'hand', { role: 'coordinator' });
    expect(s.campaign.from).toBe('2026-01-02T15:30:00.000Z');
    expect(s.campaign.to).toBe('2026-01-03T14:59:00.000Z');
    // both are 3 January in Japan
    expect(renderReportHtml(s, 'ja')).toMatch(/観測期間: 2026年1月3日 – 2026年1月3日 \(JST\)/);
    expect(renderReportHtml(s, 'en')).toMatch(/observation period: 3 Jan 2026 – 3 Jan 2026 \(JST\)/);
  });

  it('says "no data" instead of drawing empty axes, and prints labels of at least 11 units (about 8.5 pt on A4)', async () => {
    const s = await campaignStats(ctx.pool, 'hand', { role: 'coordinator' });
    const quiet = {
      ...s,
      members: s.members!.map((m) => ({
        ...m,
        toFirstDownload: { n: 0, medianSeconds: null, p90Seconds: null },
        toOutcome: { n: 0, medianSeconds: null, p90Seconds: null },
      })),
      notifiedByDay: [],
      returnsByReason: [],
    };
    for (const lang of ['ja', 'en'] as const) {
      const c = campaignCharts(quiet, lang);
      for (const svg of [c.times!, c.notified, c.reasons]) {
        expect(svg).toContain(lang === 'ja' ? 'データなし' : 'no data');
        expect(svg).not.toContain('<line');
      }
      for (const svg of Object.values(campaignCharts(s, lang))) {
        const sizes = [...String(svg).matchAll(/font-size="(\d+(?:\.\d+)?)"/g)].map((m) => Number(m[1]));
        expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
      }
    }
  });

  it('prints the same in a PDF in Japanese and English', async () => {
    const s = await campaignStats(ctx.pool, 'hand', { role: 'coordinator' });
    for (const lang of ['ja', 'en'] as const) {
      const pdf = await renderReportPdf(s, lang);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      fs.writeFileSync(path.join(OUT, `rounds-${lang}.pdf`), pdf);
    }
  }, 60_000);
});
