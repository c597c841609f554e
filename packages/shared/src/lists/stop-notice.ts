import type { Pool } from 'pg';
import { withTransaction } from '../db/pool';
import { audit } from '../audit/audit-log';
import { stopNotice } from '../repositories/reconcile.repository';

/**
 * A coordinator stops the retries of a batch's notice, and the audit log records it in the same
 * transaction (`dline batches stop-notice`, the portal's Batches page). `by` is who stopped it as
 * people read it, `actor` the audit event's actor. False when there was no notice to stop.
 */
export async function stopBatchNotice(pool: Pool, batchId: number, by: string, actor: string): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    if (!(await stopNotice(tx, batchId, by))) return false;
    await audit(tx, { actor, action: 'batch.stop_notice', object: `batch:${batchId}`, details: {} });
    return true;
  });
}
