import { z } from 'zod/v4';
import { audit, csvLine, type AppContext } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { decideProposal, insertProposal, ProposalConflict } from '../repositories/registry.repository';
import type { AuditRow } from '../repositories/audit.repository';
import { HttpError } from '../web/errors';

/** Members' proposals for the registry (prefixes, contacts), the coordinator's decisions, and the audit log's export; the API and the pages both call these. */
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
    if (!emails?.length || emails.some((e) => !z.email().safeParse(e).success))
      throw new HttpError(400, 'request.invalid', { detail: 'contactEmails: one or more valid e-mail addresses' });
  } else if (!p.cidr || !CIDR.test(p.cidr.trim()))
    throw new HttpError(400, 'request.invalid', { detail: `cidr: "${p.cidr ?? ''}" is not a prefix such as 203.0.113.0/24` });
  const validFrom = p.validFrom ? new Date(p.validFrom) : null;
  if (validFrom && Number.isNaN(validFrom.getTime()))
    throw new HttpError(400, 'request.invalid', { detail: 'validFrom: a date such as 2026-12-01' });
  let proposalId: number;
  try {
    proposalId = await insertProposal(ctx.pool, {
      memberId: caller.memberId!,
      kind: p.kind,
      cidr: p.kind === 'contacts' ? null : p.cidr!.trim(),
      contactEmails: p.kind === 'contacts' ? emails : null,
      validFrom: validFrom?.toISOString() ?? null,
      note: p.note,
      userId: caller.userId,
    });
  } catch (e) {
    if ((e as { code?: string }).code === '22P02')
      throw new HttpError(400, 'request.invalid', { detail: `cidr: "${p.cidr}" is not a valid prefix (host bits set?)` });
    throw e;
  }
  await audit(ctx.pool, {
    actor: caller.actor,
    action: 'proposal.create',
    object: `proposal:${proposalId}`,
    details: { member: caller.memberId, kind: p.kind, cidr: p.cidr ?? null, contactEmails: emails ?? null },
  });
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

/** A date or a time in ISO 8601 form; anything else is a 400 that says what was expected. */
const instant = z
  .string()
  .max(40)
  .regex(
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/,
    'expected a date or a time such as 2026-12-01 or 2026-12-01T09:00:00+09:00',
  )
  .refine((v) => {
    const [y, m, d] = v.slice(0, 10).split('-').map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    return (
      day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d && !Number.isNaN(Date.parse(v.replace(' ', 'T')))
    );
  }, 'expected a date that exists, such as 2026-12-01');

export const AuditQuery = z.object({
  actor: z.string().max(320).optional(),
  action: z.string().max(100).optional(),
  object: z.string().max(100).optional(),
  from: instant.optional(),
  to: instant.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

/** An instant in Japan time with its offset, to the millisecond: 2026-12-04T23:58:21.123+09:00. */
const jstMs = (d: Date | string) => new Date(new Date(d).getTime() + 9 * 3_600_000).toISOString().replace('Z', '+09:00');

/** The audit log as CSV, times in Japan time with the offset written (the coordinator's clock, still exact). */
export function auditCsv(rows: AuditRow[]): string {
  return (
    csvLine(['id', 'at', 'actor', 'who', 'action', 'object', 'details']) +
    rows.map((r) => csvLine([r.id, jstMs(r.at), r.actor, r.who, r.action, r.object, JSON.stringify(r.details)], new Set([0]))).join('')
  );
}
