import { type AppContext, type Payload, UnrecoverableError, enqueue, getList, transition, failList } from '@deliveryline/shared';
import { openRecords, InputError, type RecordSource, type SourceRecord } from '../read/records';
import { HeaderError, type ColumnMap } from '../columns/profile';
import { chooseColumns, headerTest, profileCandidates } from '../columns/choose-profile';
import { normaliseRow, isReject, controlCharacter, CONTROL, type RowOptions } from '../columns/normalise-row';
import { checkDeadline, type Deadline } from '../read/paced';
import { zoneOffset, type ZoneOffset } from '../columns/time';
import { copyText } from '../store/copy-text';
import { ListWriter } from '../store/list-writer';
import { EntryKeySet } from '../store/entry-key-set';
import { brokenMessage } from '../columns/reject-messages';
import { clearAttempt, finishParsedList, listSource, markRepeats, type ListCounts } from '../repositories/parse-list.repository';

export type IngestDeps = Pick<AppContext, 'pool' | 'queues' | 'env' | 'log'> & { now?: () => number };

/** Longest malware name kept; past it the row is refused (a name that long is a pasted blob). */
export const MALWARE_MAX = 200;
/** Raw text kept per rejected row. */
const RAW_MAX = 10_000;

function zoneFor(name: string | null, what: string): ZoneOffset | null {
  if (!name) return null;
  try {
    return zoneOffset(name);
  } catch (err) {
    throw new InputError('list.bad_timezone', `${what}: ${(err as Error).message}`);
  }
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

  // one list never holds the ingest worker longer than this: readers and the row loop check it
  const deadline: Deadline = { at: Date.now() + env.INGEST_JOB_MAX_SECONDS * 1000, seconds: env.INGEST_JOB_MAX_SECONDS };
  const source = await listSource(pool, list.source_id);
  const client = await pool.connect();
  // the writer ends the transaction on every failure path (abort), so it exists before BEGIN
  const writer = new ListWriter(
    client,
    env.INGEST_COPY_CHUNK,
    { listId: list.id, pool },
    { sortWindow: env.INGEST_SORT_WINDOW, threadRows: env.INGEST_THREAD_ROWS },
  );
  let broken: Error | undefined;
  let src: RecordSource | undefined;
  try {
    const choice = await profileCandidates(pool, env.dataDir, list.source_id, list.profile ?? source.default_profile);
    await client.query('BEGIN');
    await clearAttempt(client, list.id);

    src = await openRecords(pool, list.file_sha256, {
      encoding: list.encoding,
      maxBytes: env.MAX_UPLOAD_BYTES,
      isHeader: headerTest(choice),
      maxLineBytes: env.INGEST_MAX_LINE_BYTES,
      xlsx: { maxSharedStringsBytes: env.XLSX_MAX_SHARED_STRINGS_BYTES, maxStylesBytes: env.XLSX_MAX_STYLES_BYTES },
      deadline,
    });
    const cols = chooseColumns(choice, src.header, list.file_name);
    // a profile's own zone (Shadowserver: UTC) is a fact about the source's format and wins;
    // then the uploader's --timezone, then a zone the time column's header names, then the source's
    const zone = cols.timezone
      ? zoneFor(cols.timezone, `profile ${cols.profile}`)
      : (zoneFor(list.timezone, "the list's --timezone") ??
        zoneFor(cols.headerZone ?? null, `the header "${src.header[cols.observedAt]}"`) ??
        zoneFor(source.default_timezone, `source ${list.source_id}'s default time zone`));
    const now = deps.now?.() ?? Date.now();
    const opt: RowOptions = { zone, maxFutureMs: now + env.MAX_FUTURE_SKEW_MINUTES * 60_000, malwareMax: MALWARE_MAX };
    const t0 = Date.now();
    const counts = await storeRows(list.id, src.batches, cols, opt, writer, env.MAX_ROWS, deadline);
    const tIndex = Date.now();
    // repeats are marked where the rows are (a big list's own table, before it is attached)
    await writer.finish(client, (db, table) => markRepeats(db, list, table));

    const t1 = Date.now();
    await finishParsedList(client, list, counts, src.header, `${src.format} profile=${cols.profile}`);
    const t2 = Date.now();
    await client.query('COMMIT');
    log.info(
      {
        listId: list.id,
        format: src.format,
        profile: cols.profile,
        ...counts,
        ms: {
          rows: tIndex - t0,
          waitingForCopy: writer.waitedMs,
          repeatsAndPartition: t1 - tIndex,
          finish: t2 - t1,
          commit: Date.now() - t2,
        },
      },
      'list parsed',
    );
  } catch (err) {
    // the writer stops its sends before the transaction rolls back, then drops the list's own table
    broken = await writer.abort(err as Error);
    if (err instanceof InputError || err instanceof HeaderError) {
      await failList(pool, list.id, `${err.code}: ${err.message}`);
      throw new UnrecoverableError(`${err.code}: ${err.message}`);
    }
    throw err;
  } finally {
    // the file's reading stops: its connection is given back, not kept by a reader nobody pulls
    src?.close();
    client.release(broken);
  }
  await enqueue(deps.queues, 'router.route-list', { listId: list.id, run: 1 });
}

/** The per-row loop: every record becomes exactly one of entry, reject or duplicate. */
async function storeRows(
  listId: number,
  batches: AsyncIterable<SourceRecord[]>,
  cols: ColumnMap,
  opt: RowOptions,
  out: ListWriter,
  maxRows: number,
  deadline?: Deadline,
): Promise<ListCounts> {
  const seen = new EntryKeySet();
  let rowsRead = 0,
    rejected = 0,
    duplicates = 0,
    received = 0,
    naive = 0;
  let firstNaive: SourceRecord | undefined;
  const reject = (rec: SourceRecord, reason: string, message: string) => {
    rejected++;
    out.reject(`${listId}\t${rec.row}\t${rec.line}\t${copyText(rec.raw.slice(0, RAW_MAX))}\t${reason}\t${copyText(message)}\n`);
  };
  for await (const batch of batches) {
    for (const rec of batch) {
      rowsRead++;
      if (rowsRead > maxRows) {
        throw new InputError('file.too_many_rows', `the list has more than ${maxRows} rows (MAX_ROWS); split it or raise MAX_ROWS`);
      }
      if (rec.broken) {
        reject(rec, rec.broken, brokenMessage(rec.broken));
        continue;
      }
      if (CONTROL.test(rec.raw)) {
        const c = controlCharacter(rec.fields, cols.header);
        if (c) {
          reject(rec, c.reason, c.message);
          continue;
        }
      }
      const r = normaliseRow(rec.fields, cols, opt);
      if (isReject(r)) {
        // a naive time with no zone is this row's fault, not the list's: the list fails only
        // when no row at all could be read (below), so the uploader learns what to choose
        if (r.reason === 'time.naive_without_zone' && naive++ === 0) firstNaive = rec;
        reject(rec, r.reason, r.message);
        continue;
      }
      const w = r.w;
      if (
        !seen.add(
          r.family,
          w[0],
          r.family === 6 ? w[1] : 0,
          r.family === 6 ? w[2] : 0,
          r.family === 6 ? w[3] : 0,
          r.observedAt,
          r.port ?? -1,
        )
      ) {
        duplicates++;
        continue;
      }
      received++;
      out.entry({
        listId,
        seq: received,
        rowNo: rec.row,
        family: r.family,
        w: r.w,
        observedAt: r.observedAt,
        port: r.port,
        malware: r.malware,
        extra: r.extra,
      });
    }
    await out.maybeFlush();
    checkDeadline(deadline);
  }
  if (naive && received === 0 && duplicates === 0) {
    throw new InputError(
      'list.naive_times',
      `no row could be read: the observation times (row ${firstNaive!.row}, line ${firstNaive!.line}) have no time zone offset and none was given; ` +
        `choose the time zone the file was written in (Asia/Tokyo for JST) in the upload form's time zone field or with --timezone, ` +
        `or set the source's default time zone (the Sources page, or dline sources set SOURCE --timezone Asia/Tokyo); a Shadowserver report is UTC (--profile shadowserver)`,
    );
  }
  return { rowsRead, rejected, duplicates, received };
}
