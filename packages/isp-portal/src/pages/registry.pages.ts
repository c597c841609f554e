import { importForm } from './registry-import.pages';
import { z } from 'zod/v4';
import { withScope } from '../repositories/scope';
import { scopedMemberRows, scopedMembers, scopedPrefixes, scopedProposals, type ProposalView } from '../repositories/registry.repository';
import { decide, propose, ProposalSchema } from '../services/registry';
import { countLists, scopedLists } from '../repositories/lists.repository';
import { mayDecide } from '../services/list-approval';
import { badge, csrfField, data, fmtDate, fmtNum, html, pager, paging, table, type Safe } from '../web/html';
import { scopedFiguresByMember } from '../repositories/batches.repository';
import { t, type Lang } from '../web/i18n';
import { notFound } from '../web/errors';
import { route, id, type PortalRoute } from '../web/route-table';
import { render } from './render';
import { decisionForms } from './list-decision.pages';
import { webhookCard } from './settings.pages';

function proposalTable(lang: Lang, ps: ProposalView[], actions?: (p: ProposalView) => Safe | string): Safe {
  return table(
    [
      '#',
      t(lang, 'field.member'),
      t(lang, 'registry.kind'),
      t(lang, 'registry.change'),
      t(lang, 'registry.validFrom'),
      t(lang, 'registry.note'),
      t(lang, 'common.state'),
      t(lang, 'registry.who'),
      ...(actions ? [''] : []),
    ],
    ps.map((p) => [
      p.id,
      data(p.member_id),
      t(lang, `registry.kind.${p.kind}`),
      data(p.cidr ?? (p.contact_emails ?? []).join(', ')),
      fmtDate(p.valid_from, lang),
      data(p.note ?? ''),
      badge(lang, p.state),
      data(`${p.proposed_by_email}${p.decided_by_email ? ` → ${p.decided_by_email}` : ''}`),
      ...(actions ? [actions(p)] : []),
    ]),
  );
}

const memberParam = z.object({ memberId: z.string().max(100) });
const PrefixQuery = z.object({
  page: z.coerce.number().int().min(1).optional(),
  size: z.coerce.number().int().optional(),
  history: z.enum(['0', '1']).optional(),
  q: z.string().max(60).optional(),
});

function prefixTable(lang: Lang, rows: { cidr: string; valid_from: Date | null; valid_to: Date | null; current: boolean }[]): Safe {
  return table(
    [t(lang, 'registry.cidr'), t(lang, 'registry.validFrom'), t(lang, 'registry.validTo'), t(lang, 'common.state')],
    rows.map((p) => [
      html`<code translate="no">${p.cidr}</code>`,
      p.valid_from ? fmtDate(p.valid_from, lang) : '—',
      p.valid_to ? fmtDate(p.valid_to, lang) : '—',
      badge(lang, p.current ? 'active' : 'inactive'),
    ]),
    '',
    'prefix-table',
  );
}

export const registryPages: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/members',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'members with contacts, prefix counts and figures; a page at a time',
    query: z.object({
      q: z.string().max(100).optional(),
      page: z.coerce.number().int().min(1).optional(),
      size: z.coerce.number().int().optional(),
    }),
    handler: async (c) => {
      const { lang, ctx, caller, query } = c;
      const p = paging(query);
      const [members, figs] = await withScope(
        ctx.pool,
        caller,
        async (db) =>
          [
            await scopedMemberRows(db, caller, { q: query.q, limit: p.size, offset: p.offset }),
            await scopedFiguresByMember(db, caller),
          ] as const,
      );
      const search = html`<form method="get" action="/members" class="filters card">
        <label>${t(lang, 'members.search')}<input name="q" value="${query.q ?? ''}" /></label> <button>${t(lang, 'common.filter')}</button>
        <a href="/members/check">${t(lang, 'members.check')}</a> <a href="/campaigns">${t(lang, 'nav.campaigns')}</a>
      </form>`;
      return render(
        c,
        t(lang, 'nav.members'),
        html`${search}${pager(lang, members.total, p, '/members', query)}${table(
          [
            t(lang, 'field.memberId'),
            t(lang, 'field.name'),
            t(lang, 'registry.contacts'),
            t(lang, 'registry.prefixes'),
            t(lang, 'webhook.title'),
            t(lang, 'fig.batches'),
            t(lang, 'fig.entries'),
            t(lang, 'fig.reported'),
            t(lang, 'fig.overdue'),
          ],
          members.rows.map((m) => {
            const f = figs.get(m.id);
            return [
              html`<a href="/members/${encodeURIComponent(m.id)}"><b translate="no">${m.id}</b></a
                >${m.active ? '' : html` ${badge(lang, 'inactive')}`}`,
              data(m.name),
              data(m.contact_emails.join(', ')),
              html`<a href="/members/${encodeURIComponent(m.id)}">${fmtNum(m.prefixes)}</a>`,
              m.webhook_url ? t(lang, 'webhook.on') : '—',
              fmtNum(f?.batches ?? 0),
              fmtNum(f?.entries ?? 0),
              fmtNum(f?.reported ?? 0),
              f?.overdue
                ? html`<a class="overdue" href="/batches?overdue=1&member=${encodeURIComponent(m.id)}">${fmtNum(f.overdue)}</a>`
                : '0',
            ];
          }),
          '',
          'members-table',
        )}${importForm(lang, csrfField(caller))}`,
      );
    },
  }),
  route({
    method: 'GET',
    url: '/members/:memberId',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'a member: contacts, its prefixes (current and history, paged), webhook',
    params: memberParam,
    query: PrefixQuery,
    handler: async (c) => {
      const { lang, ctx, caller, params, query } = c;
      const p = paging(query);
      const [m, prefixes] = await withScope(
        ctx.pool,
        caller,
        async (db) =>
          [
            (await scopedMembers(db, caller, params.memberId))[0],
            await scopedPrefixes(db, caller, params.memberId, {
              history: query.history === '1',
              q: query.q,
              limit: p.size,
              offset: p.offset,
            }),
          ] as const,
      );
      if (!m) throw notFound();
      const filter = html`<form method="get" action="/members/${encodeURIComponent(m.id)}" class="filters card">
        <label>${t(lang, 'registry.cidr')}<input name="q" value="${query.q ?? ''}" placeholder="203.0." /></label>
        <label
          ><span
            ><input type="checkbox" name="history" value="1" ${query.history === '1' ? html` checked` : ''} />
            ${t(lang, 'registry.history')}</span
          ></label
        >
        <button>${t(lang, 'common.filter')}</button>
      </form>`;
      return render(
        c,
        `${t(lang, 'field.member')}: ${m.name}`,
        html`<div class="card">
            <p><b translate="no">${m.id}</b> ${m.active ? '' : badge(lang, 'inactive')}</p>
            <p>${t(lang, 'registry.contacts')}: ${data(m.contact_emails.join(', ') || '—')}</p>
            <p><a href="/batches?member=${encodeURIComponent(m.id)}">${t(lang, 'nav.batches')}</a></p>
          </div>
          <h2>${t(lang, 'registry.prefixes')}</h2>
          ${filter}${pager(lang, prefixes.total, p, `/members/${encodeURIComponent(m.id)}`, query)}${prefixTable(lang, prefixes.rows)}
          ${await webhookCard(c, m.id)}
          <p><a href="/members">${t(lang, 'common.back')}</a></p>`,
      );
    },
  }),
  route({
    method: 'GET',
    url: '/registry',
    kind: 'page',
    roles: ['member'],
    summary: 'your prefixes and contacts; propose a change',
    query: PrefixQuery.extend({ proposed: z.string().optional() }),
    handler: async (c) => {
      const { lang, ctx, caller, query } = c;
      const p = paging(query);
      const [members, proposals, prefixes] = await withScope(
        ctx.pool,
        caller,
        async (db) =>
          [
            await scopedMembers(db, caller),
            await scopedProposals(db, caller),
            await scopedPrefixes(db, caller, caller.memberId ?? '', {
              history: query.history === '1',
              q: query.q,
              limit: p.size,
              offset: p.offset,
            }),
          ] as const,
      );
      const m = members[0];
      return render(
        c,
        t(lang, 'registry.title'),
        html`<div class="card">
            <p><b>${data(m?.name)}</b> (${data(m?.id)})</p>
            <p>${t(lang, 'registry.contacts')}: ${data(m?.contact_emails.join(', '))}</p>
          </div>
          <h2>${t(lang, 'registry.prefixes')}</h2>
          ${pager(lang, prefixes.total, p, '/registry', query)}${prefixTable(lang, prefixes.rows)}
          <h2>${t(lang, 'registry.propose')}</h2>
          <form method="post" action="/registry/proposals" class="stack card">
            ${csrfField(caller)}
            <label
              >${t(lang, 'registry.kind')}<select name="kind">
                ${(['prefix.add', 'prefix.remove', 'contacts'] as const).map((k) => html`<option value="${k}">${t(lang, `registry.kind.${k}`)}</option>`)}
              </select></label
            >
            <label>${t(lang, 'registry.cidr')}<input name="cidr" placeholder="203.0.113.0/24" /></label>
            <label>${t(lang, 'registry.emails')}<input name="contactEmails" placeholder="abuse@example.jp" /></label>
            <label>${t(lang, 'registry.validFrom')}<input name="validFrom" type="date" /></label>
            <label>${t(lang, 'registry.note')}<input name="note" maxlength="500" /></label><button>${t(lang, 'registry.propose')}</button>
          </form>
          <h2>${t(lang, 'registry.proposals')}</h2>
          ${proposalTable(lang, proposals)}`,
        { flash: query.proposed ? { kind: 'ok', text: t(lang, 'registry.proposed') } : null },
      );
    },
  }),
  route({
    method: 'POST',
    url: '/registry/proposals',
    kind: 'page',
    roles: ['member'],
    summary: 'propose a prefix or contact change',
    body: z.object({
      kind: ProposalSchema.shape.kind,
      cidr: z.string().max(50).optional(),
      contactEmails: z.string().max(2000).optional(),
      validFrom: z.string().max(40).optional(),
      note: z.string().max(2000).optional(),
      _csrf: z.string().optional(),
    }),
    handler: async (c) => {
      const { _csrf, ...b } = c.body;
      void _csrf;
      await propose(c.ctx, c.caller, {
        ...b,
        cidr: b.cidr || undefined,
        contactEmails: b.contactEmails || undefined,
        validFrom: b.validFrom || undefined,
        note: b.note || undefined,
      });
      return c.reply.redirect('/registry?proposed=1', 303);
    },
  }),
  route({
    method: 'GET',
    url: '/approvals',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'lists awaiting approval, proposals awaiting a decision, and past ones',
    handler: async (c) => {
      const { lang, ctx, caller } = c;
      const [all, waiting, nWaiting] = await withScope(
        ctx.pool,
        caller,
        async (db) =>
          [
            await scopedProposals(db, caller),
            await scopedLists(db, caller, { state: 'awaiting_approval', limit: 100 }),
            await countLists(db, caller, { state: 'awaiting_approval' }),
          ] as const,
      );
      const lists = html`<h2>${t(lang, 'approvals.lists')} (${fmtNum(nWaiting)})</h2>
        ${
          waiting.length
            ? table(
                [
                  '#',
                  t(lang, 'field.campaign'),
                  t(lang, 'field.source'),
                  t(lang, 'field.round'),
                  t(lang, 'field.file'),
                  t(lang, 'fig.delivered'),
                  t(lang, 'fig.returned'),
                  t(lang, 'approvals.uploadedBy'),
                  '',
                ],
                waiting.map((l) => [
                  html`<a href="/lists/${l.id}">${l.id}</a>`,
                  data(l.campaign_name),
                  data(l.source_id),
                  l.round ?? '—',
                  data(l.file_name),
                  fmtNum(l.delivered ?? 0),
                  fmtNum(l.returned ?? 0),
                  data(l.uploaded_by ?? '—'),
                  mayDecide(caller, l) ? decisionForms(c, l.id) : html`<span class="muted">${t(lang, 'approvals.notYours')}</span>`,
                ]),
                '',
                'approvals-lists',
              )
            : html`<div class="card">${t(lang, 'common.none')}</div>`
        }`;
      const act = (p: ProposalView) =>
        p.state !== 'pending'
          ? ''
          : html`<form method="post" action="/approvals/${p.id}" class="inline">
              ${csrfField(caller)} <button name="decision" value="approve">${t(lang, 'approvals.approve')}</button>
              <button name="decision" value="reject" class="secondary">${t(lang, 'approvals.reject')}</button>
            </form>`;
      const pending = all.filter((p) => p.state === 'pending');
      return render(
        c,
        t(lang, 'approvals.title'),
        html`${lists}
          <h2>${t(lang, 'approvals.proposals')}</h2>
          ${pending.length ? proposalTable(lang, pending, act) : html`<div class="card">${t(lang, 'common.none')}</div>`}
          <h2>${t(lang, 'approvals.decided')}</h2>
          ${proposalTable(
            lang,
            all.filter((p) => p.state !== 'pending'),
          )}`,
      );
    },
  }),
  route({
    method: 'POST',
    url: '/approvals/:proposalId',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'approve or reject a proposal',
    params: z.object({ proposalId: id }),
    body: z.object({ decision: z.enum(['approve', 'reject']), note: z.string().max(2000).optional(), _csrf: z.string().optional() }),
    handler: async (c) => {
      await decide(c.ctx, c.caller, c.params.proposalId, c.body.decision === 'approve', c.body.note);
      return c.reply.redirect('/approvals', 303);
    },
  }),
];
