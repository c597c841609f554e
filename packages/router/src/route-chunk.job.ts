import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { type Payload, enqueue, getList } from '@deliveryline/shared';
import type { RouterDeps } from './route-list.job';
import type { MatcherCache } from './registry/matcher';
import { hasRunTable, runTable } from './run-table';

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
      // read the chunk's entries (on another connection: one COPY per connection at a time)
      const out: string[] = [];
      let pendingOut = '';
      let rest = '';
      const reader = await pool.connect();
      try {
        const src = reader.query(copyTo(
          `COPY (SELECT seq, id, host(ip), (date_part('epoch', observed_at) * 1000)::bigint FROM entries
                  WHERE list_id = ${Number(list.id)} AND seq BETWEEN ${first} AND ${last} ORDER BY seq) TO STDOUT`));
        await pipeline(src, new Writable({
          write(chunk: Buffer, _enc, cb) {
            const text = rest + chunk.toString('utf8');
            const lines = text.split('\n');
            rest = lines.pop() ?? '';
            for (const line of lines) {
              const t1 = line.indexOf('\t');
              const t2 = line.indexOf('\t', t1 + 1);
              const t3 = line.indexOf('\t', t2 + 1);
              const seqAndId = line.slice(0, t2); // written back as they came: seq, entry_id
              const d = matcher.route(line.slice(t2 + 1, t3), Number(line.slice(t3 + 1)));
              pendingOut += d.state === 'delivered'
                ? `${list.id}\t${seqAndId}\t${d.memberId}\tdelivered\t\\N\n`
                : `${list.id}\t${seqAndId}\t\\N\treturned\t${d.reason}\n`;
              if (pendingOut.length > 1 << 20) {
                out.push(pendingOut);
                pendingOut = '';
              }
            }
            cb();
          },
        }));
      } finally {
        reader.release();
      }
      if (pendingOut) out.push(pendingOut);
      tRead = Date.now();
      const own = await hasRunTable(client, list.id, p.run);
      if (!own) await client.query('DELETE FROM routes WHERE list_id = $1 AND seq BETWEEN $2 AND $3', [list.id, first, last]);
      const table = own ? runTable(list.id, p.run) : 'routes';
      if (out.length) await pipeline(Readable.from(out), client.query(copyFrom(`COPY ${table} (list_id, seq, entry_id, member_id, state, reason) FROM STDIN`)));
      await client.query('INSERT INTO route_chunks (list_id, run, chunk) VALUES ($1, $2, $3)', [list.id, p.run, p.chunk]);
      await client.query('COMMIT');
      deps.log.debug({ listId: list.id, chunk: p.chunk, table, ms: { readAndMatch: tRead - t0, write: Date.now() - tRead } }, 'route chunk');
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
