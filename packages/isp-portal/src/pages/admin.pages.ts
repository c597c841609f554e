import { z } from 'zod/v4';
import { audit, normalEmail } from '@deliveryline/shared';
import { allUsers, endSessionsOf, userById } from '../repositories/identity.repository';
import { lockedAccounts } from '../repositories/signin-throttle.repository';
import { clearSessionCookie, clockOf } from '../auth/resolve-caller';
import { claimAttempt, succeeded, unlockAccount } from '../auth/signin-limits';
import { lockedNow, refuse, refusalText } from '../auth/signin-outcome';
import { notifyChange } from '../auth/second-factor';
import { verifyPassword } from '../auth/secrets';
import { ROLES } from '../auth/caller';
import { countAudit, findAudit, type AuditRow } from '../repositories/audit.repository';
import { organisations } from '../repositories/registry.repository';
import { AuditQuery, auditCsv } from '../services/registry';
import { changePassword, createUser, oneTimePassword, UserInputError } from '../services/users';
import { codeTag, csrfField, data, fmtDate, html, pager, paging, raw, select, table, type Safe } from '../web/html';
import { CATALOG, hasText, t, type Lang } from '../web/i18n';
import { HttpError, messageOf } from '../web/errors';
import { id, route, type PortalRoute, type RouteCall } from '../web/route-table';
import { render } from './render';
import { dateRange } from './filters';

const UserBody = z.object({
  email: z.string().max(320).default(''),
  name: z.string().max(200).default(''),
  role: z.enum(ROLES),
  member: z.string().max(100).optional(),
  source: z.string().max(100).optional(),
  language: z.enum(['ja', 'en']).default('ja'),
  _csrf: z.string().optional(),
});
type UserForm = Partial<z.infer<typeof UserBody>>;
type Flash = { kind: 'ok' | 'error'; text: string };

async function usersPage(
  c: RouteCall<unknown, unknown, unknown>,
  o: { flash?: Flash; form?: UserForm; created?: { email: string; password: string } } = {},
  status = 200,
) {
  const { lang, caller } = c;
  const [users, orgs, locked] = await Promise.all([
    allUsers(c.ctx.pool),
    organisations(c.ctx.pool),
    lockedAccounts(c.ctx.pool, clockOf(c.deps.settings)),
  ]);
  const state = (u: (typeof users)[number]) => {
    const until = locked.get(u.email);
    if (!until)
      return u.must_change_password ? t(lang, 'users.mustChange') : u.active ? t(lang, 'users.active') : t(lang, 'users.disabled');
    return html`${t(lang, 'users.locked', { until: fmtDate(until, lang) })}
      <form method="post" action="/users/${u.id}/unlock" class="inline">
        ${csrfField(caller)}<button class="secondary">${t(lang, 'users.unlock')}</button>
      </form>`;
  };
  const f = o.form ?? {};
  const opt = (v: string, label: string, cur: string | undefined, isData = false) =>
    html`<option value="${v}" ${raw(v === cur ? ' selected' : '')}${raw(isData ? ' translate="no"' : '')}>${label}</option>`;
  const created = o.created
    ? html`<div class="card flash ok" id="new-user">
        <p>${t(lang, 'users.otp.shown', { email: o.created.email })}</p>
        <p class="secret onetime" id="one-time-password" translate="no">${o.created.password}</p>
        <p>${t(lang, 'users.otp.help')}</p>
      </div>`
    : '';
  return render(
    c,
    t(lang, 'users.title'),
    html`${created}
      <h2>${t(lang, 'users.add')}</h2>
      <form method="post" action="/users" class="stack card" id="user-form">
        ${csrfField(caller)} <label>${t(lang, 'signin.email')}<input type="email" name="email" required value="${f.email ?? ''}" /></label
        ><label>${t(lang, 'users.name')}<input name="name" required value="${f.name ?? ''}" /></label>
        <label
          >${t(lang, 'users.role')}<select name="role" id="user-role">
            ${ROLES.map((r) => opt(r, t(lang, `role.${r}`), f.role ?? 'member'))}
          </select></label
        >
        <label
          >${t(lang, 'users.member')}<select name="member">
            <option value="">—</option>
            ${orgs.members.map((m) => opt(m.id, `${m.id} · ${m.name}`, f.member, true))}
          </select></label
        >
        <label
          >${t(lang, 'users.source')}<select name="source">
            <option value="">—</option>
            ${orgs.sources.map((s) => opt(s.id, s.id === s.name ? s.id : `${s.id} · ${s.name}`, f.source, true))}
          </select></label
        >
        <label
          >${t(lang, 'users.language')}<select name="language">
            ${opt('ja', '日本語', f.language ?? 'ja')}${opt('en', 'English', f.language)}
          </select></label
        >
        <p class="muted">${t(lang, 'users.otp.note')}</p>
        <button id="user-submit">${t(lang, 'users.add')}</button>
      </form>
      ${table(
        [
          t(lang, 'signin.email'),
          t(lang, 'users.name'),
          t(lang, 'users.role'),
          t(lang, 'users.org'),
          t(lang, 'users.totp'),
          t(lang, 'users.state'),
          t(lang, 'common.created'),
        ],
        users.map((u) => [
          data(u.email),
          data(u.name),
          t(lang, `role.${u.role}`),
          data(u.member_id ?? u.source_id ?? ''),
          u.totp_secret ? '✓' : '',
          state(u),
          fmtDate(u.created_at, lang),
        ]),
        '',
        'users-table',
      )}`,
    { flash: o.flash, status },
  );
}

/** An audit event as a person reads it: the action in words (its code beside it), the object and details as data. */
function auditRow(lang: Lang, r: AuditRow): unknown[] {
  const action = hasText(`audit.action.${r.action}`)
    ? html`${t(lang, `audit.action.${r.action}`)} ${codeTag(r.action)}`
    : codeTag(r.action);
  return [
    r.id,
    fmtDate(r.at, lang),
    data(r.who ? `${r.who} (${r.actor})` : r.actor),
    action,
    data(r.object ?? ''),
    html`<code translate="no">${JSON.stringify(r.details)}</code>`,
  ];
}

const AUDIT_ACTIONS = Object.keys(CATALOG)
  .filter((k) => k.startsWith('audit.action.'))
  .map((k) => k.slice('audit.action.'.length));

export const adminPages: PortalRoute[] = [
  route({
    method: 'GET',
    url: '/users',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'users and adding one',
    handler: async (c) => usersPage(c),
  }),
  route({
    method: 'POST',
    url: '/users',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'add a user with a generated one-time password (shown once; replaced at the first sign-in)',
    body: UserBody,
    handler: async (c) => {
      const b = c.body;
      const org = b.role === 'member' ? b.member : b.role === 'source' ? b.source : undefined;
      const password = oneTimePassword();
      try {
        await createUser(
          c.ctx.pool,
          { email: b.email, name: b.name, role: b.role, org: org || undefined, password, language: b.language, mustChangePassword: true },
          c.caller.actor,
        );
      } catch (e) {
        if (e instanceof UserInputError) {
          return usersPage(
            c,
            { flash: { kind: 'error', text: messageOf(c.lang, new HttpError(400, e.code, { detail: e.message })) }, form: b },
            400,
          );
        }
        throw e;
      }
      return usersPage(c, { flash: { kind: 'ok', text: t(c.lang, 'users.added') }, created: { email: normalEmail(b.email), password } });
    },
  }),
  route({
    method: 'POST',
    url: '/users/:userId/unlock',
    kind: 'page',
    roles: ['coordinator'],
    summary: "end a user's sign-in lock (too many failed attempts) before it runs out",
    params: z.object({ userId: id }),
    body: z.object({ _csrf: z.string().optional() }),
    handler: async (c) => {
      const u = await userById(c.ctx.pool, c.params.userId);
      if (!u) throw new HttpError(404, 'not_found');
      if (await unlockAccount(c.ctx.pool, u.email, clockOf(c.deps.settings)))
        await audit(c.ctx.pool, { actor: c.caller.actor, action: 'user.unlocked', object: `user:${u.id}` });
      return usersPage(c, { flash: { kind: 'ok', text: t(c.lang, 'users.unlocked', { email: u.email }) } });
    },
  }),
  route({
    method: 'GET',
    url: '/audit',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'the audit log with filters, pages and CSV export',
    query: AuditQuery.extend({ page: z.coerce.number().int().min(1).max(1_000_000).optional(), size: z.coerce.number().int().optional() }),
    handler: async (c) => {
      const { lang, query } = c;
      const f = { actor: query.actor, action: query.action, object: query.object, ...dateRange({ from: query.from, to: query.to }) };
      if (query.format === 'csv') {
        const all = await findAudit(c.ctx.pool, { ...f, limit: 1_000_000 });
        return c.reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="audit.csv"')
          .send(auditCsv(all));
      }
      const p = paging(query);
      const [rows, total] = await Promise.all([
        findAudit(c.ctx.pool, { ...f, limit: p.size, offset: p.offset }),
        countAudit(c.ctx.pool, f),
      ]);
      const qs = new URLSearchParams(
        Object.entries(query)
          .filter(([k, v]) => v && !['format', 'page', 'size'].includes(k))
          .map(([k, v]): [string, string] => [k, String(v)]),
      );
      const form: Safe = html`<form method="get" action="/audit" class="filters card">
        <label>${t(lang, 'audit.actor')}<input name="actor" value="${query.actor ?? ''}" placeholder="user@example.jp" /></label>
        ${select(
          'action',
          t(lang, 'audit.action'),
          AUDIT_ACTIONS.map((a) => [a, t(lang, `audit.action.${a}`)]),
          query.action,
          t(lang, 'filter.any'),
        )}
        <label>${t(lang, 'audit.object')}<input name="object" value="${query.object ?? ''}" placeholder="list:12" /></label>
        <label>${t(lang, 'filter.from')}<input name="from" type="date" value="${query.from ?? ''}" /></label
        ><label>${t(lang, 'filter.to')}<input name="to" type="date" value="${query.to ?? ''}" /></label>
        <button>${t(lang, 'common.filter')}</button
        ><a class="button secondary" href="/audit?${qs.toString()}${qs.toString() ? '&' : ''}format=csv">${t(lang, 'common.export')}</a>
      </form>`;
      return render(
        c,
        t(lang, 'audit.title'),
        html`${form}${pager(lang, total, p, '/audit', query)}
        ${table(
          ['#', t(lang, 'audit.at'), t(lang, 'audit.actor'), t(lang, 'audit.action'), t(lang, 'audit.object'), t(lang, 'audit.details')],
          rows.map((r) => auditRow(lang, r)),
          '',
          'audit-table',
        )}`,
      );
    },
  }),
  route({
    method: 'GET',
    url: '/account/password',
    kind: 'page',
    roles: ROLES,
    allowPending: true,
    summary: 'choose your own password (asked at the first sign-in after a one-time password)',
    handler: async (c) => passwordPage(c),
  }),
  route({
    method: 'POST',
    url: '/account/password',
    kind: 'page',
    roles: ROLES,
    allowPending: true,
    summary: 'set your own password',
    body: z.object({
      current: z.string().max(1000).optional(),
      password: z.string().max(1000),
      again: z.string().max(1000),
      _csrf: z.string().optional(),
    }),
    handler: async (c) => {
      if (c.caller.pending === 'totp') throw new HttpError(401, 'unauthenticated');
      if (c.body.password !== c.body.again) return passwordPage(c, { kind: 'error', text: t(c.lang, 'error.password.mismatch') }, 400);
      // the current password too, but at the first sign-in (the one-time password was just typed)
      const first = c.caller.pending === 'password';
      if (!first) {
        if (await currentPasswordRefused(c, c.body.current ?? '')) return c.reply;
      }
      try {
        await changePassword(c.ctx.pool, {
          userId: c.caller.userId,
          password: c.body.password,
          actor: c.caller.actor,
          keepSession: c.req.sessionHash,
        });
      } catch (e) {
        if (e instanceof UserInputError)
          return passwordPage(c, { kind: 'error', text: messageOf(c.lang, new HttpError(400, e.code)) }, 400);
        throw e;
      }
      if (!first) await notifyChange(c.ctx.pool, c.deps.mailer, c.req.log, c.caller.userId, 'password', c.req.ip);
      return c.reply.redirect('/', 303);
    },
  }),
];

/**
 * The current password, checked under the same limits as a sign-in (a stolen session does not
 * give unlimited guesses at it): false when it is right; otherwise the answer has been sent.
 * (A boolean, not the reply: a reply is thenable, and awaiting it would read as undefined.)
 */
async function currentPasswordRefused(c: RouteCall<unknown, unknown, unknown>, current: string): Promise<boolean> {
  const { ctx, deps, req, reply, caller, lang } = c;
  const now = clockOf(deps.settings);
  const who = { email: caller.email, ip: req.ip };
  const claim = await claimAttempt(ctx.pool, deps.settings.limits, who, now);
  if (!claim.ok) {
    refuse(reply, claim, now);
    void passwordPage(c, { kind: 'error', text: refusalText(lang, claim, now) }, 429);
    return true;
  }
  const user = await userById(ctx.pool, caller.userId);
  if (await verifyPassword(current, user?.password_hash ?? null)) {
    await succeeded(ctx.pool, who, now, { full: true, claim });
    return false;
  }
  await audit(ctx.pool, {
    actor: caller.actor,
    action: 'user.signin_failed',
    details: { email: caller.email, ip: req.ip, on: 'password change' },
  });
  if (!claim.locksNow) {
    void passwordPage(c, { kind: 'error', text: t(lang, 'error.password.current') }, 400);
    return true;
  }
  // locked: this session ends too
  await lockedNow(deps, req, caller.email, user, claim, now);
  await endSessionsOf(ctx.pool, caller.userId);
  clearSessionCookie(reply, deps.settings);
  void reply.redirect('/signin', 303);
  return true;
}

function passwordPage(c: RouteCall<unknown, unknown, unknown>, flash?: Flash, status = 200) {
  const { lang, caller } = c;
  return render(
    c,
    t(lang, 'password.title'),
    html`<div class="card signin">
      ${caller.pending === 'password' ? html`<p>${t(lang, 'password.first')}</p>` : ''}
      <form method="post" action="/account/password" class="stack">
        ${csrfField(caller)}
        ${
          caller.pending === 'password'
            ? ''
            : html`<label
                >${t(lang, 'password.current')}<input type="password" name="current" required autocomplete="current-password"
              /></label>`
        }
        <label
          >${t(lang, 'password.new')}<input type="password" name="password" minlength="12" required autocomplete="new-password"
        /></label>
        <label
          >${t(lang, 'password.again')}<input type="password" name="again" minlength="12" required autocomplete="new-password"
        /></label>
        <button id="password-submit">${t(lang, 'common.save')}</button>
      </form>
    </div>`,
    { flash, status },
  );
}
