import { z } from 'zod/v4';
import { campaignReport, listReadEncoding, sourceById } from '@deliveryline/shared';
import { ZONE_CHOICES } from '../services/sources';
import { failureText } from '../services/upload';
import { withScope } from '../data/scope';
import { knownSources, scopedCampaigns, scopedList, scopedLists, scopedRejects, scopedReturned, listsByState, type ListView } from '../data/lists.repository';
import { scopedBatches } from '../data/batches.repository';
import { figuresFor } from '../api/batches.api';
import { badge, fmtDate, fmtNum, fmtRate, html, table, type Safe } from '../web/html';
import { t, type Lang } from '../web/i18n';
import { notFound } from '../web/errors';
import { route, id, type PortalRoute } from '../web/route-table';
import { render } from './render';
import { batchTable } from './batches.pages';

const stat = (label: string, v: string | Safe) => html`<div class="stat"><b>${v}</b><span>${label}</span></div>`;

function counters(lang: Lang, l: Pick<ListView, 'rows_read' | 'rejected' | 'duplicates' | 'received' | 'delivered' | 'returned'>): Safe {
  return html`<div class="grid">${stat(t(lang, 'fig.rowsRead'), fmtNum(l.rows_read))}${stat(t(lang, 'fig.rejected'), fmtNum(l.rejected))}
${stat(t(lang, 'fig.duplicates'), fmtNum(l.duplicates))}${stat(t(lang, 'fig.received'), fmtNum(l.received))}
${stat(t(lang, 'fig.delivered'), fmtNum(l.delivered))}${stat(t(lang, 'fig.returned'), fmtNum(l.returned))}
${stat(t(lang, 'fig.rate'), fmtRate(l.received ? (l.delivered ?? 0) / l.received : null))}</div>`;
}

function listTable(lang: Lang, lists: ListView[]): Safe {
  return table(['#', t(lang, 'field.campaign'), t(lang, 'field.source'), t(lang, 'field.round'), t(lang, 'field.file'), t(lang, 'common.state'),
    t(lang, 'fig.received'), t(lang, 'fig.delivered'), t(lang, 'fig.returned'), t(lang, 'common.created')],
  lists.map((l) => [html`<a href="/lists/${l.id}">${l.id}</a>`, l.campaign_name, l.source_id, l.round ?? '—', l.file_name, badge(lang, l.state),
    fmtNum(l.received), fmtNum(l.delivered), fmtNum(l.returned), fmtDate(l.created_at, lang)]));
}

export const listPages: PortalRoute[] = [
  route({
    method: 'GET', url: '/dashboard', kind: 'page', roles: ['coordinator', 'viewer'], summary: 'per-round tables of every campaign',
    handler: async (c) => {
      const { lang, ctx, caller } = c;
      const [campaigns, states, figures] = await Promise.all([
        withScope(ctx.pool, caller, (db) => scopedCampaigns(db, caller)), listsByState(ctx.pool), figuresFor(ctx, caller)]);
      const reports = await Promise.all(campaigns.map((k) => campaignReport(ctx.pool, k.id)));
      const b = figures.batches;
      const top = html`<div class="grid">${stat(t(lang, 'fig.received'), fmtNum(figures.lists?.received))}${stat(t(lang, 'fig.delivered'), fmtNum(figures.lists?.delivered))}
${stat(t(lang, 'fig.returned'), fmtNum(figures.lists?.returned))}${stat(t(lang, 'fig.rate'), fmtRate(figures.lists?.handlingRate))}
${b ? html`${stat(t(lang, 'fig.notified'), fmtNum(b.notified))}${stat(t(lang, 'fig.overdue'), b.overdue ? html`<a class="overdue" href="/batches?overdue=1">${b.overdue}</a>` : '0')}` : ''}</div>
<p class="muted">${t(lang, 'dash.byState')}: ${states.map((s) => html`${badge(lang, s.state)} ${s.n} `)}</p>`;
      const tables = reports.map((r, i) => html`<h2><a href="/campaigns/${campaigns[i].id}">${campaigns[i].name}</a> <span class="badge">TLP:${campaigns[i].tlp.toUpperCase()}</span></h2>
${table([t(lang, 'field.round'), t(lang, 'field.list'), t(lang, 'common.state'), t(lang, 'fig.rowsRead'), t(lang, 'fig.rejected'), t(lang, 'fig.duplicates'),
    t(lang, 'fig.received'), t(lang, 'fig.delivered'), t(lang, 'fig.returned'), t(lang, 'fig.rate')],
  [...r.rounds.map((x) => [x.round ?? '—', x.listIds.map((id, i) => html`${i ? ', ' : ''}<a href="/lists/${id}">#${id}</a>`), badge(lang, x.state), fmtNum(x.rowsRead), fmtNum(x.rejected),
    fmtNum(x.duplicates), fmtNum(x.received), fmtNum(x.delivered), fmtNum(x.returned), fmtRate(x.handlingRate)]),
  [html`<b>${t(lang, 'fig.total')}</b>`, '', '', fmtNum(r.total.rowsRead), fmtNum(r.total.rejected), fmtNum(r.total.duplicates), fmtNum(r.total.received),
    fmtNum(r.total.delivered), fmtNum(r.total.returned), html`<b>${fmtRate(r.total.handlingRate)}</b>`]], 'figures')}`);
      return render(c, t(lang, 'dash.title'), html`${top}${reports.length ? tables : html`<div class="card">${t(lang, 'dash.noCampaigns')}</div>`}`);
    },
  }),
  route({
    method: 'GET', url: '/upload', kind: 'page', roles: ['coordinator', 'source'], summary: 'upload a list with live progress',
    handler: async (c) => {
      const { lang, caller, ctx } = c;
      const [campaigns, sources] = await withScope(ctx.pool, caller, async (db) =>
        [await scopedCampaigns(db, caller), caller.role === 'coordinator' ? await knownSources(db) : []] as const);
      // a source user sees its own default zone; a coordinator's choice of source decides it
      const own = caller.role === 'source' ? await sourceById(ctx.pool, caller.sourceId!) : null;
      const ownZone = own ? own.default_timezone ?? t(lang, 'upload.zone.none') : t(lang, 'field.source');
      return render(c, t(lang, 'upload.title'), html`<datalist id="campaigns">${campaigns.map((k) => html`<option value="${k.id}">${k.name}</option>`)}</datalist>
<datalist id="sources">${sources.map((s) => html`<option value="${s}"></option>`)}</datalist><div class="card"><p>${t(lang, 'upload.help')}</p>
<form id="upload-form" class="stack" data-csrf="${caller.csrf ?? ''}" data-open="${t(lang, 'upload.open')}" data-neterror="${t(lang, 'error.internal', { ref: 'network' })}">
<label>${t(lang, 'field.file')}<input type="file" name="file" required></label>
<label>${t(lang, 'field.campaign')}<input name="campaign" list="campaigns" required pattern="[a-z0-9][a-z0-9_.\\-]*" placeholder="goz-2026"></label>
${caller.role === 'coordinator' ? html`<label>${t(lang, 'field.source')}<input name="source" list="sources" required pattern="[a-z0-9][a-z0-9_.\\-]*" placeholder="jpcert"></label>` : ''}
<label>${t(lang, 'field.round')}<input name="round" type="number" min="1"></label>
<label>${t(lang, 'field.tlp')}<select name="tlp"><option value="">—</option><option>clear</option><option>green</option><option>amber</option><option>amber+strict</option><option>red</option></select></label>
<label>${t(lang, 'field.timezone')}<select name="timezone" id="upload-timezone"><option value="">${t(lang, 'upload.zone.auto', { zone: ownZone })}</option>
${ZONE_CHOICES.map((z) => html`<option value="${z}">${t(lang, `zone.${z}`)}</option>`)}</select><small class="muted">${t(lang, 'upload.zone.help')}</small></label>
<label>${t(lang, 'field.encoding')}<select name="encoding"><option value="">${t(lang, 'upload.encoding.auto')}</option><option value="cp932">Shift_JIS (CP932)</option><option value="utf-8">UTF-8</option></select></label>
<button id="upload-submit">${t(lang, 'upload.submit')}</button></form></div>
<div class="card"><progress id="upload-progress" max="100" value="0"></progress>
<ol class="steps">${(['upload', 'parse', 'route', 'release'] as const).map((s) => html`<li data-step="${s}">${t(lang, `upload.step.${s}`)}</li>`)}</ol>
<div id="upload-status" role="status"></div><span id="upload-state" hidden></span></div>
<script src="/assets/upload.js"></script>`);
    },
  }),
  route({
    method: 'GET', url: '/lists', kind: 'page', roles: ['coordinator', 'source', 'viewer'], summary: 'lists you may see',
    handler: async (c) => {
      const { lang, ctx, caller } = c;
      const lists = await withScope(ctx.pool, caller, (db) => scopedLists(db, caller));
      const f = caller.role === 'source' ? (await figuresFor(ctx, caller)).lists : null;
      return render(c, t(lang, 'nav.lists'), html`${f ? html`<h2>${t(lang, 'source.figures')}</h2>${counters(lang, { rows_read: f.rowsRead, rejected: f.rejected, duplicates: f.duplicates, received: f.received, delivered: f.delivered, returned: f.returned })}` : ''}
${lists.length ? listTable(lang, lists) : html`<div class="card">${t(lang, 'common.none')}</div>`}`);
    },
  }),
  route({
    method: 'GET', url: '/lists/:listId', kind: 'page', roles: ['coordinator', 'source', 'viewer'], summary: 'a list: counters, rejects, returned, batches',
    params: z.object({ listId: id }),
    handler: async (c) => {
      const { lang, ctx, caller, params } = c;
      const data = await withScope(ctx.pool, caller, async (db) => {
        const l = await scopedList(db, caller, params.listId);
        if (!l) throw notFound();
        const content = caller.role !== 'viewer';
        return { l, rejects: content ? await scopedRejects(db, caller, l.id, 50) : [], returned: content ? await scopedReturned(db, caller, l.id, 50) : [],
          batches: caller.role === 'coordinator' ? await scopedBatches(db, caller, { listId: l.id }) : [] };
      });
      const { l } = data;
      // the source's own encoding is offered when it sent Shift_JIS (what Excel in Japan saves)
      const sjis = (await listReadEncoding(ctx.pool, l.id)) === 'cp932';
      const dl = (what: 'rejects' | 'returned', f: string, key: string, primary = false) =>
        html`<a class="button${primary ? '' : ' secondary'}" id="download-${what}-${f}" href="/api/v1/lists/${l.id}/${what}?format=${f}">${t(lang, key)}</a>`;
      const links = caller.role === 'viewer' ? '' : html`<p class="row">${dl('rejects', 'csv', 'list.download.rejects')}${dl('rejects', 'excel', 'list.download.rejects.excel')}
${sjis ? dl('rejects', 'sjis', 'list.download.rejects.sjis') : ''}</p><p class="row">${dl('returned', 'csv', 'list.download.returned')}${dl('returned', 'excel', 'list.download.returned.excel')}
${sjis ? dl('returned', 'sjis', 'list.download.returned.sjis') : ''}</p>`;
      return render(c, `${t(lang, 'list.title')} #${l.id} · ${l.campaign_name}${l.round ? ` · ${t(lang, 'field.round')} ${l.round}` : ''}`, html`
<div class="card"><p>${badge(lang, l.state)} <b>${l.file_name}</b> · ${t(lang, 'field.source')}: ${l.source_id} · TLP:${l.tlp.toUpperCase()} · ${fmtDate(l.created_at, lang)}</p>
${l.failure ? html`<div class="flash error" id="list-failure">${failureText(lang, l.failure)}</div>` : ''}</div>
${counters(lang, l)}${links}
${caller.role === 'coordinator' ? html`<h2>${t(lang, 'nav.batches')}</h2>${batchTable(lang, data.batches)}` : ''}
${caller.role !== 'viewer' ? html`<h2>${t(lang, 'list.rejects')}</h2>${table([t(lang, 'list.row'), t(lang, 'list.line'), t(lang, 'list.reason'), ''],
    data.rejects.map((r) => [r.row, r.line, html`<code>${r.reason}</code>`, r.message]))}
<h2>${t(lang, 'list.returned')}</h2>${table([t(lang, 'list.row'), 'IP', t(lang, 'audit.at'), 'port', 'malware', t(lang, 'list.reason')],
    data.returned.map((r) => [r.row, r.ip, fmtDate(r.observed_at, lang), r.port ?? '', r.malware ?? '', html`<code>${r.reason}</code>`]))}` : ''}`);
    },
  }),
];
