import { pipeline } from 'node:stream/promises';
import { PassThrough, Writable } from 'node:stream';
import { type Payload, enqueue, getList } from '@deliveryline/shared';
import type { RouterDeps } from '../deps';
import { hasRunTable, runTable } from '../routing/run-table';
import { DecisionRows } from '../routing/decision-rows';
import type { MatcherCache } from '../registry/matcher';
import {
  chunkDone,
  chunksDone,
  clearDecisions,
  decisionsIn,
  entriesOut,
  holdRoutingList,
  recordChunk,
} from '../repositories/route-run.repository';

/**
 * Routes one chunk: entries (seq range) stream out with COPY TO, go through the matcher, and
 * their decisions stream back with COPY FROM, replacing any earlier decisions for the same range
 * in one transaction (into the run's own table when it has one: a first run, so nothing to
 * replace). The chunk is recorded as done in the same transaction, so a re-run changes nothing;
 * the last chunk to finish asks for the run to be finished.
 */
export async function routeChunk(p: Payload<'router.route-chunk'>, deps: RouterDeps & { matchers: MatcherCache }): Promise<void> {
  const { pool, env } = deps;
  const list = await getList(pool, p.listId);
  if (!list || list.route_run !== p.run || list.state !== 'routing') return;
  const matcher = await deps.matchers.get(pool);
  const first = p.chunk * env.ROUTE_CHUNK_SIZE + 1;
  const last = (p.chunk + 1) * env.ROUTE_CHUNK_SIZE;

  const client = await pool.connect();
  const t0 = Date.now();
  let tRead = t0;
  try {
    await client.query('BEGIN');
    if (!(await holdRoutingList(client, list.id, p.run))) {
      await client.query('ROLLBACK');
      return;
    }
    if (await chunkDone(client, list.id, p.run, p.chunk)) {
      await client.query('ROLLBACK');
    } else {
      const own = await hasRunTable(client, list.id, p.run);
      if (!own) await clearDecisions(client, list.id, first, last);
      const table = own ? runTable(list.id, p.run) : 'routes';
      // The decisions go into COPY FROM on this connection while the entries still come out of
      // COPY TO on another (one COPY per connection at a time): PostgreSQL's reading, the matching
      // and PostgreSQL's writing run side by side, not one after the other.
      const sink = new PassThrough();
      const writing = pipeline(sink, decisionsIn(client, table));
      const decisions = new DecisionRows(list.id, matcher, (b) => sink.write(b), env.ROUTE_OUT_BYTES);
      const reading = (async () => {
        const reader = await pool.connect();
        let failed: Error | undefined;
        try {
          const src = entriesOut(reader, list.id, first, last);
          await pipeline(
            src,
            new Writable({
              write(chunk: Buffer, _enc, cb) {
                try {
                  decisions.read(chunk);
                  cb();
                } catch (err) {
                  cb(err as Error);
                }
              },
            }),
          );
          decisions.end();
          tRead = Date.now();
          sink.end();
        } catch (err) {
          failed = err as Error;
          sink.destroy(failed); // the COPY FROM fails too, and the transaction rolls back
          throw err;
        } finally {
          reader.release(failed); // a connection left inside a COPY is closed, not reused
        }
      })();
      const [r, w] = await Promise.allSettled([reading, writing]);
      if (r.status === 'rejected') throw r.reason;
      if (w.status === 'rejected') throw w.reason;
      await recordChunk(client, list.id, p.run, p.chunk, decisions.figures());
      await client.query('COMMIT');
      deps.log.debug(
        { listId: list.id, chunk: p.chunk, table, ms: { readAndMatch: tRead - t0, write: Date.now() - tRead } },
        'route chunk',
      );
    }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  if ((await chunksDone(pool, list.id, p.run)) >= (list.route_chunks ?? 1))
    await enqueue(deps.queues, 'router.finish-route', { listId: list.id, run: p.run });
}
