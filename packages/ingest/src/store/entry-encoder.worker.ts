/**
 * The entry encoding thread (entry-encoder.ts): takes a window's columns, returns its binary COPY
 * data, and gives the columns' arrays back for the window after next.
 */
import { parentPort } from 'node:worker_threads';
import { COLUMN_ARRAYS, encodeColumns, encodedSize, type ColumnData, type NameCache } from './entry-copy-buffer';

export interface EncodeRequest {
  id: number;
  cols: ColumnData;
  /** the output buffer of an earlier window, sent: written into again when big enough */
  spare: ArrayBuffer | null;
}

export type EncodeReply =
  | { id: number; buffer: ArrayBuffer; length: number; cols: Pick<ColumnData, (typeof COLUMN_ARRAYS)[number]> }
  | { id: number; error: string };

const names: NameCache = new Map();
const port = parentPort!;
port.on('message', (m: EncodeRequest) => {
  try {
    const size = encodedSize(m.cols);
    // never a pooled Buffer: its memory is sent back whole
    const o =
      m.spare && m.spare.byteLength >= size ? Buffer.from(m.spare) : Buffer.allocUnsafeSlow(Math.max(size, m.spare?.byteLength ?? 0));
    const out = encodeColumns(m.cols, true, o, names);
    const cols = Object.fromEntries(COLUMN_ARRAYS.map((k) => [k, m.cols[k]])) as Extract<EncodeReply, { cols: unknown }>['cols'];
    const reply: EncodeReply = { id: m.id, buffer: o.buffer as ArrayBuffer, length: out.length, cols };
    port.postMessage(reply, [o.buffer as ArrayBuffer, ...COLUMN_ARRAYS.map((k) => m.cols[k].buffer as ArrayBuffer)]);
  } catch (err) {
    port.postMessage({ id: m.id, error: String((err as Error)?.stack ?? err) } satisfies EncodeReply);
  }
});
