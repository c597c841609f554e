import { z } from 'zod/v4';
import { withScope } from '../repositories/scope';
import { scopedMembers, scopedProposals } from '../repositories/registry.repository';
import { AuditQuery, auditCsv, decide, propose, ProposalSchema } from '../services/registry';
import { findAudit } from '../repositories/audit.repository';
import { notFound } from '../web/errors';
import { route, id, type PortalRoute } from '../web/route-table';

export const registryApi: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/api/v1/me',
    kind: 'api',
    roles: ['coordinator', 'member', 'source', 'viewer'],
    summary: 'who you are',
    handler: async ({ caller }) => ({
      user: {
        id: caller.userId,
        email: caller.email,
        name: caller.name,
        role: caller.role,
        member: caller.memberId,
        source: caller.sourceId,
        via: caller.via,
      },
    }),
  }),
  route({
    method: 'GET',
    url: '/api/v1/members',
    kind: 'api',
    roles: ['coordinator', 'member'],
    summary: 'members with their current prefixes (a member: itself)',
    handler: async ({ ctx, caller }) => ({ members: await withScope(ctx.pool, caller, (db) => scopedMembers(db, caller)) }),
  }),
  route({
    method: 'GET',
    url: '/api/v1/members/:memberId',
    kind: 'api',
    roles: ['coordinator', 'member'],
    summary: 'one member with its current prefixes',
    params: z.object({ memberId: z.string().max(100) }),
    handler: async ({ ctx, caller, params }) => {
      const [m] = await withScope(ctx.pool, caller, (db) => scopedMembers(db, caller, params.memberId));
      if (!m) throw notFound();
      return { member: m };
    },
  }),
  route({
    method: 'GET',
    url: '/api/v1/proposals',
    kind: 'api',
    roles: ['coordinator', 'member'],
    summary: 'registry change proposals (a member: its own)',
    query: z.object({ state: z.enum(['pending', 'approved', 'rejected']).optional() }),
    handler: async ({ ctx, caller, query }) => ({
      proposals: await withScope(ctx.pool, caller, (db) => scopedProposals(db, caller, { state: query.state })),
    }),
  }),
  route({
    method: 'POST',
    url: '/api/v1/proposals',
    kind: 'api',
    roles: ['member'],
    summary: 'propose a prefix or contact change for your member',
    body: ProposalSchema,
    handler: async ({ ctx, caller, body, reply }) =>
      reply.code(201).send({ proposal: { id: await propose(ctx, caller, body), state: 'pending' } }),
  }),
  route({
    method: 'POST',
    url: '/api/v1/proposals/:proposalId/decision',
    kind: 'api',
    roles: ['coordinator'],
    summary: 'approve or reject a proposal',
    params: z.object({ proposalId: id }),
    body: z.object({ approve: z.boolean(), note: z.string().max(2000).optional() }),
    handler: async ({ ctx, caller, params, body }) => ({
      proposal: { id: params.proposalId, state: await decide(ctx, caller, params.proposalId, body.approve, body.note) },
    }),
  }),
  route({
    method: 'GET',
    url: '/api/v1/audit',
    kind: 'api',
    roles: ['coordinator'],
    summary: 'the audit log, filtered (JSON or CSV)',
    query: AuditQuery,
    handler: async ({ ctx, query, reply }) => {
      const rows = await findAudit(ctx.pool, { ...query, limit: 100_000 });
      if (query.format === 'json') return { events: rows };
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="audit.csv"').send(auditCsv(rows));
    },
  }),
];
