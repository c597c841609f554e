import { z } from 'zod/v4';
import { listSources } from '@deliveryline/shared';
import { SOURCE_KINDS } from '@deliveryline/ingest';
import { changeSource, ZONE_CHOICES } from '../services/sources';
import { csrfField, html, type Safe } from '../web/html';
import { t, type Lang } from '../web/i18n';
import { HttpError, messageOf } from '../web/errors';
import { route, type PortalRoute, type RouteCall } from '../web/route-table';
import { render } from './render';

const zoneList = (lang: Lang) =>
  html`<datalist id="zones">
    ${ZONE_CHOICES.map((z) => html`<option value="${z}">${t(lang, `zone.${z}`)}</option>`)}
    <option value="+09:00"></option>
  </datalist>`;

async function sourcesPage(
  c: RouteCall<unknown, unknown, unknown>,
  flash?: { kind: 'ok' | 'error'; text: string },
  status = 200,
  kept?: { id: string; values: Record<string, unknown> },
) {
  const { lang, caller } = c;
  const rows = await listSources(c.ctx.pool);
  const form = (
    s: {
      id: string;
      name: string;
      kind: string;
      default_timezone: string | null;
      default_profile: string | null;
      anonymous: boolean;
    } | null,
  ): Safe => {
    const v = kept && s && kept.id === s.id ? kept.values : null;
    const val = (k: string, d: unknown) => String(v?.[k] ?? d ?? '');
    return html`<form method="post" action="/sources" class="row source-form" data-source="${s?.id ?? ''}">
      ${csrfField(caller)}
      <label
        >${t(lang, 'sources.id')}<input
          name="id"
          value="${s?.id ?? ''}"
          ${s ? html`readonly` : html`required`}
          pattern="[a-z0-9][a-z0-9_.\\-]*"
          placeholder="jpcert"
          size="10"
      /></label>
      <label>${t(lang, 'field.name')}<input name="name" value="${val('name', s?.name)}" size="14" /></label>
      <label
        >${t(lang, 'sources.kind')}<select name="kind">
          ${SOURCE_KINDS.map((k) => html`<option value="${k}" ${val('kind', s?.kind ?? 'other') === k ? html`selected` : ''}>${t(lang, `sources.kind.${k}`)}</option>`)}
        </select></label
      >
      <label
        >${t(lang, 'field.timezone')}<input
          name="timezone"
          list="zones"
          value="${val('timezone', s?.default_timezone)}"
          placeholder="Asia/Tokyo"
          size="12"
      /></label>
      <label
        >${t(lang, 'sources.profile')}<input
          name="profile"
          value="${val('profile', s?.default_profile)}"
          placeholder="${t(lang, 'sources.profile.auto')}"
          size="12"
      /></label>
      <label
        >${t(lang, 'sources.anonymous')}<select name="anonymous">
          <option value="0">${t(lang, 'sources.named')}</option>
          <option value="1" ${(v ? v.anonymous : s?.anonymous) ? html`selected` : ''}>${t(lang, 'sources.anon')}</option>
        </select></label
      >
      <button>${t(lang, s ? 'common.save' : 'sources.add')}</button>
    </form>`;
  };
  return render(
    c,
    t(lang, 'sources.title'),
    html`${zoneList(lang)}
      <div class="card"><p>${t(lang, 'sources.help')}</p></div>
      ${rows.map(
        (s) =>
          html`<div class="card" id="source-${s.id}">
            <h2>
              ${s.name}
              <span class="muted"
                >(${s.id}) ·
                ${t(lang, 'sources.lists', { n: s.lists })}${s.last_encoding ? ` · ${s.last_encoding === 'cp932' ? 'Shift_JIS' : s.last_encoding}` : ''}</span
              >
            </h2>
            ${form(s)}
          </div>`,
      )}
      <h2>${t(lang, 'sources.add')}</h2>
      <div class="card">${form(null)}</div>`,
    { flash, status },
  );
}

const SourceForm = z.object({
  id: z.string().max(100),
  name: z.string().max(200).optional(),
  kind: z.string().max(20).optional(),
  timezone: z.string().max(60).optional(),
  profile: z.string().max(100).optional(),
  anonymous: z.enum(['0', '1']).optional(),
  _csrf: z.string().optional(),
});

export const sourcePages: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/sources',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'sources and their defaults (time zone, profile, anonymity, name)',
    handler: async (c) => sourcesPage(c),
  }),
  route({
    method: 'POST',
    url: '/sources',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'change or add a source',
    body: SourceForm,
    handler: async (c) => {
      const b = c.body;
      const patch = {
        name: b.name?.trim() || undefined,
        kind: b.kind || undefined,
        timezone: b.timezone ?? undefined,
        profile: b.profile ?? undefined,
        anonymous: b.anonymous ? b.anonymous === '1' : undefined,
      };
      try {
        const s = await changeSource(c.ctx, c.caller, b.id.trim().toLowerCase(), patch);
        return sourcesPage(c, {
          kind: 'ok',
          text: t(c.lang, 'sources.saved', { id: s.id, zone: s.default_timezone ?? t(c.lang, 'sources.noZone') }),
        });
      } catch (e) {
        if (e instanceof HttpError && e.status === 400)
          return sourcesPage(c, { kind: 'error', text: messageOf(c.lang, e) }, 400, {
            id: b.id,
            values: { ...patch, anonymous: b.anonymous === '1' },
          });
        throw e;
      }
    },
  }),
];
