import { approveList, audit, isUploader, withTransaction, ListDecisionError, type AppContext } from '@deliveryline/shared';
import type { Mailer } from '@deliveryline/router';
import type { Caller } from '../auth/caller';
import { lockListForDecision, markRefused, sourceContacts } from '../repositories/lists.repository';
import { HttpError } from '../web/errors';
import { t } from '../web/i18n';

/** Whether the caller may decide on a list: a coordinator who did not upload it (the four-eyes rule, which the approval service enforces too). */
export function mayDecide(caller: Caller, l: { state: string; uploaded_by: string | null }): boolean {
  return caller.role === 'coordinator' && l.state === 'awaiting_approval' && !isUploader(l.uploaded_by, caller);
}

const asHttp = (e: ListDecisionError) => new HttpError(e.code === 'list.not_found' ? 404 : 409, e.code, { detail: e.message });

/** A second coordinator releases a list awaiting approval (shared checks the four-eyes rule and audits). */
export async function approveListAs(ctx: AppContext, caller: Caller, listId: number): Promise<void> {
  try {
    await approveList(ctx, listId, { userId: caller.userId, email: caller.email, actor: caller.actor });
  } catch (e) {
    if (e instanceof ListDecisionError) throw asHttp(e);
    throw e;
  }
}

export interface Refusal {
  listId: number;
  told: string[];
}

/**
 * A coordinator other than the uploader refuses a list awaiting approval: it ends `refused`
 * (never released, counted in no figure), the reason is an audit event in the same transaction,
 * and the source's portal users are told by e-mail (in both languages) after the commit.
 */
export async function refuseListAs(ctx: AppContext, mailer: Mailer, caller: Caller, listId: number, reason: string): Promise<Refusal> {
  const why = reason.trim();
  if (!why) throw new HttpError(400, 'list.refusal_reason');
  const l = await withTransaction(ctx.pool, async (tx) => {
    const l = await lockListForDecision(tx, listId);
    if (!l) throw new HttpError(404, 'list.not_found');
    if (l.state !== 'awaiting_approval') throw new HttpError(409, 'list.not_awaiting_approval');
    if (isUploader(l.uploaded_by, caller)) throw new HttpError(409, 'approval.same_person');
    await markRefused(tx, listId, caller.email, why);
    await audit(tx, {
      actor: caller.actor,
      action: 'list.refuse',
      object: `list:${listId}`,
      details: { by: caller.email, reason: why, uploadedBy: l.uploaded_by, sourceId: l.source_id, received: l.received },
    });
    return l;
  });
  const to = (await sourceContacts(ctx.pool, l.source_id)).map((u) => u.email);
  if (to.length) {
    const vars = { id: l.id, file: l.file_name, campaign: l.campaign_id, round: l.round ?? '—', reason: why, by: caller.email };
    await mailer.send({
      to,
      subject: `${t('ja', 'mail.refused.subject', vars)} / ${t('en', 'mail.refused.subject', vars)}`,
      text: `${t('ja', 'mail.refused.body', vars)}\n\n----\n\n${t('en', 'mail.refused.body', vars)}\n`,
      headers: { 'X-Deliveryline-List': String(l.id) },
    });
  }
  return { listId, told: to };
}
