import { csvContentType, encodeCsv, returnedRows } from '@deliveryline/ingest';
import { Readable } from 'node:stream';
import { z } from 'zod/v4';
import { csvLine } from '@deliveryline/shared';
import { campaignReport } from '@deliveryline/reports';
import { openScope, withScope } from '../repositories/scope';
import { scopedCampaigns, scopedList, scopedLists, scopedRejects, scopedReturned, type ListView } from '../repositories/lists.repository';
import { scopedBatches } from '../repositories/batches.repository';
import { readUpload, submitUpload } from '../services/upload';
import { approveListAs } from '../services/list-approval';
import { retryListAs } from '../services/list-retry';
import { notFound } from '../web/errors';
import { failureText, t, type Lang } from '../web/i18n';
import { route, id, type PortalRoute } from '../web/route-table';

export const listJson = (l: ListView, lang: Lang) => ({
  id: l.id,
  campaign: l.campaign_id,
  source: l.source_id,
  round: l.round,
  fileName: l.file_name,
  tlp: l.tlp,
  state: l.state,
  stateLabel: t(lang, `state.${l.state}`),
  failure: l.failure,
  failureMessage: l.failure ? failureText(lang, l.failure).text : null,
  counts: {
    rowsRead: l.rows_read,
    rejected: l.rejected,
    duplicates: l.duplicates,
    received: l.received,
    delivered: l.delivered,
    returned: l.returned,
  },
  routeChunks: { done: l.chunks_done, total: l.route_chunks },
  createdAt: l.created_at,
  parsedAt: l.parsed_at,
  routedAt: l.routed_at,
  releasedAt: l.released_at,
});

const listParam = z.object({ listId: id });
const fmt = z.object({ format: z.enum(['csv', 'excel', 'sjis', 'json']).default('json') });

export const listApi: PortalRoute[] = [
  route({
    method: 'POST',
    url: '/api/v1/lists',
    kind: 'api',
    roles: ['coordinator', 'source'],
    multipart: true,
    summary: 'upload a list (multipart: file, campaign, source, round, profile, encoding, timezone, tlp)',
    handler: async ({ ctx, req, reply, caller, lang }) => {
      const up = await readUpload(req, caller);
      const listId = await submitUpload(ctx, caller, up);
      const l = await withScope(ctx.pool, caller, (db) => scopedList(db, caller, listId));
      return reply.code(201).send({ list: listJson(l!, lang) });
    },
  }),
  route({
    method: 'GET',
    url: '/api/v1/lists',
    kind: 'api',
    roles: ['coordinator', 'source', 'viewer'],
    summary: 'lists you may see, newest first',
    query: z.object({ campaign: z.string().max(100).optional() }),
    handler: async ({ ctx, caller, lang, query }) => ({
      lists: (await withScope(ctx.pool, caller, (db) => scopedLists(db, caller, { campaignId: query.campaign }))).map((l) =>
        listJson(l, lang),
      ),
    }),
  }),
  route({
    method: 'GET',
    url: '/api/v1/lists/:listId',
    kind: 'api',
    roles: ['coordinator', 'source', 'viewer'],
    summary: "a list's state and counters",
    params: listParam,
    handler: async ({ ctx, caller, lang, params }) => {
      const l = await withScope(ctx.pool, caller, (db) => scopedList(db, caller, params.listId));
      if (!l) throw notFound();
      return { list: listJson(l, lang) };
    },
  }),
  route({
    method: 'GET',
    url: '/api/v1/lists/:listId/rejects',
    kind: 'api',
    roles: ['coordinator', 'source'],
    summary: 'rows refused while reading: json, csv (UTF-8), excel (UTF-8 with BOM) or sjis (Shift_JIS)',
    params: listParam,
    query: fmt,
    handler: async ({ ctx, caller, params, query, reply }) => {
      const rows = await withScope(ctx.pool, caller, async (db) => {
        if (!(await scopedList(db, caller, params.listId))) throw notFound();
        return scopedRejects(db, caller, params.listId);
      });
      if (query.format === 'json') return { rejects: rows };
      reply.header('content-disposition', `attachment; filename="list-${params.listId}-rejects.csv"`).type(csvContentType(query.format));
      return reply.send(
        Readable.from(
          encodeCsv(
            [
              csvLine(['row', 'line', 'reason', 'message', 'raw']) +
                rows.map((r) => csvLine([r.row, r.line, r.reason, r.message, r.raw], new Set([0, 1]))).join(''),
            ],
            query.format,
          ),
        ),
      );
    },
  }),
  route({
    method: 'GET',
    url: '/api/v1/lists/:listId/returned',
    kind: 'api',
    roles: ['coordinator', 'source'],
    summary:
      "entries no member took, in the source file's own columns plus return_reason: csv (UTF-8), excel (UTF-8 with BOM), sjis (Shift_JIS, as Japanese offices send) or json",
    params: listParam,
    query: fmt,
    handler: async ({ ctx, caller, params, query, reply }) => {
      const rows = await withScope(ctx.pool, caller, async (db) => {
        if (!(await scopedList(db, caller, params.listId))) throw notFound();
        return query.format === 'json' ? scopedReturned(db, caller, params.listId) : null;
      });
      if (rows || query.format === 'json') return { returned: rows };
      // the file goes back in its own layout, read again from the stored original, with the reason
      // per entry — in the caller's scope, where the stored file's chunks are visible to its source
      // and coordinators only (0028); the transaction ends with the response
      reply.header('content-disposition', `attachment; filename="list-${params.listId}-returned.csv"`).type(csvContentType(query.format));
      const format = query.format as Exclude<typeof query.format, 'json'>; // json was answered above
      const gen = async function* () {
        const scope = await openScope(ctx.pool, caller);
        let ok = false;
        try {
          yield* encodeCsv(returnedRows(scope.db, params.listId), format);
          ok = true;
        } finally {
          await scope.end(ok);
        }
      };
      return reply.send(Readable.from(gen()));
    },
  }),
  route({
    method: 'GET',
    url: '/api/v1/lists/:listId/batches',
    kind: 'api',
    roles: ['coordinator'],
    summary: 'the batches a list was split into',
    params: listParam,
    handler: async ({ ctx, caller, params }) =>
      withScope(ctx.pool, caller, async (db) => {
        if (!(await scopedList(db, caller, params.listId))) throw notFound();
        return { batches: await scopedBatches(db, caller, { listId: params.listId }) };
      }),
  }),
  route({
    method: 'POST',
    url: '/api/v1/lists/:listId/approve',
    kind: 'api',
    roles: ['coordinator'],
    summary: 'release a list awaiting approval (not by its uploader)',
    params: listParam,
    handler: async ({ ctx, caller, params }) => {
      await approveListAs(ctx, caller, params.listId);
      return { list: { id: params.listId, approvedBy: caller.email } };
    },
  }),
  route({
    method: 'POST',
    url: '/api/v1/lists/:listId/retry',
    kind: 'api',
    roles: ['coordinator'],
    summary: 'run a failed list again from the stage it failed in (optionally with the time zone its times were written in)',
    params: listParam,
    body: z.object({ timezone: z.string().min(1).max(64).optional() }).optional(),
    handler: async ({ ctx, caller, params, body, reply }) => {
      const stage = await retryListAs(ctx, caller, params.listId, { timezone: body?.timezone ?? null });
      return reply.code(202).send({ list: { id: params.listId, retrying: stage } });
    },
  }),
  route({
    method: 'GET',
    url: '/api/v1/campaigns',
    kind: 'api',
    roles: ['coordinator', 'source', 'viewer'],
    summary: 'campaigns with lists you may see',
    handler: async ({ ctx, caller }) => ({ campaigns: await withScope(ctx.pool, caller, (db) => scopedCampaigns(db, caller)) }),
  }),
  route({
    method: 'GET',
    url: '/api/v1/campaigns/:campaignId/report',
    kind: 'api',
    roles: ['coordinator', 'viewer'],
    summary: 'the per-round table of a campaign',
    params: z.object({ campaignId: z.string().max(100) }),
    handler: async ({ ctx, caller, params }) => {
      const known = await withScope(ctx.pool, caller, (db) => scopedCampaigns(db, caller));
      if (!known.some((c) => c.id === params.campaignId)) throw notFound();
      return campaignReport(ctx.pool, params.campaignId);
    },
  }),
];
