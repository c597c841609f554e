import { approveList, ListDecisionError, type AppContext } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { HttpError } from '../web/errors';

/** A second coordinator releases a list awaiting approval (shared checks the four-eyes rule and audits). */
export async function approveListAs(ctx: AppContext, caller: Caller, listId: number): Promise<void> {
  try {
    await approveList(ctx, listId, caller.email);
  } catch (e) {
    if (e instanceof ListDecisionError) throw new HttpError(e.code === 'list.not_found' ? 404 : 409, e.code, { detail: e.message });
    throw e;
  }
}
