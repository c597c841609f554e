import { retryList, RetryRefused, type AppContext } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { HttpError } from '../web/errors';

/** A coordinator runs a failed list again from the stage it failed in (shared reopens it, audits and enqueues). */
export async function retryListAs(
  ctx: AppContext,
  caller: Caller,
  listId: number,
  settings: { timezone?: string | null } = {},
): Promise<'parse' | 'route'> {
  try {
    return (await retryList(ctx, listId, caller.email, settings)).stage;
  } catch (e) {
    if (e instanceof RetryRefused) throw new HttpError(e.code === 'list.not_found' ? 404 : 409, e.code, { detail: e.message, listId });
    throw e;
  }
}
