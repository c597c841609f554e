import { z } from 'zod/v4';
import { campaignCharts, campaignTable, renderReportHtml, type MemberFigures, type Spread } from '@deliveryline/shared';
import { statsFor } from '../services/campaign-stats';
import { html, raw, table, fmtNum, fmtRate } from '../web/html';
import { t, type Lang } from '../web/i18n';
import { route, type PortalRoute } from '../web/route-table';
import { render } from './render';

const campaignParam = z.object({ campaignId: z.string().max(100) });
const dur = (s: number | null | undefined) => (s == null ? '—' : s < 3600 ? `${Math.round(s / 60)} min` : s < 172800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86400).toFixed(1)} d`);
const L = (lang: Lang, ja: string, en: string) => (lang === 'ja' ? ja : en);

function memberRow(m: MemberFigures): unknown[] {
  return [m.name, fmtNum(m.delivered), fmtNum(m.reported), fmtNum(m.notified), fmtNum(m.unhandled), fmtRate(m.notifyRate),
    m.overdueEntries ? html`<span class="overdue">${fmtNum(m.overdueEntries)}</span>` : '0', dur(m.toFirstDownload.medianSeconds), dur(m.toOutcome.medianSeconds)];
}
const spread = (s: Spread, f: (n: number | null) => string) => (s.median == null ? '—' : `${f(s.median)} (${f(s.q1)}–${f(s.q3)})`);

export const statsPages: PortalRoute[] = [
  route({
    method: 'GET', url: '/campaigns/:campaignId', kind: 'page', roles: ['coordinator', 'member', 'source', 'viewer'],
    summary: "a campaign's dashboard: the table, charts and (by role) member figures",
    params: campaignParam,
    handler: async (c) => {
      const { ctx, caller, params, lang } = c;
      const s = await statsFor(ctx, caller, params.campaignId);
      const tab = campaignTable(s.table, lang);
      const charts = campaignCharts(s, lang);
      const memberHead = [L(lang, '協力先', 'Member'), t(lang, 'fig.delivered'), L(lang, '報告済', 'Reported'), t(lang, 'fig.notified'),
        L(lang, '未対応', 'Unhandled'), L(lang, '注意喚起率', 'Notify rate'), t(lang, 'fig.overdue'), L(lang, '初回DLまで（中央値）', 'To first download (median)'),
        L(lang, '結果報告まで（中央値）', 'To outcome (median)')];
      const members = s.members
        ? html`<h2>${L(lang, '協力先別', 'By member')}</h2>${table(memberHead, s.members.map(memberRow), 'figures')}`
        : s.own
          ? html`<h2>${L(lang, '自社の数値', 'Our figures')}</h2>${table(memberHead, [memberRow(s.own)], 'figures')}
${s.peers ? html`<h3>${L(lang, '他の協力先（匿名・中央値と四分位）', 'Other members (anonymous: median and quartiles)')}</h3>
${table([L(lang, '協力先数', 'Members'), t(lang, 'fig.delivered'), t(lang, 'fig.notified'), L(lang, '注意喚起率', 'Notify rate'), L(lang, '未対応', 'Unhandled')],
  [[s.peers.members, spread(s.peers.delivered, fmtNum), spread(s.peers.notified, fmtNum), spread(s.peers.notifyRate, fmtRate), spread(s.peers.unhandled, fmtNum)]], 'figures')}`
    : html`<p class="muted">${L(lang, '他の協力先の数値は、5社以上の数値がそろうと匿名で表示されます。', 'Other members appear as anonymous figures once at least five have figures.')}</p>`}`
          : '';
      const body = html`<p><span class="badge">TLP:${s.campaign.tlp.toUpperCase()}</span>
 <a href="/campaigns/${s.campaign.id}/report">${L(lang, '報告書（印刷用）', 'Report (printable)')}</a> ·
 <a href="/api/v1/campaigns/${s.campaign.id}/report.pdf">PDF</a> ·
 <a href="/api/v1/campaigns/${s.campaign.id}/stats?format=csv">CSV</a></p>
${table(['', ...tab.columns], tab.rows.map((r) => [html`<b>${r.label}</b>`, ...r.cells]), 'figures')}
<div class="charts">${raw(charts.rounds)}${raw(charts.notified)}${charts.times ? raw(charts.times) : ''}${raw(charts.reasons)}</div>
${members}`;
      return render(c, s.campaign.name, body);
    },
  }),
  route({
    method: 'GET', url: '/campaigns/:campaignId/report', kind: 'page', roles: ['coordinator', 'member', 'source', 'viewer'],
    summary: 'the printable management report of a campaign (HTML; the PDF is under the API)',
    params: campaignParam,
    handler: async ({ ctx, caller, params, lang, reply }) => {
      const s = await statsFor(ctx, caller, params.campaignId);
      return reply.type('text/html; charset=utf-8').send(renderReportHtml(s, lang));
    },
  }),
];
