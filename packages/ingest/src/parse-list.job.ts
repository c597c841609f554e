import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from 'pg';
import {
  type AppContext, type Payload, UnrecoverableError, enqueue, fileStream, getList, transition, failList,
} from '@deliveryline/shared';
import { readRecords, InputError } from './records';
import { GENERIC, HeaderError, mapColumns } from './profile';
import { normaliseRow, isReject } from './normalise-row';
import { zoneOffset } from './time';
import { copyText } from './copy-text';

export type IngestDeps = Pick<AppContext, 'pool' | 'queues' | 'env' | 'log'> & { now?: () => number };

async function copyLines(client: PoolClient, sql: string, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from([lines.join('')]), stream);
}

/**
 * Reads a stored list, validates and normalises every row, and stores entries and rejects.
 * All of it happens in one transaction: a crash or retry leaves nothing half-stored, so
 * running the job twice yields the same rows once.
 */
export async function parseList(payload: Payload<'ingest.parse-list'>, deps: IngestDeps): Promise<void> {
  const { pool, env, log } = deps;
  const list = await getList(pool, payload.listId);
  if (!list) throw new UnrecoverableError(`list ${payload.listId} does not exist`);
  if (list.state === 'failed') return;
  if (list.state !== 'uploaded' && list.state !== 'parsing') {
    // already parsed: make sure routing was asked for, then stop
    if (list.state === 'parsed') await enqueue(deps.queues, 'router.route-list', { listId: list.id, run: Math.max(1, list.route_run) });
    return;
  }
  await transition(pool, list.id, ['uploaded', 'parsing'], 'parsing');

  const source = (await pool.query('SELECT default_timezone FROM sources WHERE id = $1', [list.source_id])).rows[0];
  const zoneName: string | null = list.timezone ?? source?.default_timezone ?? null;
  const client = await pool.connect();
  try {
    let zone;
    try {
      zone = zoneName ? zoneOffset(zoneName) : null;
    } catch (err) {
      throw new InputError('list.bad_timezone', (err as Error).message);
    }
    await client.query('BEGIN');
    await client.query('DELETE FROM entries WHERE list_id = $1', [list.id]);
    await client.query('DELETE FROM rejects WHERE list_id = $1', [list.id]);

    const { header, records } = await readRecords(fileStream(pool, list.file_sha256));
    const cols = mapColumns(header, GENERIC);
    const now = deps.now?.() ?? Date.now();
    const opt = { zone, maxFutureMs: now + env.MAX_FUTURE_SKEW_MINUTES * 60_000, malwareMax: 200 };
    const seen = new Set<string>();
    let rowsRead = 0, rejected = 0, duplicates = 0, received = 0;
    let entryLines: string[] = [];
    let rejectLines: string[] = [];
    const flush = async () => {
      await copyLines(client, 'COPY entries (list_id, seq, row_no, ip, observed_at, port, malware, extra) FROM STDIN', entryLines);
      await copyLines(client, 'COPY rejects (list_id, row_no, line_no, raw, reason, message) FROM STDIN', rejectLines);
      entryLines = [];
      rejectLines = [];
    };
    for await (const rec of records) {
      rowsRead++;
      if (rowsRead > env.MAX_ROWS) throw new InputError('file.too_many_rows', `the list has more than ${env.MAX_ROWS} rows (MAX_ROWS)`);
      const r = normaliseRow(rec.fields, cols, opt);
      if (isReject(r)) {
        if (r.reason === 'time.naive_without_zone') {
          throw new InputError('list.naive_times',
            `row ${rec.row} (line ${rec.line}): the observation times have no time zone offset and the list has none; ` +
            `upload again with --timezone (e.g. Asia/Tokyo for JST, UTC for Shadowserver) or set the source's default time zone`);
        }
        rejected++;
        rejectLines.push(`${list.id}\t${rec.row}\t${rec.line}\t${copyText(rec.raw.slice(0, 10_000))}\t${r.reason}\t${copyText(r.message)}\n`);
      } else {
        const key = `${r.ipKey}|${r.observedAt}|${r.port ?? ''}`;
        if (seen.has(key)) {
          duplicates++;
          continue;
        }
        seen.add(key);
        received++;
        entryLines.push(
          `${list.id}\t${received}\t${rec.row}\t${r.ip}\t${new Date(r.observedAt).toISOString()}\t${r.port ?? '\\N'}\t${copyText(r.malware)}\t${r.extra ? copyText(JSON.stringify(r.extra)) : '\\N'}\n`,
        );
      }
      if (entryLines.length + rejectLines.length >= env.INGEST_COPY_CHUNK) await flush();
    }
    await flush();
    seen.clear();

    // an entry equal to one of an earlier list of the same campaign is kept and marked
    const earlier = await client.query(
      `SELECT 1 FROM lists WHERE campaign_id = $1 AND id < $2 AND state <> 'failed' LIMIT 1`, [list.campaign_id, list.id]);
    if (earlier.rowCount) {
      await client.query(
        `UPDATE entries e SET repeat_of = m.first_id
           FROM (SELECT DISTINCT ON (n.id) n.id, p.id AS first_id
                   FROM entries n
                   JOIN entries p ON p.ip = n.ip AND p.observed_at = n.observed_at
                                 AND p.port IS NOT DISTINCT FROM n.port AND p.list_id < n.list_id
                   JOIN lists pl ON pl.id = p.list_id AND pl.campaign_id = $2 AND pl.state <> 'failed'
                  WHERE n.list_id = $1
                  ORDER BY n.id, p.id) m
          WHERE e.id = m.id`,
        [list.id, list.campaign_id]);
    }
    const done = await client.query(
      `UPDATE lists SET state = 'parsed', rows_read = $2, rejected = $3, duplicates = $4, received = $5,
              columns = $6, parsed_at = now(), route_run = 1, updated_at = now()
        WHERE id = $1 AND state = 'parsing'`,
      [list.id, rowsRead, rejected, duplicates, received, header]);
    if (done.rowCount !== 1) throw new Error(`list ${list.id} left the parsing state while it was parsed`);
    await client.query('COMMIT');
    log.info({ listId: list.id, rowsRead, rejected, duplicates, received }, 'list parsed');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof InputError || err instanceof HeaderError) {
      await failList(pool, list.id, `${err.code}: ${err.message}`);
      throw new UnrecoverableError(`${err.code}: ${err.message}`);
    }
    throw err;
  } finally {
    client.release();
  }
  await enqueue(deps.queues, 'router.route-list', { listId: list.id, run: 1 });
}
