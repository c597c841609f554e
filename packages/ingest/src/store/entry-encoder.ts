import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { COLUMN_ARRAYS, EntryColumns, TAKES_KEPT, type EntryRow } from './entry-copy-buffer';
import type { EncodeReply, EncodeRequest } from './entry-encoder.worker';

/**
 * A big list's entries, encoded for COPY in a thread of their own. The parsing thread only fills a
 * window's columns; at take() they go to the encoding thread (their arrays are moved, not copied)
 * and the next window fills the columns that came back from the window before. The sort and the
 * encoding, a third of the parsing thread's work per row, then overlap the parsing of the next
 * window (docs/ingest.md).
 *
 * Like EntryCopyBuffer.take(true), what a take returns stays valid for TAKES_KEPT takes: its
 * memory then goes back to the thread to be written into again.
 */
export class ThreadedEntryBuffer {
  private cols: EntryColumns;
  private spareCols: EntryColumns | null = null;
  /** what earlier takes returned, oldest first */
  private outs: Buffer[] = [];
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private ids = 0;
  private failed: Error | null = null;
  private closed = false;

  /** `rows`: a window's size, the columns' first capacity */
  constructor(rows = 1 << 16) {
    this.cols = new EntryColumns(undefined, rows);
    this.worker = startEncoder();
    this.worker.on('message', (m: EncodeReply) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (!w) return;
      if ('error' in m) return w.reject(new Error(`encoding a window of entries failed: ${m.error}`));
      this.spareCols = new EntryColumns(m.cols);
      const out = Buffer.from(m.buffer, 0, m.length);
      this.outs.push(out);
      w.resolve(out);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the entry encoding thread stopped (exit code ${code})`)));
  }

  get rows(): number {
    return this.cols.rows;
  }

  add(r: EntryRow): void {
    this.cols.add(r);
  }

  /** The buffered rows sorted and encoded (EntryCopyBuffer.take(true)); null when empty. */
  take(): Promise<Buffer | null> {
    if (this.failed) return Promise.reject(this.failed);
    const c = this.cols;
    if (c.rows === 0) return Promise.resolve(null);
    this.cols = this.spareCols ?? new EntryColumns(undefined, c.kt.length);
    this.spareCols = null;
    // this take is the TAKES_KEPT-th after the oldest kept: the oldest's memory is free again
    const spare = this.outs.length >= TAKES_KEPT ? (this.outs.shift()!.buffer as ArrayBuffer) : null;
    const id = ++this.ids;
    const req: EncodeRequest = { id, cols: c, spare };
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage(req, [...COLUMN_ARRAYS.map((k) => c[k].buffer as ArrayBuffer), ...(spare ? [spare] : [])]);
    });
  }

  /** Stops the thread; a take still waiting fails. */
  async close(): Promise<void> {
    this.closed = true;
    this.fail(new Error('the entry encoding thread was closed'));
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = this.closed ? err : new Error(`the entry encoding thread failed: ${err.message}`);
    for (const w of this.waiting.values()) w.reject(this.failed);
    this.waiting.clear();
  }
}

/**
 * The thread runs the worker module next to this one: compiled JavaScript as it is, TypeScript
 * through tsx's require hook (as the services run: `node --import tsx`, and under jest).
 */
function startEncoder(): Worker {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `entry-encoder.worker${ext}`);
  if (ext === '.js') return new Worker(file);
  const tsx = require.resolve('tsx/cjs/api');
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)});`, {
    eval: true,
    execArgv: [],
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
}
