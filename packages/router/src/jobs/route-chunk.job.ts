import { pipeline } from 'node:stream/promises';
import { PassThrough, Writable } from 'node:stream';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { type Payload, enqueue, getList } from '@deliveryline/shared';
import type { RouterDeps } from '../deps';
import { hasRunTable, runTable } from '../routing/run-table';
import { DecisionRows } from '../routing/decision-rows';
import type { MatcherCache } from '../registry/matcher';

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
    const lock = await client.query(`SELECT state, route_run FROM lists WHERE id = $1 FOR SHARE`, [list.id]);
    if (lock.rows[0]?.state !== 'routing' || lock.rows[0]?.route_run !== p.run) {
      await client.query('ROLLBACK');
      return;
    }
    const done = await client.query('SELECT 1 FROM route_chunks WHERE list_id = $1 AND run = $2 AND chunk = $3', [list.id, p.run, p.chunk]);
    if (done.rowCount) {
      await client.query('ROLLBACK');
    } else {
      const own = await hasRunTable(client, list.id, p.run);
      if (!own) await client.query('DELETE FROM routes WHERE list_id = $1 AND seq BETWEEN $2 AND $3', [list.id, first, last]);
      const table = own ? runTable(list.id, p.run) : 'routes';
      // The decisions go into COPY FROM on this connection while the entries still come out of
      // COPY TO on another (one COPY per connection at a time): PostgreSQL's reading, the matching
      // and PostgreSQL's writing run side by side, not one after the other.
      const sink = new PassThrough();
      const writing = pipeline(sink, client.query(copyFrom(`COPY ${table} (list_id, seq, entry_id, member_id, state, reason) FROM STDIN`)));
      const decisions = new DecisionRows(list.id, matcher, (b) => sink.write(b), env.ROUTE_OUT_BYTES);
      const reading = (async () => {
        const reader = await pool.connect();
        let failed: Error | undefined;
        try {
          const src = reader.query(
            copyTo(
              `COPY (SELECT seq, id, host(ip), (date_part('epoch', observed_at) * 1000)::bigint FROM entries
                    WHERE list_id = ${Number(list.id)} AND seq BETWEEN ${first} AND ${last} ORDER BY seq) TO STDOUT`,
            ),
          );
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
      await client.query('INSERT INTO route_chunks (list_id, run, chunk, figures) VALUES ($1, $2, $3, $4)', [
        list.id,
        p.run,
        p.chunk,
        JSON.stringify(decisions.figures()),
      ]);
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
  const n = await pool.query('SELECT count(*)::int AS n FROM route_chunks WHERE list_id = $1 AND run = $2', [list.id, p.run]);
  if (n.rows[0].n >= (list.route_chunks ?? 1)) await enqueue(deps.queues, 'router.finish-route', { listId: list.id, run: p.run });
}
