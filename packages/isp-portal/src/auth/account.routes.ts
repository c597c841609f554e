import { z } from 'zod/v4';
import { audit } from '@deliveryline/shared';
import QRCode from 'qrcode';
import { html, page, csrfField, table, fmtDate, raw } from '../web/html';
import { t } from '../web/i18n';
import { HttpError, notFound } from '../web/errors';
import { route, id, type PortalRoute, type RouteCall } from '../web/route-table';
import { ROLES } from './caller';
import { recoveryCodesLeft, revokeToken, setTotpSecret, tokensOf } from '../repositories/identity.repository';
import { createToken } from '../services/users';
import { newTotpSecret, totpStep, totpUri } from './totp';
import { sealSecret } from './totp-crypto';
import { issueRecoveryCodes, notifyChange } from './second-factor';

const everyone = ROLES;

async function accountPage(
  c: RouteCall<unknown, unknown, unknown>,
  extra: { newToken?: string; totpWrong?: boolean; recoveryCodes?: string[] } = {},
) {
  const { lang, caller, ctx } = c;
  const tokens = await tokensOf(ctx.pool, caller.userId);
  const hasTotp = caller.hasTotp || !!extra.recoveryCodes;
  const secret = newTotpSecret();
  // the key as a QR code an authenticator app scans (SVG, drawn here: nothing leaves the server)
  const qr = hasTotp
    ? ''
    : await QRCode.toString(totpUri(secret, caller.email), { type: 'svg', margin: 1, width: 200, errorCorrectionLevel: 'M' });
  const recovery = extra.recoveryCodes
    ? html`<div class="card flash ok" id="recovery-codes">
        <p>${t(lang, 'recovery.shown')}</p>
        <ul class="secret onetime" translate="no">
          ${extra.recoveryCodes.map((k) => html`<li>${k}</li>`)}
        </ul>
      </div>`
    : html`<p id="recovery-left">${t(lang, 'recovery.left', { n: await recoveryCodesLeft(ctx.pool, caller.userId) })}</p>`;
  const totp = hasTotp
    ? html`<p>${t(lang, 'totp.enabled')}</p>
        <h3>${t(lang, 'recovery.title')}</h3>
        ${recovery}
        ${
          caller.pending
            ? ''
            : html`<form method="post" action="/account/recovery-codes" class="row">
                ${csrfField(caller)}<button class="secondary" id="recovery-regenerate">${t(lang, 'recovery.regenerate')}</button>
                <span class="muted">${t(lang, 'recovery.regenerate.help')}</span>
              </form>`
        }`
    : html`${caller.pending === 'totp-setup' ? html`<div class="flash error">${t(lang, 'totp.required')}</div>` : ''}
        <p>${t(lang, 'totp.setup.help')}</p>
        <div class="qr" id="totp-qr" role="img" aria-label="${t(lang, 'totp.qr')}">${raw(qr)}</div>
        <p class="secret" id="totp-secret">${secret}</p>
        <p class="muted"><code>${totpUri(secret, caller.email)}</code></p>
        <form method="post" action="/account/totp" class="row">
          ${csrfField(caller)}<input type="hidden" name="secret" value="${secret}" />
          <label>${t(lang, 'totp.code')}<input name="code" inputmode="numeric" pattern="[0-9]{6}" required /></label
          ><button>${t(lang, 'common.save')}</button>
        </form>`;
  const tokenPart = caller.pending
    ? ''
    : html`<h2>${t(lang, 'account.tokens')}</h2>
        ${
          extra.newToken
            ? html`<div class="card">
                <p>${t(lang, 'account.token.shown')}</p>
                <p class="secret" id="new-token">${extra.newToken}</p>
              </div>`
            : ''
        }
        <form method="post" action="/account/tokens" class="row card">
          ${csrfField(caller)}
          <label>${t(lang, 'account.token.name')}<input name="name" required maxlength="100" /></label>
          <label
            >${t(lang, 'account.token.scope')}<select name="scope">
              <option value="read">read</option>
              <option value="write">write</option>
            </select></label
          >
          <button>${t(lang, 'account.token.create')}</button>
        </form>
        ${table(
          [t(lang, 'account.token.name'), t(lang, 'account.token.scope'), t(lang, 'common.created'), t(lang, 'account.token.lastUsed'), ''],
          tokens.map((k) => [
            k.name,
            k.scope,
            fmtDate(k.created_at, lang),
            fmtDate(k.last_used_at, lang),
            k.revoked_at
              ? t(lang, 'account.token.revoked')
              : html`<form method="post" action="/account/tokens/${k.id}/revoke" class="inline">
                  ${csrfField(caller)}<button class="secondary">${t(lang, 'account.token.revoke')}</button>
                </form>`,
          ]),
        )}`;
  return page(
    {
      lang,
      title: t(lang, 'account.title'),
      caller,
      path: '/account',
      flash: extra.totpWrong ? { kind: 'error', text: t(lang, 'totp.wrong') } : null,
    },
    html`<div class="card">
        <p>
          <span translate="no"><b>${caller.name}</b> &lt;${caller.email}&gt;</span> · ${t(lang, `role.${caller.role}`)}
        </p>
      </div>
      <h2>${t(lang, hasTotp ? 'totp.heading' : 'totp.setup')}</h2>
      <div class="card">${totp}</div>
      ${tokenPart}`,
  );
}

/** Ten new recovery codes (the old ones stop working), audited and told to the owner, shown this once. */
async function newRecoveryCodes(c: RouteCall<unknown, unknown, unknown>, action: string, change: 'totp' | 'recovery') {
  const codes = await issueRecoveryCodes(c.ctx.pool, c.deps.settings.totpKey, c.caller.userId);
  await audit(c.ctx.pool, { actor: c.caller.actor, action, object: `user:${c.caller.userId}` });
  await notifyChange(c.ctx.pool, c.deps.mailer, c.req.log, c.caller.userId, change, c.req.ip);
  return c.reply.type('text/html').send(await accountPage(c, { recoveryCodes: codes }));
}

export const accountRoutes: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/account',
    kind: 'page',
    roles: everyone,
    allowPending: true,
    summary: 'account: second factor and API tokens',
    handler: async (c) => c.reply.type('text/html').send(await accountPage(c)),
  }),
  route({
    method: 'POST',
    url: '/account/totp',
    kind: 'page',
    roles: everyone,
    allowPending: true,
    summary: 'turn on the TOTP second factor',
    body: z.object({ secret: z.string().regex(/^[A-Z2-7]{16,64}$/), code: z.string().max(10), _csrf: z.string().optional() }),
    handler: async (c) => {
      if (c.caller.pending === 'totp') throw new HttpError(401, 'unauthenticated');
      if (c.caller.hasTotp) return c.reply.redirect('/account', 303);
      const step = totpStep(c.body.secret, c.body.code.trim());
      if (step === null)
        return c.reply
          .code(400)
          .type('text/html')
          .send(await accountPage(c, { totpWrong: true }));
      const key = c.deps.settings.totpKey;
      await setTotpSecret(c.ctx.pool, c.caller.userId, sealSecret(key, c.caller.userId, c.body.secret), step);
      return newRecoveryCodes(c, 'user.totp_enabled', 'totp');
    },
  }),
  route({
    method: 'POST',
    url: '/account/recovery-codes',
    kind: 'page',
    roles: everyone,
    summary: 'ten new recovery codes for the second factor (shown once; the old ones stop working)',
    body: z.object({ _csrf: z.string().optional() }),
    handler: async (c) => {
      if (!c.caller.hasTotp) throw new HttpError(409, 'totp.not_enabled');
      return newRecoveryCodes(c, 'user.recovery_codes_generated', 'recovery');
    },
  }),
  route({
    method: 'POST',
    url: '/account/tokens',
    kind: 'page',
    roles: everyone,
    summary: 'create an API token (shown once)',
    body: z.object({
      name: z.string().trim().min(1).max(100),
      scope: z.enum(['read', 'write']).default('read'),
      _csrf: z.string().optional(),
    }),
    handler: async (c) => {
      const { token } = await createToken(c.ctx.pool, {
        userId: c.caller.userId,
        name: c.body.name,
        scope: c.body.scope,
        actor: c.caller.actor,
      });
      return c.reply.type('text/html').send(await accountPage(c, { newToken: token }));
    },
  }),
  route({
    method: 'POST',
    url: '/account/tokens/:tokenId/revoke',
    kind: 'page',
    roles: everyone,
    summary: 'revoke one of your API tokens',
    params: z.object({ tokenId: id }),
    body: z.object({ _csrf: z.string().optional() }),
    handler: async (c) => {
      if (!(await revokeToken(c.ctx.pool, c.caller.userId, c.params.tokenId))) throw notFound();
      await audit(c.ctx.pool, { actor: c.caller.actor, action: 'token.revoke', object: `token:${c.params.tokenId}` });
      return c.reply.redirect('/account', 303);
    },
  }),
];
