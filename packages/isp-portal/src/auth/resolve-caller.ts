import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '@deliveryline/shared';
import type { PortalSettings } from '../settings';
import { pickLang, type Lang } from '../web/i18n';
import type { Caller } from './caller';
import { sessionUser, tokenUser, type UserRow } from '../repositories/identity.repository';
import { sha256 } from './secrets';
import { HttpError } from '../web/errors';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
    lang: Lang;
    /** sha256 of the session cookie, for sign-out and the second factor */
    sessionHash: string | null;
  }
}

export const SESSION_COOKIE = 'dl_session';
export const LANG_COOKIE = 'dl_lang';

/** The portal's clock (settings.clock in tests). */
export const clockOf = (s: Pick<PortalSettings, 'clock'>) => new Date((s.clock ?? Date.now)());

/** PORTAL_REQUIRE_TOTP covers this user's role and they have no second factor yet. */
export const totpRequired = (u: Pick<UserRow, 'role' | 'totp_secret'>, s: PortalSettings) =>
  s.requireTotp && s.totpRoles.includes(u.role) && !u.totp_secret;

function toCaller(u: UserRow, via: Caller['via'], actor: string, extra: Partial<Caller>, s: PortalSettings): Caller {
  const hasTotp = !!u.totp_secret;
  let pending: Caller['pending'] = extra.pending ?? null;
  if (!pending && via === 'session' && u.must_change_password) pending = 'password';
  if (!pending && via === 'session' && totpRequired(u, s)) pending = 'totp-setup';
  return {
    userId: Number(u.id),
    email: u.email,
    name: u.name,
    role: u.role,
    memberId: u.member_id,
    sourceId: u.source_id,
    actor,
    via,
    csrf: null,
    tokenScope: null,
    hasTotp,
    ...extra,
    pending,
  };
}

/** Every request: bearer token or session cookie → req.caller (or null); language from cookie or browser. */
export function installCallerResolution(app: FastifyInstance, ctx: AppContext, settings: PortalSettings): void {
  app.decorateRequest('caller', null);
  app.decorateRequest('lang', 'ja');
  app.decorateRequest('sessionHash', null);
  app.addHook('onRequest', async (req) => {
    req.lang = pickLang(req.cookies[LANG_COOKIE], req.headers['accept-language']);
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      const t = await tokenUser(ctx.pool, sha256(auth.slice(7).trim()));
      // a token does not get round the second-factor policy: its owner must have TOTP on
      if (t && totpRequired(t.user, settings)) throw new HttpError(403, 'token.totp_required', { role: t.user.role });
      if (t) req.caller = toCaller(t.user, 'token', `token:${t.tokenId}`, { tokenScope: t.scope }, settings);
      return;
    }
    const cookie = req.cookies[SESSION_COOKIE];
    if (!cookie) return;
    const hash = sha256(cookie);
    const s = await sessionUser(ctx.pool, hash, clockOf(settings), settings.sessionIdleMinutes);
    if (!s) return;
    req.sessionHash = hash;
    req.caller = toCaller(
      s.user,
      'session',
      `user:${s.user.id}`,
      { csrf: s.csrf, pending: s.user.totp_secret && !s.secondFactorOk ? 'totp' : null },
      settings,
    );
  });
}

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site posts),
 * Secure when the portal is served over https, path /, and no longer-lived than the session.
 */
export function setSessionCookie(reply: FastifyReply, value: string, s: PortalSettings): void {
  reply.setCookie(SESSION_COOKIE, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: s.cookieSecure,
    maxAge: s.sessionHours * 3600,
  });
}

export function clearSessionCookie(reply: FastifyReply, s: PortalSettings): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: s.cookieSecure });
}
