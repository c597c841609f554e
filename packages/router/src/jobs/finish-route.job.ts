import { type Payload, audit, enqueue, getList, withTransaction } from '@deliveryline/shared';
import type { RouterDeps } from '../deps';
import { campaignApproval, decisionSums, lockListForFinish, markRouted } from '../repositories/route-run.repository';
import { attachRunTable, hasRunTable, indexRunTable, runTableFigures } from '../routing/run-table';

/**
 * Closes a routing run: counts delivered and returned from the decisions and checks that every
 * received entry has exactly one; a run with a table of its own then attaches it (run-table.ts).
 * Then the list waits for approval (per campaign `approval_required`, else APPROVAL_REQUIRED;
 * `dline approve LIST --by NAME`) or is released.
 */
export async function finishRoute(p: Payload<'router.finish-route'>, deps: RouterDeps): Promise<void> {
  const { pool } = deps;
  const t0 = Date.now();
  if (await hasRunTable(pool, p.listId, p.run)) await indexRunTable(pool, p.listId, p.run);
  const outcome = await withTransaction(pool, async (tx) => {
    const l = await lockListForFinish(tx, p.listId);
    if (!l || l.state !== 'routing' || l.route_run !== p.run) return 'skip' as const;
    const runFigures = (await hasRunTable(tx, p.listId, p.run)) ? await runTableFigures(tx, p.listId, p.run) : null;
    const c = runFigures ?? (await decisionSums(tx, p.listId));
    if (c.delivered + c.returned !== l.received) {
      throw new Error(`list ${p.listId}: ${c.delivered} delivered + ${c.returned} returned ≠ ${l.received} received`);
    }
    if (runFigures) await attachRunTable(tx, p.listId, p.run, runFigures);
    const needsApproval: boolean = (await campaignApproval(tx, l.campaign_id)) ?? deps.env.APPROVAL_REQUIRED;
    await markRouted(tx, p.listId, needsApproval ? 'awaiting_approval' : 'routed', c);
    if (needsApproval) {
      // The wait is on record too: who uploaded, what waits, so the approver's event has its pair.
      await audit(tx, {
        actor: 'system',
        action: 'list.awaiting_approval',
        object: `list:${p.listId}`,
        details: { uploadedBy: l.uploaded_by, delivered: c.delivered, returned: c.returned },
      });
    }
    return needsApproval ? ('approval' as const) : ('release' as const);
  });
  if (outcome === 'release') await enqueue(deps.queues, 'router.release-list', { listId: p.listId });
  deps.log.info({ listId: p.listId, next: outcome, ms: Date.now() - t0 }, 'routing finished');
}

export { getList };
