import { campaignCharts, campaignTable, renderReportHtml, type MemberFigures, type Spread } from '@deliveryline/reports';
import { z } from 'zod/v4';

import { statsFor } from '../services/campaign-stats';
import { data, html, raw, table, fmtNum, fmtRate } from '../web/html';
import { t, type Lang } from '../web/i18n';
import { route, type PortalRoute } from '../web/route-table';
import { render } from './render';

const campaignParam = z.object({ campaignId: z.string().max(100) });
const dur = (lang: Lang, s: number | null | undefined) =>
  s == null
    ? '—'
    : s < 3600
      ? t(lang, 'unit.min', { n: Math.round(s / 60) })
      : s < 172800
        ? t(lang, 'unit.h', { n: (s / 3600).toFixed(1) })
        : t(lang, 'unit.d', { n: (s / 86400).toFixed(1) });

function memberRow(lang: Lang, m: MemberFigures): unknown[] {
  return [
    data(m.name),
    fmtNum(m.delivered),
    fmtNum(m.reported),
    fmtNum(m.notified),
    fmtNum(m.unhandled),
    fmtRate(m.notifyRate),
    m.overdueEntries ? html`<span class="overdue">${fmtNum(m.overdueEntries)}</span>` : '0',
    dur(lang, m.toFirstDownload.medianSeconds),
    dur(lang, m.toOutcome.medianSeconds),
  ];
}
const spread = (s: Spread, f: (n: number | null) => string) => (s.median == null ? '—' : `${f(s.median)} (${f(s.q1)}–${f(s.q3)})`);

export const statsPages: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/campaigns/:campaignId',
    kind: 'page',
    roles: ['coordinator', 'member', 'source', 'viewer'],
    summary: "a campaign's dashboard: the table, charts and (by role) member figures",
    params: campaignParam,
    handler: async (c) => {
      const { ctx, caller, params, lang } = c;
      const s = await statsFor(ctx, caller, params.campaignId);
      const tab = campaignTable(s.table, lang);
      const charts = campaignCharts(s, lang);
      const memberHead = [
        t(lang, 'field.member'),
        t(lang, 'fig.delivered'),
        t(lang, 'fig.reported'),
        t(lang, 'fig.notified'),
        t(lang, 'fig.unhandled'),
        t(lang, 'fig.notifiedRate'),
        t(lang, 'fig.overdue'),
        t(lang, 'fig.toDownload'),
        t(lang, 'fig.toOutcome'),
      ];
      const members = s.members
        ? html`<h2>${t(lang, 'stats.perMember')}</h2>
            ${table(
              memberHead,
              s.members.map((m) => memberRow(lang, m)),
              'figures',
            )}`
        : s.own
          ? html`<h2>${t(lang, 'member.figures')}</h2>
              ${table(memberHead, [memberRow(lang, s.own)], 'figures')}
              ${
                s.peers
                  ? html`<h3>${t(lang, 'stats.peers')}</h3>
                      ${table(
                        [
                          t(lang, 'fig.members'),
                          t(lang, 'fig.delivered'),
                          t(lang, 'fig.notified'),
                          t(lang, 'fig.notifiedRate'),
                          t(lang, 'fig.unhandled'),
                        ],
                        [
                          [
                            s.peers.members,
                            spread(s.peers.delivered, fmtNum),
                            spread(s.peers.notified, fmtNum),
                            spread(s.peers.notifyRate, fmtRate),
                            spread(s.peers.unhandled, fmtNum),
                          ],
                        ],
                        'figures',
                      )}`
                  : html`<p class="muted">${t(lang, 'campaign.peers.later')}</p>`
              }`
          : '';
      const body = html`<p>
          <span class="badge">TLP:${s.campaign.tlp.toUpperCase()}</span>
          <a href="/campaigns/${s.campaign.id}/report">${t(lang, 'campaign.report')}</a> ·
          <a href="/api/v1/campaigns/${s.campaign.id}/report.pdf">PDF</a> ·
          <a href="/api/v1/campaigns/${s.campaign.id}/stats?format=csv">CSV</a>
        </p>
        ${table(
          ['', ...tab.columns],
          tab.rows.map((r) => [html`<b>${r.label}</b>`, ...r.cells]),
          'figures',
        )}
        <div class="charts">${raw(charts.rounds)}${raw(charts.notified)}${charts.times ? raw(charts.times) : ''}${raw(charts.reasons)}</div>
        ${members}`;
      return render(c, s.campaign.name, body);
    },
  }),
  route({
    method: 'GET',
    url: '/campaigns/:campaignId/report',
    kind: 'page',
    roles: ['coordinator', 'member', 'source', 'viewer'],
    summary: 'the printable management report of a campaign (HTML; the PDF is under the API)',
    params: campaignParam,
    handler: async ({ ctx, caller, params, lang, reply }) => {
      const s = await statsFor(ctx, caller, params.campaignId);
      return reply.type('text/html; charset=utf-8').send(renderReportHtml(s, lang));
    },
  }),
];
