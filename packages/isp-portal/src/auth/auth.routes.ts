import { z } from 'zod/v4';
import { audit } from '@deliveryline/shared';
import { html, page, csrfField } from '../web/html';
import { t, type Lang } from '../web/i18n';
import { HttpError } from '../web/errors';
import { route, type PortalRoute } from '../web/route-table';
import { deleteSession, insertSession, markSignedIn, passSecondFactor, userByEmail } from '../repositories/identity.repository';
import { randomSecret, sha256, verifyPassword } from './secrets';
import { LANG_COOKIE, SESSION_COOKIE, setSessionCookie } from './resolve-caller';
import { checkTotp } from './totp';
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
    rateLimit: (d) => ({
      max: d.settings.signinPerMinute,
      timeWindow: '1 minute',
      hook: 'preHandler',
      keyGenerator: (req) => `${req.ip}|${String((req.body as Record<string, string> | undefined)?.email ?? '').toLowerCase()}`,
    }),
    handler: async ({ ctx, deps, req, reply, lang, body }) => {
      const origin = req.headers.origin;
      if (origin && new URL(origin).host !== req.headers.host) throw new HttpError(403, 'csrf');
      const user = await userByEmail(ctx.pool, body.email.trim());
      const ok = await verifyPassword(body.password, user?.active ? user.password_hash : null);
      if (!user || !ok) {
        await audit(ctx.pool, {
          actor: user ? `user:${user.id}` : 'anonymous',
          action: 'user.signin_failed',
          details: { email: body.email.trim().toLowerCase(), ip: req.ip },
        });
        return reply
          .code(401)
          .type('text/html')
          .send(signinPage(lang, safeNext(body.next), t(lang, 'signin.failed'), body.email));
      }
      const secret = randomSecret();
      const needsTotp = !!user.totp_secret;
      await insertSession(ctx.pool, {
        idHash: sha256(secret),
        userId: user.id,
        csrf: randomSecret(24),
        hours: deps.settings.sessionHours,
        secondFactorOk: !needsTotp,
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
      reply.type('text/html').send(
        page(
          {
            lang,
            title: t(lang, 'totp.title'),
            caller,
            path: '/signin/totp',
            flash: query.wrong ? { kind: 'error', text: t(lang, 'totp.wrong') } : null,
          },
          html`<div class="card signin">
            <p>${t(lang, 'totp.prompt')}</p>
            <form method="post" action="/signin/totp" class="stack">
              ${csrfField(caller)}
              <input type="hidden" name="next" value="${safeNext(query.next)}" />
              <label
                >${t(lang, 'totp.code')}<input
                  name="code"
                  inputmode="numeric"
                  pattern="[0-9]{6}"
                  autocomplete="one-time-code"
                  required
                  autofocus
              /></label>
              <button>${t(lang, 'common.submit')}</button>
            </form>
          </div>`,
        ),
      ),
  }),
  route({
    method: 'POST',
    url: '/signin/totp',
    kind: 'page',
    roles: ['coordinator', 'member', 'source', 'viewer'],
    allowPending: true,
    summary: 'check the second factor',
    body: z.object({ code: z.string().max(10), next: z.string().optional(), _csrf: z.string().optional() }),
    rateLimit: (d) => ({ max: d.settings.signinPerMinute, timeWindow: '1 minute', hook: 'preHandler' }),
    handler: async ({ ctx, req, reply, caller, body }) => {
      const secret = caller.via === 'session' && req.sessionHash ? (await userByEmail(ctx.pool, caller.email))?.totp_secret : null;
      if (!secret || !checkTotp(secret, body.code.trim())) {
        await audit(ctx.pool, { actor: caller.actor, action: 'user.totp_failed', details: { ip: req.ip } });
        return reply.redirect(`/signin/totp?wrong=1&next=${encodeURIComponent(safeNext(body.next))}`, 303);
      }
      await passSecondFactor(ctx.pool, req.sessionHash!);
      await audit(ctx.pool, { actor: caller.actor, action: 'user.totp_ok', details: { ip: req.ip } });
      return reply.redirect(safeNext(body.next) === '/' ? homeOf(caller) : safeNext(body.next), 303);
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
    handler: async ({ ctx, req, reply, caller }) => {
      if (req.sessionHash) await deleteSession(ctx.pool, req.sessionHash);
      await audit(ctx.pool, { actor: caller.actor, action: 'user.signout' });
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
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
