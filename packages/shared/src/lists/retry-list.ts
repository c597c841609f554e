import type { AppContext } from '../context';
import { withTransaction } from '../db/pool';
import { audit } from '../audit/audit-log';
import { JOBS, type JobName, type Payload } from '../jobs/catalog';
import { enqueue, type QueueContext } from '../jobs/queues';
import { findListByFile, getList, reopenFailedList, type RetrySettings } from '../repositories/list.repository';

export class RetryRefused extends Error {
  constructor(
    public code: 'list.not_found' | 'list.not_failed' | 'list.file_again',
    message: string,
    public listId: number,
  ) {
    super(message);
  }
}

/**
 * Enqueues a job even when a job with its id has ended before (a failed job is kept for days, and
 * while it is, adding the same id again does nothing).
 */
export async function enqueueAgain<N extends JobName>(q: QueueContext, name: N, payload: Payload<N>): Promise<void> {
  const d = JOBS[name];
  const old = await q.queues[d.queue].getJob(d.jobId(payload as never));
  if (old) {
    const state = await old.getState();
    if (state === 'failed' || state === 'completed') await old.remove();
  }
  await enqueue(q, name, payload);
}

/**
 * A failed list goes again from the stage it failed in, without a new upload: reading its file
 * (with the time zone, encoding or profile given, for a failure they fix) or routing its entries.
 * Audited; the caller is told which stage runs.
 */
export async function retryList(
  ctx: Pick<AppContext, 'pool' | 'queues'>,
  listId: number,
  actor: string,
  settings: RetrySettings = {},
): Promise<{ stage: 'parse' | 'route' }> {
  let r: Awaited<ReturnType<typeof reopenFailedList>>;
  try {
    r = await withTransaction(ctx.pool, async (tx) => {
      const x = await reopenFailedList(tx, listId, settings);
      if ('stage' in x) {
        await audit(tx, {
          actor,
          action: 'list.retry',
          object: `list:${listId}`,
          details: { stage: x.stage, failure: x.failure, ...settings },
        });
      }
      return x;
    });
  } catch (err) {
    // the same file was uploaded again after this list failed (0016): that list is the one to follow
    if ((err as { code?: string }).code === '23505') {
      const l = await getList(ctx.pool, listId);
      const again = l && (await findListByFile(ctx.pool, l.campaign_id, l.file_sha256));
      throw new RetryRefused(
        'list.file_again',
        `list ${listId}'s file was uploaded again as list ${again?.id ?? '?'} after it failed; follow that list instead`,
        listId,
      );
    }
    throw err;
  }
  if (!('stage' in r)) {
    throw r.state === null
      ? new RetryRefused('list.not_found', `list ${listId} does not exist`, listId)
      : new RetryRefused('list.not_failed', `list ${listId} is ${r.state}, not failed: there is nothing to retry`, listId);
  }
  if (r.stage === 'parse') await enqueueAgain(ctx.queues, 'ingest.parse-list', { listId });
  else await enqueueAgain(ctx.queues, 'router.route-list', { listId, run: r.run });
  return { stage: r.stage };
}
