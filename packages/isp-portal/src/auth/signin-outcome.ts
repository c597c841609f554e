import type { FastifyReply, FastifyRequest } from 'fastify';
import { audit } from '@deliveryline/shared';
import { t, type Lang } from '../web/i18n';
import type { Deps } from '../web/route-table';
import type { UserRow } from '../repositories/identity.repository';
import type { Claim, Refusal } from './signin-limits';
import { notifyAccount } from './second-factor';

/**
 * The words for a refused or locking attempt. They are the same whether the account exists or
 * not (accounts that do not exist are counted and locked alike): nothing here tells which exist.
 */
export function refusalText(lang: Lang, r: Refusal, now: Date): string {
  const seconds = Math.max(1, Math.ceil((r.until.getTime() - now.getTime()) / 1000));
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return t(lang, `signin.${r.why}`, { seconds, minutes });
}

export function refuse(reply: FastifyReply, r: Refusal, now: Date): FastifyReply {
  return reply.code(429).header('retry-after', String(Math.max(1, Math.ceil((r.until.getTime() - now.getTime()) / 1000))));
}

/** A failed attempt that locked the account: audited, and the owner (if there is one) gets an e-mail. */
export async function lockedNow(
  d: Deps,
  req: FastifyRequest,
  email: string,
  user: UserRow | undefined,
  claim: Claim & { ok: true },
  now: Date,
) {
  const until = new Date(now.getTime() + d.settings.limits.lockSeconds * 1000);
  await audit(d.ctx.pool, {
    actor: user ? `user:${user.id}` : 'anonymous',
    action: 'user.locked',
    object: user ? `user:${user.id}` : undefined,
    details: { email, ip: req.ip, failures: claim.failures, until: until.toISOString() },
  });
  if (user?.active)
    void notifyAccount(d.mailer, req.log, user, 'locked', {
      ip: req.ip,
      until,
      minutes: Math.ceil(d.settings.limits.lockSeconds / 60),
      failures: claim.failures,
    });
}
