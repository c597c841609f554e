import fs from 'node:fs';
import { z } from 'zod/v4';
import { OUTCOMES, type NotAnnouncedBatch } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { withScope } from '../repositories/scope';
import { countBatches, scopedBatchCampaigns, scopedBatches, scopedOutcomeCounts, type BatchView } from '../repositories/batches.repository';
import { allCampaigns } from '../repositories/lists.repository';
import { organisations } from '../repositories/registry.repository';
import { Filters, BatchStates, dateRange, filterForm } from './filters';
import { batchOr404, figuresFor } from '../services/batches';
import { batchDownload, FORMATS } from '../services/batch-files';
import { rejectionsCsv, reportOutcomes, type OutcomeReport } from '../services/outcomes';
import { readUpload } from '../services/upload';
import { notAnnounced, stopNoticeFor } from '../services/notices';
import { badge, codeTag, csrfField, data, fmtDate, fmtNum, fmtRate, html, pager, paging, select, table, type Safe } from '../web/html';
import { codeText, t, type Lang } from '../web/i18n';

/** The CSV column a refused outcome row's field came from. */
const COLUMN_OF: Record<string, string> = {
  entryId: 'entry_id',
  outcome: 'outcome',
  notifiedAt: 'notified_at',
  channel: 'channel',
  note: 'note',
};
import { route, id, type PortalRoute, type RouteCall } from '../web/route-table';
import { render } from './render';

export function batchTable(lang: Lang, batches: BatchView[], showMember = true): Safe {
  return table(
    [
      '#',
      ...(showMember ? [t(lang, 'field.member')] : []),
      t(lang, 'field.campaign'),
      t(lang, 'field.round'),
      t(lang, 'fig.entries'),
      t(lang, 'fig.reported'),
      t(lang, 'common.state'),
      t(lang, 'field.due'),
    ],
    batches.map((b) => [
      html`<a href="/batches/${b.id}">${b.id}</a>`,
      ...(showMember ? [data(b.member_id)] : []),
      data(b.campaign_name),
      b.round ?? '—',
      fmtNum(b.entries),
      `${fmtNum(b.reported)} / ${fmtNum(b.entries)}`,
      badge(lang, b.state),
      b.overdue ? html`<span class="overdue">${fmtDate(b.due_at, lang)}</span>` : fmtDate(b.due_at, lang),
    ]),
    '',
    'batches-table',
  );
}

/** The system's own message (English, quoting the file's text), folded under the Japanese text. */
export const rawMessage = (lang: Lang, message: string) =>
  html`<details class="raw">
    <summary>${t(lang, 'list.failure.detail')}</summary>
    <span translate="no" lang="en">${message}</span>
  </details>`;

/** The outcome values a member writes in the CSV, with what each means. */
export const outcomeValues = (lang: Lang) =>
  table(
    [t(lang, 'batch.outcome.value'), t(lang, 'batch.outcome.meaning')],
    OUTCOMES.map((o) => [codeTag(o), t(lang, `outcome.${o}`)]),
    'codes',
    'outcome-values',
  );

/** Problems shown on the page; the rest are in the CSV the page offers (a 10,000-row table is no page). */
export const RESULT_ROWS = 20;

function resultCard(lang: Lang, r: OutcomeReport): Safe {
  const shown = r.rejected.slice(0, RESULT_ROWS);
  const csv = `data:text/csv;charset=utf-8;base64,${Buffer.from(rejectionsCsv(r.rejected)).toString('base64')}`;
  return html`<div class="card" id="outcome-result">
    <h2>${t(lang, 'batch.result')}</h2>
    <p class="flash ok">
      ${t(lang, 'batch.result.stored', { n: fmtNum(r.stored) })}${r.batchClosed ? ' ' + t(lang, 'batch.result.closed') : ''}
    </p>
    ${r.skipped ? html`<p class="muted" id="outcome-skipped">${t(lang, 'batch.result.skipped', { n: fmtNum(r.skipped) })}</p>` : ''}
    ${r.unchanged ? html`<p class="muted" id="outcome-unchanged">${t(lang, 'batch.result.unchanged', { n: fmtNum(r.unchanged) })}</p>` : ''}
    ${r.encoding ? html`<p class="muted">${t(lang, 'batch.result.encoding', { encoding: r.encoding === 'cp932' ? 'Shift_JIS (CP932)' : r.encoding })}</p>` : ''}
    ${
      r.rejected.length
        ? html`<p class="flash error" id="outcome-rejected">${t(lang, 'batch.result.rejected', { n: fmtNum(r.rejected.length) })}</p>
            ${table(
              [t(lang, 'list.row'), t(lang, 'batch.result.column'), t(lang, 'batch.result.problem')],
              shown.map((x) => [
                fmtNum(x.row),
                codeTag(COLUMN_OF[x.field] ?? x.field),
                lang === 'en'
                  ? html`${x.message} ${codeTag(x.code)}`
                  : html`${codeText(lang, x.code) ?? t(lang, 'code.unknown')} ${codeTag(x.code)}${rawMessage(lang, x.message)}`,
              ]),
              'codes',
              'outcome-rejects',
            )}
            <p class="row">
              ${r.rejected.length > shown.length ? html`<span class="muted">${t(lang, 'batch.result.more', { shown: fmtNum(shown.length), n: fmtNum(r.rejected.length) })}</span>` : ''}
              <a class="button secondary" id="outcome-problems" download="outcome-problems.csv" href="${csv}"
                >${t(lang, 'batch.result.download')}</a
              >
            </p>`
        : ''
    }
  </div>`;
}

const stat = (label: string, v: string) => html`<div class="stat"><b>${v}</b><span>${label}</span></div>`;

async function batchPage(c: RouteCall<{ batchId: number }, unknown, unknown>, result?: OutcomeReport, status = 200) {
  const { lang, ctx, caller } = c;
  const b = await batchOr404(ctx, caller, c.params.batchId);
  const counts = await withScope(ctx.pool, caller, (db) => scopedOutcomeCounts(db, caller, b.id));
  const res = result && resultCard(lang, result);
  const upload =
    caller.role === 'member'
      ? html`<h2>${t(lang, 'batch.outcomes')}</h2>
          <div class="card">
            <p>${t(lang, 'batch.outcomes.help')}</p>
            <form method="post" action="/batches/${b.id}/outcomes" enctype="multipart/form-data" class="row">
              ${csrfField(caller)} <input type="file" name="file" accept=".csv,.txt,text/csv,text/plain" required /><button
                id="outcome-submit"
              >
                ${t(lang, 'batch.outcomes.submit')}
              </button>
            </form>
            ${outcomeValues(lang)}
          </div>`
      : '';
  return render(
    c,
    `${t(lang, 'batch.title')} #${b.id} · ${b.campaign_name}${b.round ? ` · ${t(lang, 'field.round')} ${b.round}` : ''}`,
    html`${res ?? ''}
      <div class="card">
        <p>
          ${badge(lang, b.state)} ${t(lang, 'field.member')}: <b>${data(b.member_name)}</b> (${data(b.member_id)}) ·
          TLP:${b.tlp.toUpperCase()} · ${t(lang, 'field.due')}:
          ${b.overdue ? html`<span class="overdue">${fmtDate(b.due_at, lang)}</span>` : fmtDate(b.due_at, lang)}
        </p>
        <div class="grid">
          ${stat(t(lang, 'fig.entries'), fmtNum(b.entries))}${stat(t(lang, 'fig.reported'), fmtNum(b.reported))}
          ${stat(t(lang, 'fig.notifiedRate'), fmtRate(b.entries ? (counts.find((x) => x.outcome === 'notified')?.n ?? 0) / b.entries : null))}
        </div>
        <h2>${t(lang, 'batch.download')}</h2>
        <p class="row">
          ${FORMATS.map((f) => html`<a class="button${f === 'csv' ? '' : ' secondary'}" id="download-${f}" href="/batches/${b.id}/download?format=${f}">${t(lang, `batch.${f}`)}</a>`)}
        </p>
      </div>
      ${upload}
      <h2>${t(lang, 'batch.current')}</h2>
      ${table(
        [...OUTCOMES.map((o) => t(lang, `outcome.${o}`)), t(lang, 'outcome.none')],
        [
          [
            ...OUTCOMES.map((o) => fmtNum(counts.find((x) => x.outcome === o)?.n ?? 0)),
            fmtNum(b.entries - counts.reduce((a, x) => a + x.n, 0)),
          ],
        ],
        'figures',
        'outcome-counts',
      )}`,
    { status },
  );
}

/** Batches whose notice has not gone out: how often it was tried, what the server said last, and a stop for its retries. */
function notAnnouncedCard(lang: Lang, caller: Caller, rows: NotAnnouncedBatch[], total: number): Safe {
  return html`<div class="card" id="not-announced">
    <h3>${t(lang, 'notAnnounced.title')}</h3>
    <p class="muted">${t(lang, 'notAnnounced.help')}</p>
    ${total > rows.length ? html`<p id="not-announced-shown">${t(lang, 'notAnnounced.shown', { shown: fmtNum(rows.length), total: fmtNum(total) })}</p>` : ''}
    ${table(
      [
        t(lang, 'field.batch'),
        t(lang, 'field.list'),
        t(lang, 'field.member'),
        t(lang, 'notAnnounced.attempts'),
        t(lang, 'notAnnounced.last'),
        '',
      ],
      rows.map((b) => [
        html`<a href="/batches/${b.batchId}">#${b.batchId}</a>`,
        html`<a href="/lists/${b.listId}">${b.listId}</a>`,
        data(b.memberId),
        fmtNum(b.attempts),
        data(b.lastResponse ?? '—'),
        b.stoppedAt
          ? t(lang, 'notAnnounced.stopped', { by: b.stoppedBy ?? '', at: fmtDate(b.stoppedAt, lang) })
          : html`<form method="post" action="/batches/${b.batchId}/stop-notice" class="row">
              ${csrfField(caller)}<button class="secondary" id="stop-notice-${b.batchId}">${t(lang, 'notAnnounced.stop')}</button>
            </form>`,
      ]),
      '',
      'not-announced-table',
    )}
  </div>`;
}

export const batchPages: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/batches',
    kind: 'page',
    roles: ['coordinator', 'member'],
    summary: 'batches (a member: its own, with its figures), filtered and a page at a time',
    query: Filters.extend({ overdue: z.enum(['0', '1']).optional(), state: BatchStates.optional(), list: id.optional() }),
    handler: async (c) => {
      const { lang, ctx, caller, query } = c;
      // a member's batches are its own: a member filter means nothing there, so it is dropped (and never echoed back)
      if (caller.role !== 'coordinator' && query.member !== undefined) {
        const u = new URL(c.req.url, 'http://x');
        u.searchParams.delete('member');
        return c.reply.redirect(u.pathname + u.search, 303);
      }
      const p = paging(query);
      const f = {
        overdue: query.overdue === '1',
        campaignId: query.campaign,
        memberId: caller.role === 'coordinator' ? query.member : undefined,
        state: query.state,
        listId: query.list,
        ...dateRange(query),
      };
      const [batches, total, orgs] = await withScope(
        ctx.pool,
        caller,
        async (db) =>
          [
            await scopedBatches(db, caller, { ...f, limit: p.size, offset: p.offset }),
            await countBatches(db, caller, f),
            caller.role === 'coordinator'
              ? { campaigns: await allCampaigns(db), members: (await organisations(db)).members }
              : { campaigns: await scopedBatchCampaigns(db, caller), members: [] },
          ] as const,
      );
      const fig = (await figuresFor(ctx, caller)).batches!;
      // batches of released lists whose notice has not gone out: the coordinator sees them here, retrying or stopped
      const unannounced = caller.role === 'coordinator' ? await notAnnounced(ctx) : { total: 0, rows: [] };
      const figs = html`<h2>${caller.role === 'member' ? t(lang, 'member.figures') : t(lang, 'batches.figures')}</h2>
        <div class="grid">
          ${stat(t(lang, 'fig.batches'), fmtNum(fig.batches))}${stat(t(lang, 'fig.entries'), fmtNum(fig.entries))}${stat(t(lang, 'fig.reported'), fmtNum(fig.reported))}
          ${stat(t(lang, 'fig.notified'), fmtNum(fig.notified))}${stat(t(lang, 'fig.notifiedRate'), fmtRate(fig.notifiedRate))}${stat(t(lang, 'fig.overdue'), fmtNum(fig.overdue))}
          ${caller.role === 'coordinator' ? stat(t(lang, 'fig.notAnnounced'), fmtNum(unannounced.total)) : ''}
        </div>
        ${unannounced.total ? notAnnouncedCard(lang, caller, unannounced.rows, unannounced.total) : ''}`;
      const form = filterForm(lang, '/batches', query, [
        select(
          'campaign',
          t(lang, 'field.campaign'),
          orgs.campaigns.map((k) => [k.id, k.name]),
          query.campaign,
          t(lang, 'filter.any'),
          true,
        ),
        caller.role === 'coordinator'
          ? select(
              'member',
              t(lang, 'field.member'),
              orgs.members.map((m) => [m.id, `${m.id} · ${m.name}`]),
              query.member,
              t(lang, 'filter.any'),
              true,
            )
          : '',
        select(
          'state',
          t(lang, 'common.state'),
          BatchStates.options.map((s) => [s, t(lang, `state.${s}`)]),
          query.state,
          t(lang, 'filter.any'),
        ),
        html`<label
          ><span
            ><input type="checkbox" name="overdue" value="1" ${query.overdue === '1' ? html` checked` : ''} />
            ${t(lang, 'fig.overdue')}</span
          ></label
        >`,
        query.list ? html`<input type="hidden" name="list" value="${query.list}" />` : '',
      ]);
      const title = query.overdue === '1' ? t(lang, 'nav.overdue') : t(lang, 'nav.batches');
      return render(
        c,
        title,
        html`${figs}${form}${pager(lang, total, p, '/batches', query)}${batches.length ? batchTable(lang, batches, caller.role !== 'member') : html`<div class="card">${t(lang, 'common.none')}</div>`}`,
      );
    },
  }),
  route({
    method: 'GET',
    url: '/batches/:batchId',
    kind: 'page',
    roles: ['coordinator', 'member'],
    summary: 'a batch: download and report outcomes',
    params: z.object({ batchId: id }),
    handler: async (c) => batchPage(c),
  }),
  route({
    method: 'POST',
    url: '/batches/:batchId/stop-notice',
    kind: 'page',
    roles: ['coordinator'],
    summary: "stop the retries of a batch's notice that has not gone out (audited)",
    params: z.object({ batchId: id }),
    handler: async (c) => {
      const { ctx, caller, params } = c;
      await stopNoticeFor(ctx, caller, params.batchId);
      return c.reply.redirect('/batches#not-announced', 303);
    },
  }),
  route({
    method: 'GET',
    url: '/batches/:batchId/download',
    kind: 'page',
    roles: ['coordinator', 'member'],
    summary: 'download a batch (csv, excel, json)',
    params: z.object({ batchId: id }),
    query: z.object({ format: z.enum(FORMATS).default('csv') }),
    handler: async ({ ctx, caller, params, query, reply }) => {
      const b = await batchOr404(ctx, caller, params.batchId);
      const f = await batchDownload(ctx, caller, b, query.format);
      return reply.type(f.type).header('content-disposition', `attachment; filename="${f.name}"`).send(f.stream);
    },
  }),
  route({
    method: 'POST',
    url: '/batches/:batchId/outcomes',
    kind: 'page',
    roles: ['member'],
    multipart: true,
    summary: 'upload outcomes (CSV) and see the per-row result',
    params: z.object({ batchId: id }),
    handler: async (c) => {
      const b = await batchOr404(c.ctx, c.caller, c.params.batchId);
      const up = await readUpload(c.req, c.caller);
      let r: OutcomeReport;
      try {
        r = await reportOutcomes(c.ctx, c.caller, b, { bytes: await fs.promises.readFile(up.path) }, 'portal');
      } finally {
        await up.cleanup();
      }
      return batchPage(c, r, r.stored === 0 && r.rejected.length ? 422 : 200);
    },
  }),
];
