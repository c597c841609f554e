import { importForm } from './registry-import.pages';
import { z } from 'zod/v4';
import { withScope } from '../data/scope';
import { scopedMembers, scopedProposals, type ProposalView } from '../data/registry.repository';
import { decide, propose, ProposalSchema } from '../api/registry.api';
import { scopedLists } from '../data/lists.repository';
import { approveListAs } from '../services/list-approval';
import { badge, csrfField, fmtDate, fmtNum, html, table, type Safe } from '../web/html';
import { scopedFiguresByMember } from '../data/batches.repository';
import { t, type Lang } from '../web/i18n';
import { route, id, type PortalRoute } from '../web/route-table';
import { render } from './render';

function proposalTable(lang: Lang, ps: ProposalView[], actions?: (p: ProposalView) => Safe | string): Safe {
  return table(['#', t(lang, 'field.member'), t(lang, 'registry.kind'), t(lang, 'registry.cidr') + ' / ' + t(lang, 'registry.contacts'),
    t(lang, 'registry.validFrom'), t(lang, 'registry.note'), t(lang, 'common.state'), t(lang, 'audit.actor'), ...(actions ? [''] : [])],
  ps.map((p) => [p.id, p.member_id, t(lang, `registry.kind.${p.kind}`), p.cidr ?? (p.contact_emails ?? []).join(', '), fmtDate(p.valid_from, lang),
    p.note ?? '', badge(lang, p.state), `${p.proposed_by_email}${p.decided_by_email ? ` → ${p.decided_by_email}` : ''}`, ...(actions ? [actions(p)] : [])]));
}

function prefixList(lang: Lang, prefixes: { cidr: string; valid_from: string | null }[]): Safe {
  return html`${prefixes.map((p) => html`<code>${p.cidr}</code>${p.valid_from ? html` <span class="muted">(${fmtDate(p.valid_from, lang)}〜)</span>` : ''} `)}`;
}

export const registryPages: PortalRoute[] = [
  route({
    method: 'GET', url: '/members', kind: 'page', roles: ['coordinator'], summary: 'members, contacts and current prefixes',
    handler: async (c) => {
      const { lang, ctx, caller } = c;
      const [members, figs] = await withScope(ctx.pool, caller, async (db) => [await scopedMembers(db, caller), await scopedFiguresByMember(db, caller)] as const);
      return render(c, t(lang, 'nav.members'), html`${importForm(lang, csrfField(caller))}<h2>${t(lang, 'nav.members')}</h2>${table([t(lang, 'field.member'), t(lang, 'field.name'), t(lang, 'registry.contacts'), t(lang, 'registry.prefixes'),
        t(lang, 'fig.batches'), t(lang, 'field.entries'), t(lang, 'field.reported'), t(lang, 'fig.overdue')],
      members.map((m) => {
        const f = figs.get(m.id);
        return [html`<b>${m.id}</b>${m.active ? '' : html` ${badge(lang, 'closed')}`}`, m.name, m.contact_emails.join(', '), prefixList(lang, m.prefixes),
          fmtNum(f?.batches ?? 0), fmtNum(f?.entries ?? 0), fmtNum(f?.reported ?? 0),
          f?.overdue ? html`<a class="overdue" href="/batches?overdue=1">${f.overdue}</a>` : '0'];
      }))}`);
    },
  }),
  route({
    method: 'GET', url: '/registry', kind: 'page', roles: ['member'], summary: 'your prefixes and contacts; propose a change',
    query: z.object({ proposed: z.string().optional() }),
    handler: async (c) => {
      const { lang, ctx, caller, query } = c;
      const [members, proposals] = await withScope(ctx.pool, caller, async (db) => [await scopedMembers(db, caller), await scopedProposals(db, caller)] as const);
      const m = members[0];
      return render(c, t(lang, 'registry.title'), html`<div class="card"><p><b>${m?.name}</b> (${m?.id})</p>
<p>${t(lang, 'registry.contacts')}: ${m?.contact_emails.join(', ')}</p><p>${t(lang, 'registry.prefixes')}: ${prefixList(lang, m?.prefixes ?? [])}</p></div>
<h2>${t(lang, 'registry.propose')}</h2><form method="post" action="/registry/proposals" class="stack card">${csrfField(caller)}
<label>${t(lang, 'registry.kind')}<select name="kind">${(['prefix.add', 'prefix.remove', 'contacts'] as const).map((k) => html`<option value="${k}">${t(lang, `registry.kind.${k}`)}</option>`)}</select></label>
<label>${t(lang, 'registry.cidr')}<input name="cidr" placeholder="203.0.113.0/24"></label>
<label>${t(lang, 'registry.emails')}<input name="contactEmails" placeholder="abuse@example.jp"></label>
<label>${t(lang, 'registry.validFrom')}<input name="validFrom" type="date"></label>
<label>${t(lang, 'registry.note')}<input name="note" maxlength="500"></label><button>${t(lang, 'registry.propose')}</button></form>
<h2>${t(lang, 'nav.approvals')}</h2>${proposalTable(lang, proposals)}`, { flash: query.proposed ? { kind: 'ok', text: t(lang, 'registry.proposed') } : null });
    },
  }),
  route({
    method: 'POST', url: '/registry/proposals', kind: 'page', roles: ['member'], summary: 'propose a prefix or contact change',
    body: z.object({ kind: ProposalSchema.shape.kind, cidr: z.string().max(50).optional(), contactEmails: z.string().max(2000).optional(),
      validFrom: z.string().max(40).optional(), note: z.string().max(2000).optional(), _csrf: z.string().optional() }),
    handler: async (c) => {
      const { _csrf, ...b } = c.body;
      void _csrf;
      await propose(c.ctx, c.caller, { ...b, cidr: b.cidr || undefined, contactEmails: b.contactEmails || undefined, validFrom: b.validFrom || undefined, note: b.note || undefined });
      return c.reply.redirect('/registry?proposed=1', 303);
    },
  }),
  route({
    method: 'GET', url: '/approvals', kind: 'page', roles: ['coordinator'], summary: 'proposals awaiting a decision, and past ones',
    handler: async (c) => {
      const { lang, ctx, caller } = c;
      const [all, waiting] = await withScope(ctx.pool, caller, async (db) =>
        [await scopedProposals(db, caller), await scopedLists(db, caller, { state: 'awaiting_approval' })] as const);
      const lists = html`<h2>${t(lang, 'approvals.lists')}</h2>${waiting.length ? table(['#', t(lang, 'field.campaign'), t(lang, 'field.source'), t(lang, 'field.round'),
        t(lang, 'field.file'), t(lang, 'fig.delivered'), t(lang, 'fig.returned'), ''],
      waiting.map((l) => [html`<a href="/lists/${l.id}">${l.id}</a>`, l.campaign_name, l.source_id, l.round ?? '—', l.file_name, l.delivered ?? 0, l.returned ?? 0,
        html`<form method="post" action="/approvals/lists/${l.id}" class="inline">${csrfField(caller)}<button>${t(lang, 'approvals.release')}</button></form>`])) : html`<div class="card">${t(lang, 'common.none')}</div>`}`;
      const act = (p: ProposalView) => p.state !== 'pending' ? '' : html`<form method="post" action="/approvals/${p.id}" class="inline">${csrfField(caller)}
<button name="decision" value="approve">${t(lang, 'approvals.approve')}</button> <button name="decision" value="reject" class="secondary">${t(lang, 'approvals.reject')}</button></form>`;
      const pending = all.filter((p) => p.state === 'pending');
      return render(c, t(lang, 'approvals.title'), html`${lists}<h2>${t(lang, 'approvals.proposals')}</h2>${pending.length ? proposalTable(lang, pending, act) : html`<div class="card">${t(lang, 'common.none')}</div>`}
<h2>${t(lang, 'audit.title')}</h2>${proposalTable(lang, all.filter((p) => p.state !== 'pending'))}`);
    },
  }),
  route({
    method: 'POST', url: '/approvals/lists/:listId', kind: 'page', roles: ['coordinator'], summary: 'release a list awaiting approval',
    params: z.object({ listId: id }), body: z.object({ _csrf: z.string().optional() }),
    handler: async (c) => {
      await approveListAs(c.ctx, c.caller, c.params.listId);
      return c.reply.redirect(`/lists/${c.params.listId}`, 303);
    },
  }),
  route({
    method: 'POST', url: '/approvals/:proposalId', kind: 'page', roles: ['coordinator'], summary: 'approve or reject a proposal',
    params: z.object({ proposalId: id }), body: z.object({ decision: z.enum(['approve', 'reject']), note: z.string().max(2000).optional(), _csrf: z.string().optional() }),
    handler: async (c) => {
      await decide(c.ctx, c.caller, c.params.proposalId, c.body.decision === 'approve', c.body.note);
      return c.reply.redirect('/approvals', 303);
    },
  }),
];
