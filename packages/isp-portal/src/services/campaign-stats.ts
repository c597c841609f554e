import { type AppContext } from '@deliveryline/shared';
import { campaignStats, StatsError, type CampaignStats, type StatsScope } from '@deliveryline/reports';
import type { Caller } from '../auth/caller';
import { HttpError, notFound } from '../web/errors';
import { memberHasBatchIn, sourceHasListIn } from '../repositories/lists.repository';

/** The caller's role and organisation as the figures' scope (shared/src/stats decides who sees what). */
export const statsScope = (c: Caller): StatsScope =>
  c.role === 'member'
    ? { role: 'member', memberId: c.memberId! }
    : c.role === 'source'
      ? { role: 'source', sourceId: c.sourceId! }
      : { role: c.role };

/**
 * A campaign's figures for the caller, or 404 when the campaign is not theirs to see: a member
 * needs a batch in it, a source a list in it. The figures are computed on the unscoped pool on
 * purpose: `campaignStats` applies the scope itself, and a member's anonymous peer figures come
 * from batches row-level security would hide.
 */
export async function statsFor(ctx: AppContext, caller: Caller, campaignId: string): Promise<CampaignStats> {
  if (caller.role === 'member') {
    if (!(await memberHasBatchIn(ctx.pool, campaignId, caller.memberId!))) throw notFound();
  }
  if (caller.role === 'source') {
    if (!(await sourceHasListIn(ctx.pool, campaignId, caller.sourceId!))) throw notFound();
  }
  try {
    return await campaignStats(ctx.pool, campaignId, statsScope(caller));
  } catch (err) {
    if (err instanceof StatsError) throw err.code === 'campaign.not_found' ? notFound() : new HttpError(403, 'forbidden');
    throw err;
  }
}
