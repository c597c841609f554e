import type { Caller } from '../auth/caller';
import { t, type Lang } from './i18n';

/** A string already escaped: only `html` and `raw` make one, so user data is escaped by default. */
export class Safe {
  constructor(readonly s: string) {}
  toString() {
    return this.s;
  }
}
export const raw = (s: string) => new Safe(s);

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function part(v: unknown): string {
  if (v instanceof Safe) return v.s;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === false || v == null) return '';
  return esc(v);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Safe {
  return new Safe(strings.reduce((acc, s, i) => acc + s + (i < values.length ? part(values[i]) : ''), ''));
}

export function fmtDate(d: Date | string | null | undefined, lang: Lang): string {
  if (!d) return '—';
  return (
    new Date(d).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: 'Asia/Tokyo', dateStyle: 'medium', timeStyle: 'short' }) +
    ' JST'
  );
}
export const fmtNum = (n: number | null | undefined) => (n == null ? '—' : n.toLocaleString('en-US'));
export const fmtRate = (r: number | null | undefined) => (r == null ? '—' : `${(r * 100).toFixed(1)}%`);

export function badge(lang: Lang, state: string): Safe {
  return html`<span class="badge s-${state}">${t(lang, `state.${state}`)}</span>`;
}

const NAV: Record<Caller['role'], [href: string, key: string][]> = {
  coordinator: [
    ['/dashboard', 'nav.dashboard'],
    ['/upload', 'nav.upload'],
    ['/lists', 'nav.lists'],
    ['/sources', 'nav.sources'],
    ['/batches', 'nav.batches'],
    ['/batches?overdue=1', 'nav.overdue'],
    ['/members', 'nav.members'],
    ['/campaigns', 'nav.campaigns'],
    ['/approvals', 'nav.approvals'],
    ['/users', 'nav.users'],
    ['/audit', 'nav.audit'],
    ['/admin/queues', 'nav.queues'],
  ],
  member: [
    ['/batches', 'nav.batches'],
    ['/registry', 'nav.registry'],
  ],
  source: [
    ['/lists', 'nav.lists'],
    ['/upload', 'nav.upload'],
  ],
  viewer: [
    ['/dashboard', 'nav.dashboard'],
    ['/lists', 'nav.lists'],
  ],
};

export interface PageOpts {
  lang: Lang;
  title: string;
  caller?: Caller | null;
  path?: string;
  flash?: { kind: 'ok' | 'error'; text: string } | null;
}

export function page(o: PageOpts, body: Safe): string {
  const { lang, caller } = o;
  const other: Lang = lang === 'ja' ? 'en' : 'ja';
  const back = encodeURIComponent(o.path ?? '/');
  const nav =
    caller && !caller.pending
      ? NAV[caller.role].map(([href, key]) => html`<a href="${href}" class="${o.path === href ? 'on' : ''}">${t(lang, key)}</a>`)
      : [];
  const who = caller
    ? html`<span class="who" translate="no" title="${caller.email} · ${t(lang, `role.${caller.role}`)}"
          >${caller.name}${caller.memberId ? ` · ${caller.memberId}` : ''}${caller.sourceId ? ` · ${caller.sourceId}` : ''}</span
        >
        <a href="/account">${t(lang, 'nav.account')}</a>
        <form method="post" action="/signout" class="inline">
          <input type="hidden" name="_csrf" value="${caller.csrf ?? ''}" /><button class="link">${t(lang, 'nav.signout')}</button>
        </form>`
    : '';
  return (
    '<!doctype html>' +
    html`<html lang="${lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>${o.title} · deliveryline</title>
        <link rel="stylesheet" href="/assets/portal.css" />
      </head>
      <body>
        <header>
          <div class="bar">
            <a class="brand" href="/">deliveryline</a>
            <nav>${nav}</nav>
            <div class="right">
              ${who}<a class="lang" href="/lang/${other}?back=${back}" hreflang="${other}" id="lang-switch">${t(lang, 'lang.switch')}</a>
            </div>
          </div>
        </header>
        <main>
          ${o.flash ? html`<div class="flash ${o.flash.kind}" role="status">${o.flash.text}</div>` : ''}
          <h1>${o.title}</h1>
          ${body}
        </main>
        <footer>deliveryline · ${t(lang, 'app.name')}</footer>
      </body>
    </html>`.s
  );
}

export function table(headers: (string | Safe)[], rows: unknown[][], cls = '', id = ''): Safe {
  if (!rows.length) return html`<p class="muted">—</p>`;
  return html`<div class="scroll" ${raw(id ? ` id="${esc(id)}"` : '')}>
    <table class="${cls}">
      <thead>
        <tr>
          ${headers.map((h) => html`<th>${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr>
              ${r.map((c) => html`<td>${c}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export const csrfField = (c: Caller | null | undefined) => html`<input type="hidden" name="_csrf" value="${c?.csrf ?? ''}" />`;

/** Data a person gave (names, files, addresses): shown as it is and marked so no one (nor a test) takes it for our text. */
export const data = (v: unknown) => html`<span translate="no">${v}</span>`;
/** A stable code, shown beside its translation for those who search the docs or the CLI. */
export const codeTag = (code: string) => html`<code translate="no">${code}</code>`;

export const PAGE_SIZES = [25, 50, 100, 200] as const;
export interface Paging {
  page: number;
  size: number;
  offset: number;
}
export function paging(q: { page?: number; size?: number }): Paging {
  const size = (PAGE_SIZES as readonly number[]).includes(q.size ?? 0) ? q.size! : 50;
  const page = Math.max(1, Math.min(q.page ?? 1, 1_000_000));
  return { page, size, offset: (page - 1) * size };
}

/** "1–50 of 29,354" with the previous and next pages; `query` keeps the filters in the links. */
export function pager(lang: Lang, total: number, p: Paging, path: string, query: Record<string, unknown>, id = 'pager'): Safe {
  const from = total ? p.offset + 1 : 0;
  const to = Math.min(total, p.offset + p.size);
  const last = Math.max(1, Math.ceil(total / p.size));
  const link = (page: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null && v !== '' && k !== 'page' && k !== 'format') q.set(k, String(v));
    if (page > 1) q.set('page', String(page));
    if (p.size !== 50) q.set('size', String(p.size));
    const s = q.toString();
    return `${path}${s ? `?${s}` : ''}`;
  };
  return html`<div class="pager" role="navigation" id="${id}" aria-label="${t(lang, 'paging.label')}">
    <span class="count">${t(lang, 'paging.count', { from: fmtNum(from), to: fmtNum(to), total: fmtNum(total) })}</span>
    ${p.page > 1 ? html`<a href="${link(1)}" rel="first">${t(lang, 'paging.first')}</a><a href="${link(p.page - 1)}" rel="prev">${t(lang, 'paging.prev')}</a>` : ''}
    ${p.page < last ? html`<a href="${link(p.page + 1)}" rel="next">${t(lang, 'paging.next')}</a><a href="${link(last)}" rel="last">${t(lang, 'paging.last')}</a>` : ''}
  </div>`;
}

/** A select whose first option means "any"; `options` are [value, label]. */
export function select(
  name: string,
  label: string,
  options: [string, string][],
  value: string | undefined,
  anyLabel: string,
  isData = false,
): Safe {
  return html`<label
    >${label}<select name="${name}">
      <option value="">${anyLabel}</option>
      ${options.map(([v, l]) => html`<option value="${v}" ${raw(v === value ? ' selected' : '')}${raw(isData ? ' translate="no"' : '')}>${l}</option>`)}
    </select></label
  >`;
}
