import { z } from 'zod/v4';
import { withScope } from '../repositories/scope';
import { scopedList, type ListView } from '../repositories/lists.repository';
import { approveListAs, mayDecide, refuseListAs } from '../services/list-approval';
import { csrfField, data, fmtDate, html, type Safe } from '../web/html';
import { t } from '../web/i18n';
import { HttpError, messageOf, notFound } from '../web/errors';
import { route, id, type PortalRoute, type RouteCall } from '../web/route-table';
import { render } from './render';

/**
 * The decision on a list that waits for approval: approve (release) or refuse with a reason.
 * Only a coordinator who did not upload the list sees the buttons; the uploader is told why not.
 */
export async function listDecisionForms(c: RouteCall<unknown, unknown, unknown>, l: ListView): Promise<Safe | string> {
  const { lang, caller } = c;
  if (l.state === 'refused') {
    return html`<div class="flash error" id="list-refused">
      ${t(lang, 'list.refused.by', { by: l.refused_by ?? '', at: fmtDate(l.refused_at, lang) })}<br />
      ${t(lang, 'list.refused.reason')}: ${data(l.refusal_reason)}
    </div>`;
  }
  if (l.state !== 'awaiting_approval') return '';
  if (!mayDecide(caller, l)) return html`<p class="flash" id="decision-not-yours">${t(lang, 'error.approval.same_person')}</p>`;
  return decisionForms(c, l.id);
}

export function decisionForms(c: RouteCall<unknown, unknown, unknown>, listId: number, reason = ''): Safe {
  const { lang, caller } = c;
  return html`<div class="row" id="decision">
    <form method="post" action="/approvals/lists/${listId}" class="inline">
      ${csrfField(caller)}<button id="approve-${listId}">${t(lang, 'approvals.release')}</button>
    </form>
    <form method="post" action="/approvals/lists/${listId}/refuse" class="row">
      ${csrfField(caller)}
      <label>${t(lang, 'list.refuse.reason')}<input name="reason" required maxlength="2000" value="${reason}" size="34" /></label>
      <button class="danger" id="refuse-${listId}">${t(lang, 'list.refuse')}</button>
    </form>
  </div>`;
}

/** A refused decision comes back to the list page with the translated reason, not a bare status. */
async function decisionError(c: RouteCall<{ listId: number }, unknown, unknown>, e: HttpError) {
  const l = await withScope(c.ctx.pool, c.caller, (db) => scopedList(db, c.caller, c.params.listId));
  if (!l) throw notFound();
  return render(
    c,
    `${t(c.lang, 'list.title')} #${l.id}`,
    html`<div class="card">
      <p><a href="/lists/${l.id}">${t(c.lang, 'list.back')}</a></p>
    </div>`,
    { status: e.status, flash: { kind: 'error', text: messageOf(c.lang, e) } },
  );
}

export const listDecisionPages: PortalRoute[] = [
  route({
    method: 'POST',
    url: '/approvals/lists/:listId',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'release a list awaiting approval (not its uploader)',
    params: z.object({ listId: id }),
    body: z.object({ _csrf: z.string().optional() }),
    handler: async (c) => {
      try {
        await approveListAs(c.ctx, c.caller, c.params.listId);
      } catch (e) {
        if (e instanceof HttpError && e.status !== 404) return decisionError(c, e);
        throw e;
      }
      return c.reply.redirect(`/lists/${c.params.listId}`, 303);
    },
  }),
  route({
    method: 'POST',
    url: '/approvals/lists/:listId/refuse',
    kind: 'page',
    roles: ['coordinator'],
    summary: 'refuse a list awaiting approval, with a reason (audited; the source is told by e-mail)',
    params: z.object({ listId: id }),
    body: z.object({ reason: z.string().max(2000).default(''), _csrf: z.string().optional() }),
    handler: async (c) => {
      try {
        await refuseListAs(c.ctx, c.deps.mailer, c.caller, c.params.listId, c.body.reason);
      } catch (e) {
        if (e instanceof HttpError && e.status !== 404) return decisionError(c, e);
        throw e;
      }
      return c.reply.redirect(`/lists/${c.params.listId}`, 303);
    },
  }),
];
