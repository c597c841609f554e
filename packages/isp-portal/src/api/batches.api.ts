import fs from 'node:fs';
import { z } from 'zod/v4';
import { withScope } from '../repositories/scope';
import { scopedBatches, scopedOutcomeCounts, type BatchView } from '../repositories/batches.repository';
import { batchDownload, FORMATS } from '../services/batch-files';
import { batchOr404, figuresFor } from '../services/batches';
import { reportOutcomes } from '../services/outcomes';
import { readUpload } from '../services/upload';
import { HttpError } from '../web/errors';
import { route, id, type PortalRoute } from '../web/route-table';

export const batchJson = (b: BatchView) => ({
  id: b.id,
  listId: b.list_id,
  member: b.member_id,
  campaign: b.campaign_id,
  round: b.round,
  tlp: b.tlp,
  entries: b.entries,
  state: b.state,
  dueAt: b.due_at,
  overdue: b.overdue,
  reported: b.reported,
  notifiedAt: b.notified_at,
  firstDownloadedAt: b.first_downloaded_at,
  closedAt: b.closed_at,
});

const batchParam = z.object({ batchId: id });

export const batchApi: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/api/v1/batches',
    kind: 'api',
    roles: ['coordinator', 'member'],
    summary: 'batches you may see (a member: its own)',
    query: z.object({ list: id.optional(), overdue: z.enum(['0', '1']).optional() }),
    handler: async ({ ctx, caller, query }) => ({
      batches: (
        await withScope(ctx.pool, caller, (db) => scopedBatches(db, caller, { listId: query.list, overdue: query.overdue === '1' }))
      ).map(batchJson),
    }),
  }),
  route({
    method: 'GET',
    url: '/api/v1/batches/:batchId',
    kind: 'api',
    roles: ['coordinator', 'member'],
    summary: 'one batch with its current outcomes',
    params: batchParam,
    handler: async ({ ctx, caller, params }) => {
      const b = await batchOr404(ctx, caller, params.batchId);
      const outcomes = await withScope(ctx.pool, caller, (db) => scopedOutcomeCounts(db, caller, b.id));
      return { batch: batchJson(b), outcomes: Object.fromEntries(outcomes.map((o) => [o.outcome, o.n])) };
    },
  }),
  route({
    method: 'GET',
    url: '/api/v1/batches/:batchId/download',
    kind: 'api',
    roles: ['coordinator', 'member'],
    summary: "the batch's entries: csv, excel (CSV with BOM) or json",
    params: batchParam,
    query: z.object({ format: z.enum(FORMATS).default('csv') }),
    handler: async ({ ctx, caller, params, query, reply }) => {
      const b = await batchOr404(ctx, caller, params.batchId);
      const f = await batchDownload(ctx, caller, b, query.format);
      return reply.type(f.type).header('content-disposition', `attachment; filename="${f.name}"`).send(f.stream);
    },
  }),
  route({
    method: 'POST',
    url: '/api/v1/batches/:batchId/outcomes',
    kind: 'api',
    roles: ['member'],
    summary:
      'report outcomes: JSON {"outcomes":[{entryId,outcome,notifiedAt?,channel?,note?}]}, or the downloaded file filled in as a text/csv body (raw bytes: UTF-8, Shift_JIS or UTF-16) or multipart (field file); rows with an empty outcome are skipped and counted',
    params: batchParam,
    body: z.unknown(),
    handler: async ({ ctx, caller, params, req, reply }) => {
      const b = await batchOr404(ctx, caller, params.batchId);
      let r;
      if (Buffer.isBuffer(req.body)) r = await reportOutcomes(ctx, caller, b, { bytes: req.body }, 'api-csv');
      else if (req.isMultipart()) {
        const up = await readUpload(req, caller);
        try {
          r = await reportOutcomes(ctx, caller, b, { bytes: await fs.promises.readFile(up.path) }, 'api-file');
        } finally {
          await up.cleanup();
        }
      } else {
        const body = z.object({ outcomes: z.array(z.unknown()).max(1_000_000) }).safeParse(req.body);
        if (!body.success) throw new HttpError(400, 'request.invalid', { detail: 'body: expected {"outcomes": [...]} or a text/csv body' });
        r = await reportOutcomes(ctx, caller, b, { rows: body.data.outcomes }, 'api-json');
      }
      return reply.code(r.rejected.length && !r.stored ? 422 : 200).send(r);
    },
  }),
  route({
    method: 'GET',
    url: '/api/v1/figures',
    kind: 'api',
    roles: ['coordinator', 'member', 'source', 'viewer'],
    summary: 'figures in your scope: a member its own batches, a source its own lists, coordinators and viewers all',
    handler: async ({ ctx, caller }) => figuresFor(ctx, caller),
  }),
];
