import { z } from 'zod/v4';
import { listReadEncoding, sourceById } from '@deliveryline/shared';
import { campaignReport } from '@deliveryline/reports';
import { ZONE_CHOICES } from '../services/sources';
import { withScope } from '../repositories/scope';
import {
  allCampaigns,
  countLists,
  knownSources,
  scopedCampaignTotals,
  scopedCampaigns,
  scopedList,
  scopedLists,
  scopedRejectReasons,
  scopedRejects,
  scopedReturnReasons,
  scopedReturned,
  listsByState,
  type ListView,
  type RejectView,
  type ReturnedView,
} from '../repositories/lists.repository';
import { scopedBatches } from '../repositories/batches.repository';
import { figuresFor } from '../services/batches';
import { badge, codeTag, csrfField, data, fmtDate, fmtNum, fmtRate, html, pager, paging, select, table, type Safe } from '../web/html';
import { codeText, failureText, t, type Lang } from '../web/i18n';
import { retryListAs } from '../services/list-retry';
import { notFound } from '../web/errors';
import { route, id, type PortalRoute, type RouteCall } from '../web/route-table';
import { render } from './render';
import { batchTable, rawMessage } from './batches.pages';
import { listDecisionForms } from './list-decision.pages';
import { Filters, dateRange, filterForm, ListStates } from './filters';

/** How many campaigns get their per-round table on the dashboard (the rest are rows of the summary). */
const DASHBOARD_TABLES = 3;
const stat = (label: string, v: string | Safe) => html`<div class="stat"><b>${v}</b><span>${label}</span></div>`;

function counters(lang: Lang, l: Pick<ListView, 'rows_read' | 'rejected' | 'duplicates' | 'received' | 'delivered' | 'returned'>): Safe {
  return html`<div class="grid">
    ${stat(t(lang, 'fig.rowsRead'), fmtNum(l.rows_read))}${stat(t(lang, 'fig.rejected'), fmtNum(l.rejected))}
    ${stat(t(lang, 'fig.duplicates'), fmtNum(l.duplicates))}${stat(t(lang, 'fig.received'), fmtNum(l.received))}
    ${stat(t(lang, 'fig.delivered'), fmtNum(l.delivered))}${stat(t(lang, 'fig.returned'), fmtNum(l.returned))}
    ${stat(t(lang, 'fig.rate'), fmtRate(l.received ? (l.delivered ?? 0) / l.received : null))}
  </div>`;
}

function listTable(lang: Lang, lists: ListView[]): Safe {
  return table(
    [
      '#',
      t(lang, 'field.campaign'),
      t(lang, 'field.source'),
      t(lang, 'field.round'),
      t(lang, 'field.file'),
      t(lang, 'common.state'),
      t(lang, 'fig.received'),
      t(lang, 'fig.delivered'),
      t(lang, 'fig.returned'),
      t(lang, 'common.created'),
    ],
    lists.map((l) => [
      html`<a href="/lists/${l.id}">${l.id}</a>`,
      data(l.campaign_name),
      data(l.source_id),
      l.round ?? '—',
      data(l.file_name),
      badge(lang, l.state),
      fmtNum(l.received),
      fmtNum(l.delivered),
      fmtNum(l.returned),
      fmtDate(l.created_at, lang),
    ]),
    '',
    'lists-table',
  );
}

/** A stable code with its text: the text in the page's language, the code beside it for the CLI and the docs. */
export const coded = (lang: Lang, prefix: 'code' | 'reason', code: string) =>
  html`${(prefix === 'code' ? codeText(lang, code) : t(lang, `reason.${code}`)) ?? t(lang, 'code.unknown')} ${codeTag(code)}`;

/** A failed list: what went wrong in the reader's language; the stored message (English, with row and value) folded under it. */
export function failureBlock(lang: Lang, failure: string): Safe {
  const f = failureText(lang, failure);
  return html`<div class="flash error" id="list-failure">${f.text} ${codeTag(f.code)} ${rawMessage(lang, f.detail)}</div>`;
}

async function listOr404(c: RouteCall<{ listId: number }, unknown, unknown>): Promise<ListView> {
  const l = await withScope(c.ctx.pool, c.caller, (db) => scopedList(db, c.caller, c.params.listId));
  if (!l) throw notFound();
  return l;
}

const listTitle = (lang: Lang, l: ListView) =>
  `${t(lang, 'list.title')} #${l.id} · ${l.campaign_name}${l.round ? ` · ${t(lang, 'stats.round', { n: l.round })}` : ''}`;
const Paged = z.object({
  page: z.coerce.number().int().min(1).optional(),
  size: z.coerce.number().int().optional(),
  reason: z.string().max(60).optional(),
});

export const listPages: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/dashboard',
    kind: 'page',
    roles: ['coordinator', 'viewer'],
    summary: 'per-round tables of every campaign',
    handler: async (c) => {
      const { lang, ctx, caller } = c;
      const [all, states, figures] = await Promise.all([
        withScope(ctx.pool, caller, (db) => scopedCampaignTotals(db, caller)),
        listsByState(ctx.pool),
        figuresFor(ctx, caller),
      ]);
      // the per-round tables of the most recent campaigns; every campaign is a row of the summary below
      const campaigns = all.slice(0, DASHBOARD_TABLES);
      const reports = await Promise.all(campaigns.map((k) => campaignReport(ctx.pool, k.id)));
      const b = figures.batches;
      const top = html`<div class="grid">
          ${stat(t(lang, 'fig.received'), fmtNum(figures.lists?.received))}${stat(t(lang, 'fig.delivered'), fmtNum(figures.lists?.delivered))}
          ${stat(t(lang, 'fig.returned'), fmtNum(figures.lists?.returned))}${stat(t(lang, 'fig.rate'), fmtRate(figures.lists?.handlingRate))}
          ${b ? html`${stat(t(lang, 'fig.notified'), fmtNum(b.notified))}${stat(t(lang, 'fig.overdue'), b.overdue ? html`<a class="overdue" href="/batches?overdue=1">${fmtNum(b.overdue)}</a>` : '0')}` : ''}
        </div>
        <p class="muted">
          ${t(lang, 'dash.byState')}:
          ${states.map((s) => html`<a href="/lists?state=${s.state}">${badge(lang, s.state)}</a> ${fmtNum(s.n)} `)}
        </p>`;
      const tables = reports.map(
        (r, i) =>
          html`<h2>
              <a href="/campaigns/${campaigns[i].id}">${data(campaigns[i].name)}</a>
              <span class="badge">TLP:${campaigns[i].tlp.toUpperCase()}</span>
            </h2>
            ${table(
              [
                t(lang, 'field.round'),
                t(lang, 'field.list'),
                t(lang, 'common.state'),
                t(lang, 'fig.rowsRead'),
                t(lang, 'fig.rejected'),
                t(lang, 'fig.duplicates'),
                t(lang, 'fig.received'),
                t(lang, 'fig.delivered'),
                t(lang, 'fig.returned'),
                t(lang, 'fig.rate'),
              ],
              [
                ...r.rounds.map((x) => [
                  x.round ?? '—',
                  x.listIds.map((id, i) => html`${i ? ', ' : ''}<a href="/lists/${id}">#${id}</a>`),
                  badge(lang, x.state),
                  fmtNum(x.rowsRead),
                  fmtNum(x.rejected),
                  fmtNum(x.duplicates),
                  fmtNum(x.received),
                  fmtNum(x.delivered),
                  fmtNum(x.returned),
                  fmtRate(x.handlingRate),
                ]),
                [
                  html`<b>${t(lang, 'fig.total')}</b>`,
                  '',
                  '',
                  fmtNum(r.total.rowsRead),
                  fmtNum(r.total.rejected),
                  fmtNum(r.total.duplicates),
                  fmtNum(r.total.received),
                  fmtNum(r.total.delivered),
                  fmtNum(r.total.returned),
                  html`<b>${fmtRate(r.total.handlingRate)}</b>`,
                ],
              ],
              'figures',
            )}`,
      );
      const summary =
        all.length > DASHBOARD_TABLES
          ? html`<h2>${t(lang, 'dash.allCampaigns')} (${fmtNum(all.length)})</h2>
              ${table(
                [
                  t(lang, 'field.campaign'),
                  t(lang, 'fig.lists'),
                  t(lang, 'fig.received'),
                  t(lang, 'fig.delivered'),
                  t(lang, 'fig.returned'),
                  t(lang, 'fig.rate'),
                  t(lang, 'dash.lastList'),
                ],
                all.map((k) => [
                  html`<a href="/campaigns/${k.id}">${data(k.name)}</a>`,
                  fmtNum(k.lists),
                  fmtNum(k.received),
                  fmtNum(k.delivered),
                  fmtNum(k.returned),
                  fmtRate(k.received ? k.delivered / k.received : null),
                  fmtDate(k.last_at, lang),
                ]),
                'figures',
                'campaigns-summary',
              )}`
          : '';
      return render(
        c,
        t(lang, 'dash.title'),
        html`${top}${reports.length ? tables : html`<div class="card">${t(lang, 'dash.noCampaigns')}</div>`}${summary}`,
      );
    },
  }),
  route({
    method: 'GET',
    url: '/upload',
    kind: 'page',
    roles: ['coordinator', 'source'],
    summary: 'upload a list with live progress',
    handler: async (c) => {
      const { lang, caller, ctx } = c;
      const [campaigns, sources] = await withScope(
        ctx.pool,
        caller,
        async (db) => [await scopedCampaigns(db, caller), caller.role === 'coordinator' ? await knownSources(db) : []] as const,
      );
      // a source user sees its own default zone; a coordinator's choice of source decides it
      const own = caller.role === 'source' ? await sourceById(ctx.pool, caller.sourceId!) : null;
      const ownZone = own ? (own.default_timezone ?? t(lang, 'upload.zone.none')) : t(lang, 'field.source');
      return render(
        c,
        t(lang, 'upload.title'),
        html`<datalist id="campaigns">${campaigns.map((k) => html`<option value="${k.id}">${k.name}</option>`)}</datalist>
          <datalist id="sources">${sources.map((s) => html`<option value="${s}"></option>`)}</datalist>
          <div class="card">
            <p>${t(lang, 'upload.help')}</p>
            <form
              id="upload-form"
              class="stack"
              data-csrf="${caller.csrf ?? ''}"
              data-open="${t(lang, 'upload.open')}"
              data-neterror="${t(lang, 'error.internal', { ref: 'network' })}"
            >
              <label>${t(lang, 'field.file')}<input type="file" name="file" required /></label>
              <label
                >${t(lang, 'field.campaign')}<input
                  name="campaign"
                  list="campaigns"
                  required
                  pattern="[a-z0-9][a-z0-9_.\\-]*"
                  placeholder="goz-2026"
              /></label>
              ${caller.role === 'coordinator' ? html`<label>${t(lang, 'field.source')}<input name="source" list="sources" required pattern="[a-z0-9][a-z0-9_.\\-]*" placeholder="jpcert" /></label>` : ''}
              <label>${t(lang, 'field.round')}<input name="round" type="number" min="1" /></label>
              <label
                >${t(lang, 'field.tlp')}<select name="tlp" translate="no">
                  <option value="">—</option>
                  <option>clear</option>
                  <option>green</option>
                  <option>amber</option>
                  <option>amber+strict</option>
                  <option>red</option>
                </select></label
              >
              <label
                >${t(lang, 'field.timezone')}<select name="timezone" id="upload-timezone">
                  <option value="">${t(lang, 'upload.zone.auto', { zone: ownZone })}</option>
                  ${ZONE_CHOICES.map((z) => html`<option value="${z}">${t(lang, `zone.${z}`)}</option>`)}</select
                ><small class="muted">${t(lang, 'upload.zone.help')}</small></label
              >
              <label
                >${t(lang, 'field.encoding')}<select name="encoding">
                  <option value="">${t(lang, 'upload.encoding.auto')}</option>
                  <option value="cp932" translate="no">Shift_JIS (CP932)</option>
                  <option value="utf-8" translate="no">UTF-8</option>
                </select></label
              >
              <button id="upload-submit">${t(lang, 'upload.submit')}</button>
            </form>
          </div>
          <div class="card">
            <progress id="upload-progress" max="100" value="0"></progress>
            <ol class="steps">
              ${(['upload', 'parse', 'route', 'release'] as const).map((s) => html`<li data-step="${s}">${t(lang, `upload.step.${s}`)}</li>`)}
            </ol>
            <div id="upload-status" role="status"></div>
            <span id="upload-state" hidden></span>
          </div>
          <script src="/assets/upload.js"></script>`,
      );
    },
  }),
  route({
    method: 'GET',
    url: '/lists',
    kind: 'page',
    roles: ['coordinator', 'source', 'viewer'],
    summary: 'lists you may see, filtered and a page at a time',
    query: Filters.extend({ source: z.string().max(100).optional(), state: ListStates.optional() }),
    handler: async (c) => {
      const { lang, ctx, caller, query } = c;
      const p = paging(query);
      const f = {
        campaignId: query.campaign,
        sourceId: caller.role === 'source' ? undefined : query.source,
        state: query.state,
        ...dateRange(query),
      };
      const [lists, total, campaigns, sources] = await withScope(
        ctx.pool,
        caller,
        async (db) =>
          [
            await scopedLists(db, caller, { ...f, limit: p.size, offset: p.offset }),
            await countLists(db, caller, f),
            caller.role === 'coordinator' ? await allCampaigns(db) : await scopedCampaigns(db, caller),
            caller.role === 'source' ? [] : await knownSources(db),
          ] as const,
      );
      const figs = caller.role === 'source' ? (await figuresFor(ctx, caller)).lists : null;
      const form = filterForm(lang, '/lists', query, [
        select(
          'campaign',
          t(lang, 'field.campaign'),
          campaigns.map((k) => [k.id, k.name]),
          query.campaign,
          t(lang, 'filter.any'),
          true,
        ),
        caller.role === 'source'
          ? ''
          : select(
              'source',
              t(lang, 'field.source'),
              sources.map((s) => [s, s]),
              query.source,
              t(lang, 'filter.any'),
              true,
            ),
        select(
          'state',
          t(lang, 'common.state'),
          ListStates.options.map((s) => [s, t(lang, `state.${s}`)]),
          query.state,
          t(lang, 'filter.any'),
        ),
      ]);
      return render(
        c,
        t(lang, 'nav.lists'),
        html`${
          figs
            ? html`<h2>${t(lang, 'source.figures')}</h2>
                ${counters(lang, { rows_read: figs.rowsRead, rejected: figs.rejected, duplicates: figs.duplicates, received: figs.received, delivered: figs.delivered, returned: figs.returned })}`
            : ''
        }
        ${form}${pager(lang, total, p, '/lists', query)}${lists.length ? listTable(lang, lists) : html`<div class="card">${t(lang, 'common.none')}</div>`}`,
      );
    },
  }),
  route({
    method: 'GET',
    url: '/lists/:listId',
    kind: 'page',
    roles: ['coordinator', 'source', 'viewer'],
    summary: 'a list: counters, rejects, returned, batches',
    params: z.object({ listId: id }),
    handler: async (c) => {
      const { lang, ctx, caller, params } = c;
      const data_ = await withScope(ctx.pool, caller, async (db) => {
        const l = await scopedList(db, caller, params.listId);
        if (!l) throw notFound();
        const content = caller.role !== 'viewer';
        return {
          l,
          rejects: content ? await scopedRejects(db, caller, l.id, 10) : [],
          returned: content ? await scopedReturned(db, caller, l.id, 10) : [],
          returnReasons: content ? await scopedReturnReasons(db, caller, l.id) : [],
          batches: caller.role === 'coordinator' ? await scopedBatches(db, caller, { listId: l.id, limit: 50 }) : [],
        };
      });
      const { l } = data_;
      // the source's own encoding is offered when it sent Shift_JIS (what Excel in Japan saves)
      const sjis = (await listReadEncoding(ctx.pool, l.id)) === 'cp932';
      const dl = (what: 'rejects' | 'returned', f: string, key: string, primary = false) =>
        html`<a class="button${primary ? '' : ' secondary'}" id="download-${what}-${f}" href="/api/v1/lists/${l.id}/${what}?format=${f}"
          >${t(lang, key)}</a
        >`;
      const links =
        caller.role === 'viewer'
          ? ''
          : html`<p class="row">
                ${dl('rejects', 'csv', 'list.download.rejects')}${dl('rejects', 'excel', 'list.download.rejects.excel')}
                ${sjis ? dl('rejects', 'sjis', 'list.download.rejects.sjis') : ''}
              </p>
              <p class="row">
                ${dl('returned', 'csv', 'list.download.returned')}${dl('returned', 'excel', 'list.download.returned.excel')}
                ${sjis ? dl('returned', 'sjis', 'list.download.returned.sjis') : ''}
              </p>`;
      const shown = (n: number, total: number | null, href: string) =>
        !total
          ? ''
          : html`<p class="muted">
              ${t(lang, 'list.shown', { n: fmtNum(n), total: fmtNum(total ?? 0) })}
              ${(total ?? 0) > n ? html` <a href="${href}">${t(lang, 'list.seeAll', { total: fmtNum(total ?? 0) })}</a>` : ''}
            </p>`;
      return render(
        c,
        listTitle(lang, l),
        html` <div class="card">
            <p>
              ${badge(lang, l.state)} <b>${data(l.file_name)}</b> · ${t(lang, 'field.source')}: ${data(l.source_id)} ·
              TLP:${l.tlp.toUpperCase()} · ${fmtDate(l.created_at, lang)}
            </p>
            ${l.failure ? failureBlock(lang, l.failure) : ''}${caller.role === 'coordinator' ? await listDecisionForms(c, l) : ''}
            ${
              l.state === 'failed' && caller.role === 'coordinator'
                ? html`<form method="post" action="/lists/${l.id}/retry" class="row">
                    ${csrfField(caller)}
                    <p class="muted">${t(lang, 'list.retry.help')}</p>
                    ${l.received === null ? html`<label>${t(lang, 'field.timezone')}<input name="timezone" placeholder="Asia/Tokyo" /></label>` : ''}
                    <button id="retry-list">${t(lang, 'list.retry')}</button>
                  </form>`
                : ''
            }
          </div>
          ${counters(lang, l)}${links}
          ${
            caller.role === 'coordinator'
              ? html`<h2>${t(lang, 'nav.batches')}</h2>
                  ${batchTable(lang, data_.batches)}${(l.delivered ?? 0) && data_.batches.length >= 50 ? html`<p><a href="/batches?list=${l.id}">${t(lang, 'list.allBatches')}</a></p>` : ''}`
              : ''
          }
          ${
            caller.role !== 'viewer'
              ? html`<h2>${t(lang, 'list.rejects')}</h2>
                  ${rejectTable(lang, data_.rejects)}${shown(data_.rejects.length, l.rejected, `/lists/${l.id}/rejects`)}
                  <h2>${t(lang, 'list.returned')}</h2>
                  ${data_.returnReasons.length ? html`<p>${data_.returnReasons.map((r) => html`<a href="/lists/${l.id}/returned?reason=${r.reason}">${t(lang, `reason.${r.reason}`)}</a> ${fmtNum(r.n)}　 `)}</p>` : ''}
                  ${returnedTable(lang, data_.returned)}${shown(data_.returned.length, l.returned, `/lists/${l.id}/returned`)}`
              : ''
          }`,
      );
    },
  }),
  route({
    method: 'POST',
    url: '/lists/:listId/retry',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'run a failed list again from the stage it failed in',
    params: z.object({ listId: id }),
    body: z.object({ timezone: z.string().max(64).optional(), _csrf: z.string().optional() }),
    handler: async (c) => {
      await retryListAs(c.ctx, c.caller, c.params.listId, { timezone: c.body.timezone?.trim() || null });
      return c.reply.redirect(`/lists/${c.params.listId}`, 303);
    },
  }),
  route({
    method: 'GET',
    url: '/lists/:listId/rejects',
    kind: 'page',
    roles: ['coordinator', 'source'],
    summary: "a list's rejected rows, a page at a time, by reason",
    params: z.object({ listId: id }),
    query: Paged,
    handler: async (c) => listContentPage(c, 'rejects'),
  }),
  route({
    method: 'GET',
    url: '/lists/:listId/returned',
    kind: 'page',
    roles: ['coordinator', 'source'],
    summary: "a list's returned entries, a page at a time, by reason",
    params: z.object({ listId: id }),
    query: Paged,
    handler: async (c) => listContentPage(c, 'returned'),
  }),
];

/** A list's rejected rows or returned entries, a page at a time, filtered by reason (each with its count). */
async function listContentPage(c: RouteCall<{ listId: number }, z.infer<typeof Paged>, unknown>, kind: 'rejects' | 'returned') {
  const { lang, ctx, caller, query } = c;
  const l = await listOr404(c);
  const p = paging(query);
  const f = { offset: p.offset, reason: query.reason };
  const [rows, reasons] = await withScope(ctx.pool, caller, async (db) =>
    kind === 'rejects'
      ? ([await scopedRejects(db, caller, l.id, p.size, f), await scopedRejectReasons(db, caller, l.id)] as const)
      : ([await scopedReturned(db, caller, l.id, p.size, f), await scopedReturnReasons(db, caller, l.id)] as const),
  );
  const total = query.reason ? (reasons.find((r) => r.reason === query.reason)?.n ?? 0) : reasons.reduce((a, r) => a + r.n, 0);
  const label = (r: string) => (kind === 'rejects' ? (codeText(lang, r) ?? r) : t(lang, `reason.${r}`));
  const path = `/lists/${l.id}/${kind}`;
  return render(
    c,
    `${listTitle(lang, l)} · ${t(lang, kind === 'rejects' ? 'list.rejects' : 'list.returned')}`,
    html`${filterForm(
        lang,
        path,
        query,
        [
          select(
            'reason',
            t(lang, 'list.reason'),
            reasons.map((r) => [r.reason, `${label(r.reason)} (${fmtNum(r.n)})`]),
            query.reason,
            t(lang, 'filter.any'),
          ),
        ],
        false,
      )}
      ${pager(lang, total, p, path, query)}${kind === 'rejects' ? rejectTable(lang, rows as RejectView[]) : returnedTable(lang, rows as ReturnedView[])}
      <p><a href="/lists/${l.id}">${t(lang, 'list.back')}</a></p>`,
  );
}

function rejectTable(lang: Lang, rows: { row: number; line: number; reason: string; message: string; raw: string }[]): Safe {
  // English has the reader's own message (with the value and the fix); Japanese the code's text, with the message
  // (which quotes the file's own text) folded under it.
  return table(
    [t(lang, 'list.row'), t(lang, 'list.line'), t(lang, 'list.reason'), t(lang, 'list.raw')],
    rows.map((r) => [
      fmtNum(r.row),
      fmtNum(r.line),
      lang === 'en' ? html`${r.message} ${codeTag(r.reason)}` : html`${coded(lang, 'code', r.reason)}${rawMessage(lang, r.message)}`,
      html`<code translate="no">${r.raw}</code>`,
    ]),
    'codes',
    'rejects-table',
  );
}

function returnedTable(
  lang: Lang,
  rows: { row: number; ip: string; observed_at: Date; port: number | null; malware: string | null; reason: string }[],
): Safe {
  return table(
    [
      t(lang, 'list.row'),
      t(lang, 'field.ip'),
      t(lang, 'field.observedAt'),
      t(lang, 'field.port'),
      t(lang, 'field.malware'),
      t(lang, 'list.reason'),
    ],
    rows.map((r) => [
      fmtNum(r.row),
      data(r.ip),
      fmtDate(r.observed_at, lang),
      r.port ?? '',
      data(r.malware ?? ''),
      coded(lang, 'reason', r.reason),
    ]),
    '',
    'returned-table',
  );
}
