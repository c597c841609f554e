import type { AppContext } from '../context';
import { withTransaction } from '../db/pool';
import { audit } from '../audit/audit-log';
import { enqueue } from '../jobs/queues';
import { lockListForDecision, markListApproved, markListReturnsSent } from '../repositories/list.repository';
import { userStandingByEmail } from '../repositories/user.repository';

/**
 * Approval and returns: the two coordinator decisions on a list after routing. Both are
 * state-checked transitions recorded as audit events in the same transaction.
 */
export class ListDecisionError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A second coordinator releases a list that waits in `awaiting_approval`. The uploader cannot
 * approve their own list. When `by` names a known user (by e-mail), that user must be an active
 * coordinator; the CLI, run on the server, may name a person who has no portal account.
 */
export async function approveList(ctx: Pick<AppContext, 'pool' | 'queues'>, listId: number, by: string): Promise<void> {
  const who = by.trim();
  if (!who) throw new ListDecisionError('approval.no_approver', 'say who approves (--by NAME or e-mail)');
  await withTransaction(ctx.pool, async (tx) => {
    const l = await lockListForDecision(tx, listId);
    if (!l) throw new ListDecisionError('list.not_found', `list ${listId} does not exist`);
    if (l.state !== 'awaiting_approval') {
      throw new ListDecisionError(
        'list.not_awaiting_approval',
        `list ${listId} is ${l.state}, not awaiting_approval; only a routed list that waits for approval can be approved`,
      );
    }
    if (l.uploaded_by && l.uploaded_by.toLowerCase() === who.toLowerCase()) {
      throw new ListDecisionError('approval.same_person', `${who} uploaded list ${listId}; a second coordinator must approve it`);
    }
    const u = await userStandingByEmail(tx, who);
    if (u && (u.role !== 'coordinator' || !u.active)) {
      throw new ListDecisionError('approval.not_coordinator', `${who} is not an active coordinator; only coordinators approve releases`);
    }
    await markListApproved(tx, listId, who);
    await audit(tx, { actor: who, action: 'list.approve', object: `list:${listId}`, details: { uploadedBy: l.uploaded_by } });
  });
  await enqueue(ctx.queues, 'router.release-list', { listId });
}

/** Records that a released list's returned entries were given back to its source. */
export async function markReturnsSent(
  ctx: Pick<AppContext, 'pool'>,
  listId: number,
  by: string,
  note?: string,
): Promise<{ returned: number }> {
  return withTransaction(ctx.pool, async (tx) => {
    const l = await lockListForDecision(tx, listId);
    if (!l) throw new ListDecisionError('list.not_found', `list ${listId} does not exist`);
    if (l.state === 'returned_sent')
      throw new ListDecisionError('list.returns_already_sent', `the returns of list ${listId} are already marked as sent`);
    if (l.state !== 'released') {
      throw new ListDecisionError(
        'list.not_released',
        `list ${listId} is ${l.state}; returns are marked as sent after the list is released`,
      );
    }
    await markListReturnsSent(tx, listId);
    await audit(tx, {
      actor: by,
      action: 'list.returns_sent',
      object: `list:${listId}`,
      details: { sourceId: l.source_id, returned: l.returned, note: note ?? null },
    });
    return { returned: l.returned ?? 0 };
  });
}
