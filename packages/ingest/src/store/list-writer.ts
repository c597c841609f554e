import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { Pool, PoolClient } from 'pg';
import { BIG_LIST_ENTRIES } from '@deliveryline/shared';
import { EntryCopyBuffer, TAKES_KEPT, type EntryRow } from './entry-copy-buffer';
import { ThreadedEntryBuffer } from './entry-encoder';
import { attachListPartition, createListPartition, dropListPartition, listPartition } from './list-partition';

/** COPY text (rejects) written straight into a growing buffer: each row's line is garbage at once. */
class CopyBuffer {
  buf = Buffer.allocUnsafe(1 << 20);
  len = 0;
  rows = 0;

  add(line: string): void {
    if (this.len + line.length * 3 > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + line.length * 3));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.len += this.buf.write(line, this.len);
    this.rows++;
  }

  take(): Buffer | null {
    if (this.rows === 0) return null;
    const out = this.buf.subarray(0, this.len);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.len = 0;
    this.rows = 0;
    return out;
  }
}

/**
 * Entries go out in windows of this many rows (unless told otherwise: INGEST_SORT_WINDOW), each sorted by (ip, observed_at), so the
 * `(ip, observed_at)` index of `entries` is filled in sweeps rather than at random pages: for a
 * million rows on the loaded bench machine COPY took 22.5 s sorted in 100k windows against
 * 32.3 s in file order (20k chunks). The sort moves encoded bytes, not row objects. Ids follow
 * this order inside a window, and so does `seq` (renumbered in EntryCopyBuffer.take); file order is
 * `row_no`.
 */
export const ENTRY_SORT_WINDOW = BIG_LIST_ENTRIES;

/**
 * Chunks sent and not yet taken by PostgreSQL before the parsing waits. One connection runs one
 * COPY at a time, so each send waits for the one before it; with one chunk in flight, the parsing
 * stopped at every window until PostgreSQL had taken the last (1.3 s of waiting per million rows
 * once the encoding had a thread of its own), with two it waits only when PostgreSQL is behind.
 */
export const CHUNKS_IN_FLIGHT = TAKES_KEPT;

/**
 * Buffers COPY data for entries and rejects and sends it in chunks. Chunks are sent while the
 * next ones are being parsed (CHUNKS_IN_FLIGHT): PostgreSQL's work overlaps the parsing instead of
 * following it.
 *
 * Given the list's id, a list whose first window fills (more than the window's entries) is
 * written into a table of its own (list-partition.ts) on a connection of its own, outside the
 * list's transaction, so that its indexes can be built side by side once all rows are in;
 * `finish` then attaches it inside the transaction. A smaller list goes into `entries` (its
 * default partition) in the transaction. A big list's later windows are sorted and encoded in a
 * thread of their own (ThreadedEntryBuffer) while this one parses the next.
 *
 * Its caller sees three things: rows go in (`entry`, `reject`, `maybeFlush` between records),
 * `finish(tx)` once the last row is written, `abort(err)` after any failure. The list's own
 * connection and table, the sends in flight and the encoding thread are the writer's alone, on
 * every path.
 */
export class ListWriter {
  private entries = new EntryCopyBuffer();
  /** a big list's windows after the first, encoded in a thread of their own */
  private threaded: ThreadedEntryBuffer | null = null;
  private rejects = new CopyBuffer();
  /** sends not known to be done, oldest first; each waits for the one before it */
  private sending: Promise<void>[] = [];
  /** set by abort() and release(): a send not yet started stops */
  private abandoned = false;
  /** windows in the encoding thread */
  private encoding = 0;
  private waited = 0;

  private readonly window: number;
  /** where entries go, decided when the first of them are sent */
  private table: string | null = null;

  /** the connection a list's own table is written through (outside the list's transaction) */
  private aux: PoolClient | null = null;
  /** a table of the list's own was (or may have been) created */
  private madeTable = false;

  /** the encoding thread's columns' first capacity */
  private readonly threadRows: number;

  constructor(
    private readonly client: PoolClient,
    private readonly chunk: number,
    private readonly own?: { listId: number; pool: Pool },
    sizes: { sortWindow?: number; threadRows?: number } = {},
  ) {
    this.window = Math.max(chunk, sizes.sortWindow ?? ENTRY_SORT_WINDOW);
    // a window ends at the end of a decoded piece, past the window size
    this.threadRows = sizes.threadRows ?? this.window + (this.window >> 3);
  }

  /** ms the parsing waited for PostgreSQL to take the previous chunk (logged: tells where the time goes) */
  get waitedMs(): number {
    return this.waited;
  }

  /** Stops the encoding thread and gives back the list's own connection. */
  private release(err?: Error): void {
    this.abandoned = true;
    this.aux?.release(err);
    this.aux = null;
    this.threaded?.close().catch(() => undefined);
    this.threaded = null;
  }

  /**
   * Once the last row is written: sends what is left and waits for every send; runs `beforeAttach`
   * on the connection and table that hold the list's entries (its own table, on its own
   * connection, or `entries` in the list's transaction); then attaches a big list's table to
   * `entries` in the list's transaction `tx`. The list's own connection and the encoding thread
   * are given back. After a failure, `abort` (also if `tx`'s COMMIT fails later: the table goes).
   */
  async finish(tx: PoolClient, beforeAttach: (db: PoolClient, table: string) => Promise<void> = async () => undefined): Promise<void> {
    await this.flush(true);
    if (this.aux) {
      await beforeAttach(this.aux, listPartition(this.own!.listId));
      await attachListPartition(this.own!.pool, this.aux, tx, this.own!.listId);
    } else await beforeAttach(tx, 'entries');
    this.release();
  }

  /**
   * After a failure, whatever the stage: sends not yet started stop and those under way end (their
   * errors are the failure's, and ignored), the list's transaction rolls back, and the list's own
   * table, if one was made, is dropped. Returns the rollback's error: the transaction's connection
   * is then not fit for the next user. Called before anything was written too (a header that
   * does not fit, a file that cannot be opened): then it only rolls the transaction back.
   */
  async abort(err?: Error): Promise<Error | undefined> {
    this.abandoned = true;
    await Promise.allSettled(this.sending);
    this.sending = [];
    // the sends have ended: nothing more goes into the transaction once it is rolled back
    const broken = await this.client.query('ROLLBACK').then(
      () => undefined,
      (e: Error) => e,
    );
    const made = this.madeTable;
    this.release(err);
    if (made) await dropListPartition(this.own!.pool, this.own!.listId);
    return broken;
  }

  entry(row: EntryRow): void {
    (this.threaded ?? this.entries).add(row);
  }

  private get entryRows(): number {
    return (this.threaded ?? this.entries).rows;
  }

  reject(line: string): void {
    this.rejects.add(line);
  }

  /** Starts sending when a chunk is full; resolves once fewer than CHUNKS_IN_FLIGHT sends are under way. */
  async maybeFlush(): Promise<void> {
    if (this.entryRows >= this.window || this.rejects.rows >= this.chunk) await this.flush(false);
    // the encoding thread's answer is a message: it is taken, and the window's COPY started, only
    // when this thread gets back to its event loop (an await of parsed text does not get there)
    else if (this.encoding > 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private async flush(wait = true): Promise<void> {
    const t = Date.now();
    while (this.sending.length >= CHUNKS_IN_FLIGHT) await this.sending.shift();
    this.waited += Date.now() - t;
    // a full window sent before the end: the list is big enough for a partition of its own; until
    // one is, a send the rejects asked for keeps the entries (a few entries and many rejects are
    // not a big list)
    const hold = this.table === null && !wait && this.entryRows < this.window;
    const some = !hold && this.entryRows > 0;
    const create = some && this.table === null && !wait && this.own !== undefined;
    if (some && this.table === null) this.table = create ? listPartition(this.own!.listId) : 'entries';
    // rows in (ip, observed_at) order help the indexes of `entries`, maintained row by row, and
    // the one-pass build of a list's own `(ip, observed_at)` index too (in file order it took
    // 0.2–0.4 s longer for 1M rows than the sort saved the worker)
    const e = hold ? null : this.threaded ? this.threaded.take() : this.entries.take(true);
    if (e instanceof Promise) {
      this.encoding++;
      e.then(
        () => {
          this.encoding--;
        },
        () => {
          this.encoding--;
        },
      ); // (a failure is seen by send())
    }
    // the windows after a big list's first are encoded in a thread (the first shows the list is big)
    if (create) {
      this.threaded = new ThreadedEntryBuffer(this.threadRows);
      // its columns and output are never used again: let them go once the first window is sent
      this.entries = new EntryCopyBuffer();
    }
    const r = this.rejects.take();
    const sent = this.send(e, r, create, this.sending.at(-1));
    // a failed send must surface even if nobody awaits it again
    sent.catch(() => undefined);
    this.sending.push(sent);
    if (wait) {
      const t2 = Date.now();
      while (this.sending.length) await this.sending.shift();
      this.waited += Date.now() - t2;
    }
  }

  private async send(
    entries: Buffer | null | Promise<Buffer | null>,
    rejects: Buffer | null,
    create: boolean,
    after: Promise<void> | undefined,
  ): Promise<void> {
    await after; // its failure is this one's: the chunks go in order or not at all
    const stop = () => new Error("the list's writer was abandoned");
    if (this.abandoned) throw stop();
    if (create) {
      const c = await this.own!.pool.connect();
      if (this.abandoned) {
        // the list failed while this send waited for a connection: no table is made
        c.release();
        throw stop();
      }
      this.aux = c;
      this.madeTable = true;
      await createListPartition(this.aux, this.own!.listId);
    }
    const cols = '(list_id, seq, row_no, ip, observed_at, port, malware, extra) FROM STDIN (FORMAT binary)';
    // a list's own table is written on its own connection, so its rows and the rejects go at once
    const into = this.aux ?? this.client;
    await Promise.all([
      Promise.resolve(entries).then((data) => data && copy(into, `COPY ${this.table} ${cols}`, data)),
      rejects && copy(this.client, 'COPY rejects (list_id, row_no, line_no, raw, reason, message) FROM STDIN', rejects),
    ]);
  }
}

async function copy(client: PoolClient, sql: string, data: Buffer): Promise<void> {
  await pipeline(Readable.from([data]), client.query(copyFrom(sql)));
}
