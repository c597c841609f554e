import { type Payload, UnrecoverableError, enqueue, getList, withTransaction } from '@deliveryline/shared';
import { openRunTable } from '../routing/run-table';
import type { RouterDeps } from '../deps';
import { startRouting } from '../repositories/route-run.repository';

/**
 * Plans a routing run: the list moves to `routing` and is cut into chunks of ROUTE_CHUNK_SIZE
 * entries (by seq), one job each, so several route workers share a big list. A big list's first
 * run gets a table of its own for its decisions (run-table.ts).
 */
export async function routeList(p: Payload<'router.route-list'>, deps: RouterDeps): Promise<void> {
  const { pool, env } = deps;
  const list = await getList(pool, p.listId);
  if (!list) throw new UnrecoverableError(`list ${p.listId} does not exist`);
  if (list.route_run !== p.run) return; // a newer run superseded this one
  if (list.state === 'parsed') {
    const chunks = Math.max(1, Math.ceil((list.received ?? 0) / env.ROUTE_CHUNK_SIZE));
    const started = await withTransaction(pool, async (tx) => {
      if (!(await startRouting(tx, list.id, p.run, chunks))) return false;
      await openRunTable(tx, list.id, p.run, list.received ?? 0, env.ROUTE_OWN_TABLE_ABOVE);
      return true;
    });
    if (!started) return;
    list.route_chunks = chunks;
  } else if (list.state !== 'routing') {
    return; // routed or later: nothing to do
  }
  for (let chunk = 0; chunk < (list.route_chunks ?? 1); chunk++) {
    await enqueue(deps.queues, 'router.route-chunk', { listId: list.id, run: p.run, chunk });
  }
}
