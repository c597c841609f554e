import { z } from 'zod/v4';

import { audit } from '@deliveryline/shared';
import { campaignTableCsv, renderReportPdf } from '@deliveryline/reports';
import { statsFor } from '../services/campaign-stats';
import { route, type PortalRoute } from '../web/route-table';

const campaignParam = z.object({ campaignId: z.string().max(100) });

export const statsApi: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/api/v1/campaigns/:campaignId/stats',
    kind: 'api',
    roles: ['coordinator', 'member', 'source', 'viewer'],
    summary:
      "a campaign's figures in your scope: the per-round table with outcomes, per-member figures (coordinators by name, a member its own and anonymous peers), series; ?format=csv for the table",
    params: campaignParam,
    query: z.object({ format: z.enum(['json', 'csv']).default('json') }),
    handler: async ({ ctx, caller, params, query, lang, reply }) => {
      const s = await statsFor(ctx, caller, params.campaignId);
      if (query.format === 'json') return s;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${params.campaignId}-figures.csv"`)
        .send(campaignTableCsv(s.table, lang));
    },
  }),
  route({
    method: 'GET',
    url: '/api/v1/campaigns/:campaignId/report.pdf',
    kind: 'api',
    roles: ['coordinator', 'member', 'source', 'viewer'],
    summary: 'the printable management report of a campaign as PDF (in your scope and language)',
    params: campaignParam,
    handler: async ({ ctx, caller, params, lang, reply }) => {
      const s = await statsFor(ctx, caller, params.campaignId);
      const pdf = await renderReportPdf(s, lang);
      await audit(ctx.pool, {
        actor: caller.actor,
        action: 'report.download',
        object: `campaign:${params.campaignId}`,
        details: { format: 'pdf', lang },
      });
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${params.campaignId}-report-${lang}.pdf"`)
        .send(pdf);
    },
  }),
];
