import { z } from 'zod/v4';
import { audit, csvLine, type AppContext } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { withScope } from '../data/scope';
import { decideProposal, insertProposal, ProposalConflict, scopedMembers, scopedProposals } from '../data/registry.repository';
import { findAudit, type AuditRow } from '../data/audit.repository';
import { HttpError, notFound } from '../web/errors';
import { route, id, type PortalRoute } from '../web/route-table';

export const ProposalSchema = z.object({
  kind: z.enum(['prefix.add', 'prefix.remove', 'contacts']),
  cidr: z.string().max(50).optional(),
  contactEmails: z.union([z.array(z.email()), z.string().max(2000)]).optional(),
  validFrom: z.string().max(40).optional(),
  note: z.string().max(2000).optional(),
});

const CIDR = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;

/** A member's own proposal; the member id always comes from the caller, never from the request. */
export async function propose(ctx: AppContext, caller: Caller, p: z.infer<typeof ProposalSchema>): Promise<number> {
  const emails = typeof p.contactEmails === 'string' ? p.contactEmails.split(/[,;\s]+/).filter(Boolean) : p.contactEmails;
  if (p.kind === 'contacts') {
    if (!emails?.length || emails.some((e) => !z.email().safeParse(e).success)) throw new HttpError(400, 'request.invalid', { detail: 'contactEmails: one or more valid e-mail addresses' });
  } else if (!p.cidr || !CIDR.test(p.cidr.trim())) throw new HttpError(400, 'request.invalid', { detail: `cidr: "${p.cidr ?? ''}" is not a prefix such as 203.0.113.0/24` });
  const validFrom = p.validFrom ? new Date(p.validFrom) : null;
  if (validFrom && Number.isNaN(validFrom.getTime())) throw new HttpError(400, 'request.invalid', { detail: 'validFrom: a date such as 2026-12-01' });
  let proposalId: number;
  try {
    proposalId = await insertProposal(ctx.pool, { memberId: caller.memberId!, kind: p.kind, cidr: p.kind === 'contacts' ? null : p.cidr!.trim(),
      contactEmails: p.kind === 'contacts' ? emails : null, validFrom: validFrom?.toISOString() ?? null, note: p.note, userId: caller.userId });
  } catch (e) {
    if ((e as { code?: string }).code === '22P02') throw new HttpError(400, 'request.invalid', { detail: `cidr: "${p.cidr}" is not a valid prefix (host bits set?)` });
    throw e;
  }
  await audit(ctx.pool, { actor: caller.actor, action: 'proposal.create', object: `proposal:${proposalId}`, details: { member: caller.memberId, kind: p.kind, cidr: p.cidr ?? null, contactEmails: emails ?? null } });
  return proposalId;
}

export async function decide(ctx: AppContext, caller: Caller, proposalId: number, approve: boolean, note?: string) {
  try {
    return await decideProposal(ctx.pool, { id: proposalId, approve, userId: caller.userId, actor: caller.actor, note });
  } catch (e) {
    if (e instanceof ProposalConflict) throw new HttpError(e.message === 'proposal.not_found' ? 404 : 409, e.message);
    throw e;
  }
}

export const AuditQuery = z.object({
  actor: z.string().max(320).optional(), action: z.string().max(100).optional(), object: z.string().max(100).optional(),
  from: z.string().max(40).optional(), to: z.string().max(40).optional(), format: z.enum(['json', 'csv']).default('json'),
});

/** An instant in Japan time with its offset, to the millisecond: 2026-12-04T23:58:21.123+09:00. */
const jstMs = (d: Date | string) => new Date(new Date(d).getTime() + 9 * 3_600_000).toISOString().replace('Z', '+09:00');

/** The audit log as CSV, times in Japan time with the offset written (the coordinator's clock, still exact). */
export function auditCsv(rows: AuditRow[]): string {
  return csvLine(['id', 'at', 'actor', 'who', 'action', 'object', 'details'])
    + rows.map((r) => csvLine([r.id, jstMs(r.at), r.actor, r.who, r.action, r.object, JSON.stringify(r.details)], new Set([0]))).join('');
}

export const registryApi: PortalRoute[] = [
  route({
    method: 'GET', url: '/api/v1/me', kind: 'api', roles: ['coordinator', 'member', 'source', 'viewer'], summary: 'who you are',
    handler: async ({ caller }) => ({ user: { id: caller.userId, email: caller.email, name: caller.name, role: caller.role, member: caller.memberId, source: caller.sourceId, via: caller.via } }),
  }),
  route({
    method: 'GET', url: '/api/v1/members', kind: 'api', roles: ['coordinator', 'member'], summary: 'members with their current prefixes (a member: itself)',
    handler: async ({ ctx, caller }) => ({ members: await withScope(ctx.pool, caller, (db) => scopedMembers(db, caller)) }),
  }),
  route({
    method: 'GET', url: '/api/v1/members/:memberId', kind: 'api', roles: ['coordinator', 'member'], summary: 'one member with its current prefixes',
    params: z.object({ memberId: z.string().max(100) }),
    handler: async ({ ctx, caller, params }) => {
      const [m] = await withScope(ctx.pool, caller, (db) => scopedMembers(db, caller, params.memberId));
      if (!m) throw notFound();
      return { member: m };
    },
  }),
  route({
    method: 'GET', url: '/api/v1/proposals', kind: 'api', roles: ['coordinator', 'member'], summary: 'registry change proposals (a member: its own)',
    query: z.object({ state: z.enum(['pending', 'approved', 'rejected']).optional() }),
    handler: async ({ ctx, caller, query }) => ({ proposals: await withScope(ctx.pool, caller, (db) => scopedProposals(db, caller, { state: query.state })) }),
  }),
  route({
    method: 'POST', url: '/api/v1/proposals', kind: 'api', roles: ['member'], summary: 'propose a prefix or contact change for your member',
    body: ProposalSchema,
    handler: async ({ ctx, caller, body, reply }) => reply.code(201).send({ proposal: { id: await propose(ctx, caller, body), state: 'pending' } }),
  }),
  route({
    method: 'POST', url: '/api/v1/proposals/:proposalId/decision', kind: 'api', roles: ['coordinator'], summary: 'approve or reject a proposal',
    params: z.object({ proposalId: id }), body: z.object({ approve: z.boolean(), note: z.string().max(2000).optional() }),
    handler: async ({ ctx, caller, params, body }) => ({ proposal: { id: params.proposalId, state: await decide(ctx, caller, params.proposalId, body.approve, body.note) } }),
  }),
  route({
    method: 'GET', url: '/api/v1/audit', kind: 'api', roles: ['coordinator'], summary: 'the audit log, filtered (JSON or CSV)',
    query: AuditQuery,
    handler: async ({ ctx, query, reply }) => {
      const rows = await findAudit(ctx.pool, { ...query, limit: 100_000 });
      if (query.format === 'json') return { events: rows };
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="audit.csv"').send(auditCsv(rows));
    },
  }),
];
