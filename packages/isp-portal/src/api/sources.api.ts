import { z } from 'zod/v4';
import { listSources } from '@deliveryline/shared';
import { changeSource, sourceJson } from '../services/sources';
import { route, type PortalRoute } from '../web/route-table';

export const SourceBody = z.object({
  name: z.string().max(200).optional(),
  kind: z.string().max(20).optional(),
  timezone: z.string().max(60).nullable().optional(),
  profile: z.string().max(100).nullable().optional(),
  anonymous: z.boolean().optional(),
});

export const sourceApi: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/api/v1/sources',
    kind: 'api',
    roles: ['coordinator'],
    summary: 'sources with their defaults (time zone, profile, anonymity, name)',
    handler: async ({ ctx }) => ({ sources: (await listSources(ctx.pool)).map(sourceJson) }),
  }),
  route({
    method: 'POST',
    url: '/api/v1/sources/:sourceId',
    kind: 'api',
    roles: ['coordinator'],
    summary:
      'set a source\'s defaults: {"timezone":"Asia/Tokyo","profile":null,"anonymous":false,"name":"JPCERT/CC"} (absent = unchanged, null or "" = cleared; a new id is created)',
    params: z.object({ sourceId: z.string().max(100) }),
    body: SourceBody,
    handler: async ({ ctx, caller, params, body }) => ({ source: sourceJson(await changeSource(ctx, caller, params.sourceId, body)) }),
  }),
];
