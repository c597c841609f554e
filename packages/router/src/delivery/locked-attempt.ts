import type { Pool, PoolClient } from '@deliveryline/shared';
import { UnrecoverableError } from '@deliveryline/shared';
import { loadBatchForDelivery, recordAttempt, type AttemptRecord, type BatchDeliveryRow } from '../repositories/delivery.repository';

/** A failed attempt to record (outside the rolled-back transaction) before the job fails with `cause`. */
export class AttemptFailure extends Error {
  constructor(
    public record: AttemptRecord,
    public cause: unknown,
    public after?: (pool: Pool) => Promise<unknown>,
  ) {
    super(String((cause as Error)?.message ?? cause));
  }
}

/**
 * The shape every batch message shares (e-mail, webhook, reminder): the batch row is locked for
 * the whole attempt, so a duplicate or concurrent run waits and then sees the attempt's result;
 * success is recorded in the same transaction as the state change; a failure is recorded on its
 * own, then rethrown for BullMQ to retry with backoff.
 */
export async function withLockedBatch(
  pool: Pool,
  batchId: number,
  fn: (tx: PoolClient, b: BatchDeliveryRow) => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const b = await loadBatchForDelivery(client, batchId, { lock: true });
    if (!b) throw new UnrecoverableError(`batch ${batchId} does not exist`);
    await fn(client, b);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof AttemptFailure) {
      await recordAttempt(pool, err.record).catch(() => undefined);
      await err.after?.(pool).catch(() => undefined);
      throw err.cause;
    }
    throw err;
  } finally {
    client.release();
  }
}
