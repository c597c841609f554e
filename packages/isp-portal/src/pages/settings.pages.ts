import crypto from 'node:crypto';
import { z } from 'zod/v4';
import { audit, listCampaignSettings, setCampaignSettings, TLPS } from '@deliveryline/shared';
import { signWebhook, SIGNATURE_HEADER } from '@deliveryline/router';
import { memberWebhook, setMemberWebhook } from '../repositories/registry.repository';
import { csrfField, html, raw, table, type Safe } from '../web/html';
import { t } from '../web/i18n';
import { HttpError, notFound } from '../web/errors';
import { route, type PortalRoute, type RouteCall } from '../web/route-table';
import { render } from './render';

/**
 * Settings a coordinator keeps in the portal (they were SQL or CLI only): each member's webhook
 * (URL, secret, a test) and each campaign's name, TLP, due days and approval.
 */
type Flash = { kind: 'ok' | 'error'; text: string };
const memberParam = z.object({ memberId: z.string().max(100) });
const newSecret = () => `whsec_${crypto.randomBytes(24).toString('base64url')}`;

export async function webhookCard(
  c: RouteCall<unknown, unknown, unknown>,
  memberId: string,
  o: { secret?: string; test?: { ok: boolean; text: string } } = {},
): Promise<Safe> {
  const { lang, caller } = c;
  const w = await memberWebhook(c.ctx.pool, memberId);
  if (!w) throw notFound();
  const action = (p: string) => `/members/${encodeURIComponent(memberId)}/webhook${p}`;
  return html`<h2 id="webhook">${t(lang, 'webhook.title')}</h2><div class="card"><p>${t(lang, 'webhook.help')}</p>
<form method="post" action="${action('')}" class="row">${csrfField(caller)}
<label>${t(lang, 'webhook.url')}<input type="url" name="url" value="${w.webhook_url ?? ''}" size="44" placeholder="https://tickets.example.jp/hooks/deliveryline"></label>
<button id="webhook-save">${t(lang, 'common.save')}</button></form>
<p>${t(lang, 'webhook.secret')}: ${w.webhook_secret ? t(lang, 'webhook.secret.set') : html`<span class="overdue">${t(lang, 'webhook.secret.none')}</span>`}</p>
${
  o.secret
    ? html`<div class="flash ok">
        <p>${t(lang, 'webhook.secret.shown')}</p>
        <p class="secret" id="webhook-secret" translate="no">${o.secret}</p>
      </div>`
    : ''
}
${o.test ? html`<div class="flash ${o.test.ok ? 'ok' : 'error'}" id="webhook-test-result">${o.test.text}</div>` : ''}
<p class="row"><form method="post" action="${action('/secret')}" class="inline">${csrfField(caller)}<button class="secondary" id="webhook-rotate">${w.webhook_secret ? t(lang, 'webhook.rotate') : t(lang, 'webhook.create')}</button></form>
${w.webhook_url && w.webhook_secret ? html`<form method="post" action="${action('/test')}" class="inline">${csrfField(caller)}<button class="secondary" id="webhook-test">${t(lang, 'webhook.test')}</button></form>` : ''}</p></div>`;
}

async function memberPage(
  c: RouteCall<{ memberId: string }, unknown, unknown>,
  o: Parameters<typeof webhookCard>[2],
  flash: Flash | null,
  status = 200,
) {
  return render(
    c,
    `${t(c.lang, 'webhook.title')} · ${c.params.memberId}`,
    html`${await webhookCard(c, c.params.memberId, o)}
      <p><a href="/members/${encodeURIComponent(c.params.memberId)}">${t(c.lang, 'common.back')}</a></p>`,
    { flash, status },
  );
}

/** One signed POST like a real batch.ready, marked as a test; the answer is shown, nothing is retried. */
async function sendTest(url: string, secret: string, memberId: string): Promise<{ ok: boolean; status: number | null; answer: string }> {
  const body = JSON.stringify({ event: 'webhook.test', memberId, at: new Date().toISOString() });
  try {
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'deliveryline-webhook/1',
        'x-deliveryline-event': 'webhook.test',
        [SIGNATURE_HEADER.toLowerCase()]: signWebhook(secret, body),
      },
    });
    return { ok: res.status >= 200 && res.status < 300, status: res.status, answer: (await res.text().catch(() => '')).slice(0, 200) };
  } catch (err) {
    return { ok: false, status: null, answer: String((err as Error).cause ?? (err as Error).message).slice(0, 200) };
  }
}

const CampaignBody = z.object({
  name: z.string().trim().min(1).max(200),
  tlp: z.enum(TLPS),
  dueDays: z.union([z.literal(''), z.coerce.number().int().min(1).max(365)]),
  approval: z.enum(['default', 'required', 'off']),
  _csrf: z.string().optional(),
});

async function campaignsPage(c: RouteCall<unknown, unknown, unknown>, flash: Flash | null = null, status = 200) {
  const { lang, caller, ctx } = c;
  const rows = await listCampaignSettings(ctx.pool);
  const dflt = {
    due: ctx.env.DEFAULT_DUE_DAYS,
    approval: ctx.env.APPROVAL_REQUIRED ? t(lang, 'campaign.approval.required') : t(lang, 'campaign.approval.off'),
  };
  return render(
    c,
    t(lang, 'nav.campaigns'),
    html`<p class="muted">${t(lang, 'campaign.help', { due: dflt.due, approval: dflt.approval })}</p>
      ${table(
        ['#', t(lang, 'field.name'), t(lang, 'field.tlp'), t(lang, 'campaign.dueDays'), t(lang, 'campaign.approval'), ''],
        rows.map((k) => {
          const f = `campaign-${k.id}`;
          return [
            html`<a href="/campaigns/${encodeURIComponent(k.id)}" translate="no">${k.id}</a>`,
            html`<input form="${f}" name="name" value="${k.name}" required maxlength="200" size="18" />`,
            html`<select form="${f}" name="tlp">
              ${TLPS.map((x) => html`<option value="${x}" ${raw(x === k.tlp ? ' selected' : '')}>TLP:${x.toUpperCase()}</option>`)}
            </select>`,
            html`<input
              form="${f}"
              name="dueDays"
              type="number"
              min="1"
              max="365"
              value="${k.dueDays ?? ''}"
              placeholder="${dflt.due}"
              size="4"
            />`,
            html`<select form="${f}" name="approval">
              ${(['default', 'required', 'off'] as const).map((x) => html`<option value="${x}" ${raw((k.approvalRequired == null ? 'default' : k.approvalRequired ? 'required' : 'off') === x ? ' selected' : '')}>${t(lang, `campaign.approval.${x}`)}</option>`)}
            </select>`,
            html`<form id="${f}" method="post" action="/campaigns/${encodeURIComponent(k.id)}/settings" class="inline">
              ${csrfField(caller)}<button>${t(lang, 'common.save')}</button>
            </form>`,
          ];
        }),
        '',
        'campaigns-table',
      )}`,
    { flash, status },
  );
}

export const adminSettingsPages: PortalRoute[] = [
  route({
    method: 'POST',
    url: '/members/:memberId/webhook',
    kind: 'page',
    roles: ['coordinator'],
    summary: "set or clear a member's webhook URL (audited)",
    params: memberParam,
    body: z.object({ url: z.string().max(2000).default(''), _csrf: z.string().optional() }),
    handler: async (c) => {
      const url = c.body.url.trim();
      if (url && !/^https?:\/\/[^\s]+$/.test(url)) {
        return memberPage(c, {}, { kind: 'error', text: t(c.lang, 'error.webhook.url') }, 400);
      }
      if (!(await setMemberWebhook(c.ctx.pool, c.params.memberId, { url: url || null }))) throw notFound();
      await audit(c.ctx.pool, {
        actor: c.caller.actor,
        action: 'member.webhook',
        object: `member:${c.params.memberId}`,
        details: { url: url || null },
      });
      return memberPage(c, {}, { kind: 'ok', text: t(c.lang, url ? 'webhook.saved' : 'webhook.off') });
    },
  }),
  route({
    method: 'POST',
    url: '/members/:memberId/webhook/secret',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'a new webhook secret for a member, shown once (audited)',
    params: memberParam,
    body: z.object({ _csrf: z.string().optional() }),
    handler: async (c) => {
      const w = await memberWebhook(c.ctx.pool, c.params.memberId);
      if (!w) throw notFound();
      const secret = newSecret();
      await setMemberWebhook(c.ctx.pool, c.params.memberId, { url: w.webhook_url, secret });
      await audit(c.ctx.pool, {
        actor: c.caller.actor,
        action: 'member.webhook',
        object: `member:${c.params.memberId}`,
        details: { secretRotated: true },
      });
      return memberPage(c, { secret }, { kind: 'ok', text: t(c.lang, 'webhook.rotated') });
    },
  }),
  route({
    method: 'POST',
    url: '/members/:memberId/webhook/test',
    kind: 'page',
    roles: ['coordinator'],
    summary: "send a signed test event to a member's webhook and show the answer",
    params: memberParam,
    body: z.object({ _csrf: z.string().optional() }),
    handler: async (c) => {
      const w = await memberWebhook(c.ctx.pool, c.params.memberId);
      if (!w) throw notFound();
      if (!w.webhook_url || !w.webhook_secret) throw new HttpError(409, 'webhook.not_set');
      const r = await sendTest(w.webhook_url, w.webhook_secret, w.id);
      await audit(c.ctx.pool, {
        actor: c.caller.actor,
        action: 'member.webhook_test',
        object: `member:${w.id}`,
        details: { url: w.webhook_url, status: r.status, ok: r.ok },
      });
      const text = r.ok
        ? t(c.lang, 'webhook.test.ok', { status: r.status })
        : t(c.lang, 'webhook.test.failed', { status: r.status ?? '—' });
      return memberPage(c, { test: { ok: r.ok, text: `${text} ${r.answer ? `(${r.answer})` : ''}` } }, null, r.ok ? 200 : 502);
    },
  }),
  route({
    method: 'GET',
    url: '/campaigns',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'campaign settings: name, TLP, due days, approval',
    handler: async (c) => campaignsPage(c),
  }),
  route({
    method: 'POST',
    url: '/campaigns/:campaignId/settings',
    kind: 'page',
    roles: ['coordinator'],
    summary: "change a campaign's settings (audited)",
    params: z.object({ campaignId: z.string().max(100) }),
    handler: async (c) => {
      const p = CampaignBody.safeParse(c.req.body ?? {});
      if (!p.success) {
        const i = p.error.issues[0];
        return campaignsPage(
          c,
          { kind: 'error', text: t(c.lang, 'error.campaign.invalid', { field: t(c.lang, `campaign.field.${String(i.path[0])}`) }) },
          400,
        );
      }
      const known = (await listCampaignSettings(c.ctx.pool)).some((k) => k.id === c.params.campaignId);
      if (!known) throw notFound();
      const b = p.data;
      await setCampaignSettings(
        c.ctx.pool,
        c.params.campaignId,
        {
          name: b.name,
          tlp: b.tlp,
          dueDays: b.dueDays === '' ? null : b.dueDays,
          approvalRequired: b.approval === 'default' ? null : b.approval === 'required',
        },
        c.caller.email,
      );
      return campaignsPage(c, { kind: 'ok', text: t(c.lang, 'campaign.saved', { id: c.params.campaignId }) });
    },
  }),
];
