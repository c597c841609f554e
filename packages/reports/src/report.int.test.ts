import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { campaignStats } from './scope';
import { renderPdf } from './pdf';
import { campaignCharts, renderReportHtml, renderReportPdf } from './report-page';
import { loadSynthetic } from './testing/synthetic';

// GOZ's published rounds: received and delivered (sent to the parties) per round
const GOZ_ROUNDS = [
  [1320, 839],
  [19482, 13028],
  [46718, 31725],
  [88001, 58647],
].map(([received, delivered]) => ({ received, delivered }));

/** A GOZ-sized campaign with outcomes; every figure checked against a count of our own over entries, routes and outcomes. */
describe('GOZ-like campaign with outcomes', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await openTestContext();
    await loadSynthetic(ctx.pool, {
      campaignId: 'goz',
      sourceId: 'jpcert',
      members: 14,
      lists: GOZ_ROUNDS,
      unreportedEvery: 9,
      changeEvery: 5,
    });
  }, 120_000);
  afterAll(() => ctx.close());

  it('matches an independent count of latest outcomes, per round and per member', async () => {
    const s = await campaignStats(ctx.pool, 'goz', { role: 'coordinator' });
    const latest = `FROM routes r JOIN entries e ON e.list_id = r.list_id AND e.seq = r.seq
      LEFT JOIN LATERAL (SELECT o.outcome FROM outcomes o WHERE o.entry_id = e.id ORDER BY o.id DESC LIMIT 1) lo ON true`;
    const perList = (
      await ctx.pool.query(
        `SELECT r.list_id, count(*) FILTER (WHERE r.state = 'delivered')::int AS delivered, count(*) FILTER (WHERE r.state = 'returned')::int AS returned,
              count(lo.outcome)::int AS reported, count(*) FILTER (WHERE lo.outcome = 'notified')::int AS notified,
              count(*) FILTER (WHERE lo.outcome = 'not_identified')::int AS not_identified
         ${latest} GROUP BY r.list_id ORDER BY r.list_id`,
      )
    ).rows;
    expect(
      s.table.rounds.map((r) => ({
        delivered: r.delivered,
        returned: r.returned,
        reported: r.reported,
        notified: r.notified,
        notIdentified: r.notIdentified,
        unhandled: r.unhandled,
      })),
    ).toEqual(
      perList.map((x) => ({
        delivered: x.delivered,
        returned: x.returned,
        reported: x.reported,
        notified: x.notified,
        notIdentified: x.not_identified,
        unhandled: x.delivered - x.reported,
      })),
    );
    expect(s.table.total).toMatchObject({ received: 155521, delivered: 104239, returned: 51282 });
    expect(s.table.total.notified).toBe(perList.reduce((n, x) => n + x.notified, 0));
    expect(s.table.total.notified).toBeGreaterThan(0);
    const perMember = (
      await ctx.pool.query(
        `SELECT r.member_id, count(*)::int AS delivered, count(lo.outcome)::int AS reported, count(*) FILTER (WHERE lo.outcome = 'notified')::int AS notified
         ${latest} WHERE r.state = 'delivered' GROUP BY r.member_id ORDER BY r.member_id`,
      )
    ).rows;
    expect(s.members!.map((m) => ({ member_id: m.memberId, delivered: m.delivered, reported: m.reported, notified: m.notified }))).toEqual(
      perMember,
    );
    const days = (
      await ctx.pool.query(
        `SELECT count(*)::int AS n FROM (SELECT DISTINCT ON (entry_id) outcome FROM outcomes ORDER BY entry_id, id DESC) x WHERE outcome = 'notified'`,
      )
    ).rows[0].n;
    expect(s.notifiedByDay[s.notifiedByDay.length - 1].cumulative).toBe(days);
    const reasons = (
      await ctx.pool.query(
        `SELECT reason, count(*)::int AS entries FROM routes WHERE state = 'returned' GROUP BY reason ORDER BY 2 DESC, 1`,
      )
    ).rows;
    expect(s.returnsByReason).toEqual(reasons);
  });

  it('draws accessible SVG charts with the figures in them, in Japanese and English', async () => {
    const s = await campaignStats(ctx.pool, 'goz', { role: 'coordinator' });
    for (const lang of ['ja', 'en'] as const) {
      const c = campaignCharts(s, lang);
      for (const svg of [c.rounds, c.notified, c.times!, c.reasons]) {
        expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]* role="img" aria-labelledby="(c\d+t) (c\d+d)"/);
        expect(svg).toMatch(/<title id="c\d+t">[^<]+<\/title><desc id="c\d+d">[^<]+<\/desc>/);
        expect(svg.endsWith('</svg>')).toBe(true);
        expect(svg).not.toMatch(/NaN|undefined|Infinity/);
      }
      expect(c.rounds).toContain(lang === 'ja' ? '88,001' : '88,001');
      expect(c.rounds).toContain(lang === 'ja' ? '受領数' : 'received');
      expect(c.times).toContain('Synthetic ISP 14');
      expect(c.reasons).toContain(lang === 'ja' ? '該当協力先なし' : 'no member');
    }
    const member = campaignCharts(await campaignStats(ctx.pool, 'goz', { role: 'member', memberId: 'syn-03' }), 'en');
    expect(member.times).toContain('other members (median)');
    expect(member.times).not.toMatch(/Synthetic ISP/);
    const memberHtml = renderReportHtml(await campaignStats(ctx.pool, 'goz', { role: 'member', memberId: 'syn-03' }), 'ja');
    expect(memberHtml).toContain('自組織');
    expect(memberHtml).not.toMatch(/Synthetic ISP|syn-\d/);
    const sourceHtml = renderReportHtml(await campaignStats(ctx.pool, 'goz', { role: 'source', sourceId: 'jpcert' }), 'en');
    expect(sourceHtml).toContain('155,521');
    expect(sourceHtml).not.toMatch(/Synthetic ISP|syn-\d|Per member/);
  });

  it('prints the report to a PDF, with the TLP label on the page', async () => {
    const s = await campaignStats(ctx.pool, 'goz', { role: 'coordinator' });
    const html = renderReportHtml(s, 'ja');
    expect(html).toContain('TLP:AMBER');
    expect(html).toContain('67.0%');
    for (const pdf of [await renderPdf(html), await renderReportPdf(s, 'en')]) {
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(10_000);
    }
  }, 60_000);
});
