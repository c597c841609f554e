import { z } from 'zod/v4';
import { allUsers } from '../auth/identity.repository';
import { ROLES } from '../auth/caller';
import { findAudit } from '../data/audit.repository';
import { AuditQuery, auditCsv } from '../api/registry.api';
import { createUser, UserInputError } from '../services/users';
import { csrfField, fmtDate, html, table } from '../web/html';
import { t } from '../web/i18n';
import { HttpError } from '../web/errors';
import { route, type PortalRoute, type RouteCall } from '../web/route-table';
import { render } from './render';

async function usersPage(c: RouteCall<unknown, unknown, unknown>, flash?: { kind: 'ok' | 'error'; text: string }, status = 200) {
  const { lang, caller } = c;
  const users = await allUsers(c.ctx.pool);
  return render(c, t(lang, 'users.title'), html`<h2>${t(lang, 'users.add')}</h2><form method="post" action="/users" class="stack card">${csrfField(caller)}
<label>${t(lang, 'signin.email')}<input type="email" name="email" required></label><label>${t(lang, 'users.name')}<input name="name" required></label>
<label>${t(lang, 'users.role')}<select name="role">${ROLES.map((r) => html`<option value="${r}">${t(lang, `role.${r}`)}</option>`)}</select></label>
<label>${t(lang, 'users.org')}<input name="org"></label><label>${t(lang, 'signin.password')}<input type="password" name="password" minlength="12" required autocomplete="new-password"></label>
<button>${t(lang, 'users.add')}</button></form>
${table([t(lang, 'signin.email'), t(lang, 'users.name'), t(lang, 'users.role'), t(lang, 'users.org'), 'TOTP', t(lang, 'common.created')],
    users.map((u) => [u.email, u.name, t(lang, `role.${u.role}`), u.member_id ?? u.source_id ?? '', u.totp_secret ? '✓' : '', fmtDate(u.created_at, lang)]))}`, { flash, status });
}

export const adminPages: PortalRoute[] = [
  route({ method: 'GET', url: '/users', kind: 'page', roles: ['coordinator'], summary: 'users and adding one', handler: async (c) => usersPage(c) }),
  route({
    method: 'POST', url: '/users', kind: 'page', roles: ['coordinator'], summary: 'add a user',
    body: z.object({ email: z.string().max(320), name: z.string().max(200), role: z.enum(ROLES), org: z.string().max(100).optional(), password: z.string().max(1000), _csrf: z.string().optional() }),
    handler: async (c) => {
      try {
        await createUser(c.ctx.pool, { ...c.body, language: c.lang }, c.caller.actor);
      } catch (e) {
        if (e instanceof UserInputError) {
          const he = new HttpError(400, e.code, { detail: e.message });
          return usersPage(c, { kind: 'error', text: t(c.lang, `error.${he.code}`, he.vars) }, 400);
        }
        throw e;
      }
      return usersPage(c, { kind: 'ok', text: t(c.lang, 'users.added') });
    },
  }),
  route({
    method: 'GET', url: '/audit', kind: 'page', roles: ['coordinator'], summary: 'the audit log with filters and CSV export',
    query: AuditQuery,
    handler: async (c) => {
      const { lang, query } = c;
      const rows = await findAudit(c.ctx.pool, { ...query, limit: 500 });
      if (query.format === 'csv') {
        const all = await findAudit(c.ctx.pool, { ...query, limit: 1_000_000 });
        return c.reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="audit.csv"').send(auditCsv(all));
      }
      const qs = new URLSearchParams(Object.entries(query).filter(([k, v]) => v && k !== 'format') as [string, string][]);
      return render(c, t(lang, 'audit.title'), html`<form method="get" action="/audit" class="row card">
<label>${t(lang, 'audit.actor')}<input name="actor" value="${query.actor ?? ''}" placeholder="user@example.jp"></label>
<label>${t(lang, 'audit.action')}<input name="action" value="${query.action ?? ''}" placeholder="batch.download"></label>
<label>${t(lang, 'audit.object')}<input name="object" value="${query.object ?? ''}" placeholder="batch:12"></label>
<label>${t(lang, 'audit.from')}<input name="from" type="date" value="${query.from ?? ''}"></label><label>${t(lang, 'audit.to')}<input name="to" type="date" value="${query.to ?? ''}"></label>
<button>${t(lang, 'common.filter')}</button><a class="button secondary" href="/audit?${qs.toString()}${qs.toString() ? '&' : ''}format=csv">${t(lang, 'common.export')}</a></form>
${table(['#', t(lang, 'audit.at'), t(lang, 'audit.actor'), t(lang, 'audit.action'), t(lang, 'audit.object'), t(lang, 'audit.details')],
    rows.map((r) => [r.id, fmtDate(r.at, lang), r.who ? `${r.who} (${r.actor})` : r.actor, html`<code>${r.action}</code>`, r.object ?? '', html`<code>${JSON.stringify(r.details)}</code>`]))}`);
    },
  }),
];
