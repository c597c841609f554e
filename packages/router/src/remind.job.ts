import type { Payload } from '@deliveryline/shared';
import type { RouterDeps } from './route-list.job';

/** Finds batches past their due date with entries lacking an outcome (reminder e-mails come with the delivery issue). */
export async function remind(_p: Payload<'router.remind'>, deps: RouterDeps): Promise<void> {
  const r = await deps.pool.query(`SELECT count(*)::int AS n FROM batches WHERE state <> 'closed' AND due_at < now()`);
  deps.log.info({ overdue: r.rows[0].n }, 'overdue batches');
}
