import { z } from 'zod/v4';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { audit, normalEmail } from '@deliveryline/shared';
import { html, page, csrfField } from '../web/html';
import { t, type Lang } from '../web/i18n';
import { HttpError } from '../web/errors';
import { route, type Deps, type PortalRoute } from '../web/route-table';
import {
  countTotpFailure,
  deleteSession,
  insertSession,
  markSignedIn,
  passSecondFactor,
  userById,
} from '../repositories/identity.repository';
import { randomSecret, sha256 } from './secrets';
import { clockOf, LANG_COOKIE, clearSessionCookie, setSessionCookie } from './resolve-caller';
import { claimAttempt, succeeded } from './signin-limits';
import { checkSecondFactor, recoveryCodeUsed } from './second-factor';
import { checkCredentials } from './credentials';
import { lockedNow, refuse, refusalText } from './signin-outcome';
import type { Caller } from './caller';

const safeNext = (n: unknown) => (typeof n === 'string' && /^\/(?!\/)[\w\-./?=&%]*$/.test(n) ? n : '/');

function signinPage(lang: Lang, next: string, error?: string, email = '') {
  return page(
    { lang, title: t(lang, 'signin.title'), path: '/signin', flash: error ? { kind: 'error', text: error } : null },
    html`<div class="card signin">
      <form method="post" action="/signin" class="stack">
        <input type="hidden" name="next" value="${next}" />
        <label
          >${t(lang, 'signin.email')}<input type="email" name="email" value="${email}" required autocomplete="username" autofocus
        /></label>
        <label>${t(lang, 'signin.password')}<input type="password" name="password" required autocomplete="current-password" /></label>
        <button type="submit" id="signin-submit">${t(lang, 'signin.submit')}</button>
      </form>
    </div>`,
  );
}

export function homeOf(c: Caller): string {
  return { coordinator: '/dashboard', viewer: '/dashboard', member: '/batches', source: '/lists' }[c.role];
}

function totpPage(lang: Lang, caller: Caller, next: string, flash: string | null) {
  return page(
    { lang, title: t(lang, 'totp.title'), caller, path: '/signin/totp', flash: flash ? { kind: 'error', text: flash } : null },
    html`<div class="card signin">
      <p>${t(lang, 'totp.prompt')}</p>
      <form method="post" action="/signin/totp" class="stack">
        ${csrfField(caller)}
        <input type="hidden" name="next" value="${next}" />
        <label
          >${t(lang, 'totp.code')}<input
            name="code"
            autocomplete="one-time-code"
            autocapitalize="characters"
            spellcheck="false"
            maxlength="20"
            required
            autofocus
        /></label>
        <button>${t(lang, 'common.submit')}</button>
      </form>
      <p class="muted">${t(lang, 'totp.prompt.recovery')}</p>
    </div>`,
  );
}

/** Ends a pending session (too many wrong codes, or the account locked) and shows the sign-in form with why. */
async function endPending(d: Deps, req: FastifyRequest, reply: FastifyReply, lang: Lang, text: string, status: number) {
  if (req.sessionHash) await deleteSession(d.ctx.pool, req.sessionHash);
  clearSessionCookie(reply, d.settings);
  return reply
    .code(status)
    .type('text/html')
    .send(signinPage(lang, '/', text));
}

export const authRoutes: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/',
    kind: 'page',
    roles: 'public',
    summary: "home: the caller's start page",
    handler: async ({ caller, reply }) =>
      reply.redirect(caller ? (caller.pending === 'totp' ? '/signin/totp' : homeOf(caller)) : '/signin', 303),
  }),
  route({
    method: 'GET',
    url: '/signin',
    kind: 'page',
    roles: 'public',
    summary: 'sign-in form',
    query: z.object({ next: z.string().optional() }),
    handler: async ({ lang, query, reply }) => reply.type('text/html').send(signinPage(lang, safeNext(query.next))),
  }),
  route({
    method: 'POST',
    url: '/signin',
    kind: 'page',
    roles: 'public',
    summary: 'sign in with e-mail and password',
    body: z.object({ email: z.string().max(320), password: z.string().max(1000), next: z.string().optional() }),
    // a flood guard per process and address; the limits that count are in PostgreSQL (signin-limits.ts)
    rateLimit: (d) => ({ max: d.settings.signinPerMinute, timeWindow: '1 minute', hook: 'preHandler', keyGenerator: (req) => req.ip }),
    handler: async ({ ctx, deps, req, reply, lang, body }) => {
      const origin = req.headers.origin;
      if (origin && new URL(origin).host !== req.headers.host) throw new HttpError(403, 'csrf');
      const now = clockOf(deps.settings);
      const email = normalEmail(body.email);
      const form = (status: number, text: string) =>
        reply
          .code(status)
          .type('text/html')
          .send(signinPage(lang, safeNext(body.next), text, body.email));
      const c = await checkCredentials(ctx.pool, deps.settings, { email, password: body.password, client: req.ip }, now);
      if (c.ok === false && c.why === 'limited') {
        req.log.info({ ip: req.ip, why: c.claim.why }, 'sign-in attempt refused by the limits');
        refuse(reply, c.claim, now);
        return form(429, refusalText(lang, c.claim, now));
      }
      if (c.ok === false && c.why === 'password') {
        await audit(ctx.pool, {
          actor: c.user ? `user:${c.user.id}` : 'anonymous',
          action: 'user.signin_failed',
          details: { email, ip: req.ip },
        });
        if (!c.claim.locksNow) return form(401, t(lang, 'signin.failed'));
        await lockedNow(deps, req, email, c.user, c.claim, now);
        return form(
          401,
          refusalText(lang, { why: 'locked', until: new Date(now.getTime() + deps.settings.limits.lockSeconds * 1000) }, now),
        );
      }
      // the password was right: signed in, or with the second factor still to come (no code is sent here)
      const user = c.user!;
      const needsTotp = !c.ok;
      // a new session id at every sign-in; a session the browser still held ends here
      if (req.sessionHash) await deleteSession(ctx.pool, req.sessionHash);
      const secret = randomSecret();
      await insertSession(ctx.pool, {
        idHash: sha256(secret),
        userId: user.id,
        csrf: randomSecret(24),
        hours: deps.settings.sessionHours,
        secondFactorOk: !needsTotp,
        now,
      });
      await markSignedIn(ctx.pool, user.id);
      await audit(ctx.pool, {
        actor: `user:${user.id}`,
        action: 'user.signin',
        details: { ip: req.ip, secondFactor: needsTotp ? 'pending' : 'none' },
      });
      setSessionCookie(reply, secret, deps.settings);
      return reply.redirect(needsTotp ? `/signin/totp?next=${encodeURIComponent(safeNext(body.next))}` : safeNext(body.next), 303);
    },
  }),
  route({
    method: 'GET',
    url: '/signin/totp',
    kind: 'page',
    roles: ['coordinator', 'member', 'source', 'viewer'],
    allowPending: true,
    summary: 'second factor form',
    query: z.object({ next: z.string().optional(), wrong: z.string().optional() }),
    handler: async ({ lang, caller, query, reply }) =>
      reply.type('text/html').send(totpPage(lang, caller, safeNext(query.next), query.wrong ? t(lang, 'totp.wrong') : null)),
  }),
  route({
    method: 'POST',
    url: '/signin/totp',
    kind: 'page',
    roles: ['coordinator', 'member', 'source', 'viewer'],
    allowPending: true,
    summary: 'check the second factor (a TOTP code or a recovery code)',
    body: z.object({ code: z.string().max(20), next: z.string().optional(), _csrf: z.string().optional() }),
    rateLimit: (d) => ({ max: d.settings.signinPerMinute, timeWindow: '1 minute', hook: 'preHandler', keyGenerator: (req) => req.ip }),
    handler: async ({ ctx, deps, req, reply, caller, body, lang }) => {
      if (caller.via !== 'session' || !req.sessionHash) throw new HttpError(401, 'unauthenticated');
      const next = safeNext(body.next);
      if (caller.pending !== 'totp') return reply.redirect(next === '/' ? homeOf(caller) : next, 303);
      const now = clockOf(deps.settings);
      const who = { email: caller.email, ip: req.ip };
      const claim = await claimAttempt(ctx.pool, deps.settings.limits, who, now);
      if (!claim.ok) {
        if (claim.why === 'locked') return endPending(deps, req, reply, lang, refusalText(lang, claim, now), 429);
        refuse(reply, claim, now);
        return reply.type('text/html').send(totpPage(lang, caller, next, refusalText(lang, claim, now)));
      }
      const user = (await userById(ctx.pool, caller.userId))!;
      const check = await checkSecondFactor(ctx.pool, deps.settings.totpKey, user, body.code);
      if (!check.ok) {
        await audit(ctx.pool, {
          actor: caller.actor,
          action: 'user.totp_failed',
          details: { ip: req.ip, ...(check.replay ? { replay: true } : {}) },
        });
        if (claim.locksNow) {
          await lockedNow(deps, req, caller.email, user, claim, now);
          const until = new Date(now.getTime() + deps.settings.limits.lockSeconds * 1000);
          return endPending(deps, req, reply, lang, refusalText(lang, { why: 'locked', until }, now), 401);
        }
        const wrong = await countTotpFailure(ctx.pool, req.sessionHash);
        if (wrong >= deps.settings.limits.totpSessionFailures) {
          await audit(ctx.pool, { actor: caller.actor, action: 'user.totp_session_ended', details: { ip: req.ip, wrong } });
          return endPending(deps, req, reply, lang, t(lang, 'totp.session_ended'), 401);
        }
        return reply.redirect(`/signin/totp?wrong=1&next=${encodeURIComponent(next)}`, 303);
      }
      await succeeded(ctx.pool, who, now, { full: true, claim });
      // the session gets a new id now that it is fully signed in
      const secret = randomSecret();
      if (!(await passSecondFactor(ctx.pool, req.sessionHash, sha256(secret), randomSecret(24))))
        throw new HttpError(401, 'unauthenticated');
      setSessionCookie(reply, secret, deps.settings);
      await audit(ctx.pool, { actor: caller.actor, action: 'user.totp_ok', details: { ip: req.ip, by: check.by } });
      if (check.by === 'recovery') await recoveryCodeUsed(ctx.pool, deps.mailer, req.log, user, req.ip, caller.actor);
      return reply.redirect(next === '/' ? homeOf(caller) : next, 303);
    },
  }),
  route({
    method: 'POST',
    url: '/signout',
    kind: 'page',
    roles: ['coordinator', 'member', 'source', 'viewer'],
    allowPending: true,
    summary: 'sign out',
    body: z.object({ _csrf: z.string().optional() }),
    handler: async ({ ctx, deps, req, reply, caller }) => {
      if (req.sessionHash) await deleteSession(ctx.pool, req.sessionHash);
      await audit(ctx.pool, { actor: caller.actor, action: 'user.signout' });
      clearSessionCookie(reply, deps.settings);
      return reply.redirect('/signin', 303);
    },
  }),
  route({
    method: 'GET',
    url: '/lang/:lang',
    kind: 'page',
    roles: 'public',
    summary: 'switch the language (a preference cookie)',
    params: z.object({ lang: z.enum(['ja', 'en']) }),
    query: z.object({ back: z.string().optional() }),
    handler: async ({ params, query, reply }) => {
      reply.setCookie(LANG_COOKIE, params.lang, { path: '/', sameSite: 'lax', maxAge: 365 * 86400 });
      return reply.redirect(safeNext(query.back), 303);
    },
  }),
];
