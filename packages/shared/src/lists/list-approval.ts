import type { AppContext } from '../context';
import { withTransaction } from '../db/pool';
import { audit } from '../audit/audit-log';
import { enqueue } from '../jobs/queues';
import { lockListForDecision, markListApproved, markListReturnsSent } from '../repositories/list.repository';
import { userStandingById } from '../repositories/user.repository';

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

/** Who decides on a list: a portal user (the CLI acts as one too: `dline login`, DLINE_TOKEN). */
export interface Approver {
  userId: number;
  email: string;
  /** the audit actor: `user:<id>`, or `token:<id>` for a portal API call */
  actor: string;
}

/**
 * Whether `uploadedBy` (lists.uploaded_by: `user:<id>` from the CLI, the e-mail from the portal)
 * names this user: the four-eyes rule's one test, for the CLI and the portal alike.
 */
export function isUploader(uploadedBy: string | null, u: { userId: number; email: string }): boolean {
  const by = (uploadedBy ?? '').trim().toLowerCase();
  return by !== '' && (by === `user:${u.userId}` || by === u.email.toLowerCase());
}

/**
 * A second coordinator releases a list that waits in `awaiting_approval`. The approver must be an
 * active coordinator and must not be the uploader, on every path (CLI and portal call this).
 */
export async function approveList(ctx: Pick<AppContext, 'pool' | 'queues'>, listId: number, by: Approver): Promise<void> {
  await withTransaction(ctx.pool, async (tx) => {
    const l = await lockListForDecision(tx, listId);
    if (!l) throw new ListDecisionError('list.not_found', `list ${listId} does not exist`);
    if (l.state !== 'awaiting_approval') {
      throw new ListDecisionError(
        'list.not_awaiting_approval',
        `list ${listId} is ${l.state}, not awaiting_approval; only a routed list that waits for approval can be approved`,
      );
    }
    if (isUploader(l.uploaded_by, by)) {
      throw new ListDecisionError('approval.same_person', `${by.email} uploaded list ${listId}; a second coordinator must approve it`);
    }
    const u = await userStandingById(tx, by.userId);
    if (!u || u.role !== 'coordinator' || !u.active) {
      throw new ListDecisionError(
        'approval.not_coordinator',
        `${by.email} is not an active coordinator; only coordinators approve releases`,
      );
    }
    await markListApproved(tx, listId, by.email);
    await audit(tx, {
      actor: by.actor,
      action: 'list.approve',
      object: `list:${listId}`,
      details: { by: by.email, uploadedBy: l.uploaded_by },
    });
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
