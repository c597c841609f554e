import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { BinaryCopyFields } from '../db/binary-copy-fields';
import { withTransaction, type Queryable } from '../db/pool';

const CHUNK = 1024 * 1024;

export async function sha256OfFile(path: string): Promise<Buffer> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest();
}

/** Stores a file verbatim in 1 MiB chunks, content-addressed; storing the same bytes again is a no-op. */
export async function storeFile(pool: Pool, path: string): Promise<{ sha256: Buffer; size: number }> {
  const sha256 = await sha256OfFile(path);
  const size = fs.statSync(path).size;
  await withTransaction(pool, async (tx) => {
    const ins = await tx.query(`INSERT INTO files (sha256, size, chunks) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING`, [
      sha256,
      size,
      Math.ceil(size / CHUNK),
    ]);
    if (ins.rowCount === 0) return;
    let seq = 0;
    const stream = fs.createReadStream(path, { highWaterMark: CHUNK });
    let pending: Buffer[] = [];
    let pendingLen = 0;
    const flush = async () => {
      if (pendingLen === 0) return;
      await tx.query('INSERT INTO file_chunks (sha256, seq, data) VALUES ($1, $2, $3)', [sha256, seq++, Buffer.concat(pending)]);
      pending = [];
      pendingLen = 0;
    };
    for await (const c of stream) {
      const buf = c as Buffer;
      pending.push(buf);
      pendingLen += buf.length;
      if (pendingLen >= CHUNK) await flush();
    }
    await flush();
  });
  return { sha256, size };
}

/**
 * The stored file as a stream, one chunk in memory at a time. Given the pool, the chunks come
 * through one `COPY … TO STDOUT (FORMAT binary)` on a connection of their own: raw bytes, where a
 * query's result carries bytea as hex text that pg then decodes (0.65 s of CPU for a 51 MB list,
 * docs/ingest.md). Given a client, chunk by chunk with queries, as that client may be in use.
 */
export function fileStream(db: Queryable, sha256: Buffer): Readable {
  if (db instanceof Pool) return Readable.from(copiedChunks(db, sha256), { objectMode: false });
  let seq = 0;
  return new Readable({
    async read() {
      try {
        const r = await db.query('SELECT data FROM file_chunks WHERE sha256 = $1 AND seq = $2', [sha256, seq++]);
        this.push(r.rowCount ? (r.rows[0].data as Buffer) : null);
      } catch (err) {
        this.destroy(err as Error);
      }
    },
  });
}

async function* copiedChunks(pool: Pool, sha256: Buffer): AsyncGenerator<Buffer> {
  const client = await pool.connect();
  let done = false;
  try {
    const src = client.query(
      copyTo(`COPY (SELECT data FROM file_chunks WHERE sha256 = '\\x${sha256.toString('hex')}' ORDER BY seq) TO STDOUT (FORMAT binary)`),
    );
    const fields = new BinaryCopyFields();
    for await (const piece of src) yield* fields.push(piece as Buffer);
    fields.end();
    done = true;
  } finally {
    // a reader that stopped early leaves the COPY running: that connection is not given back
    client.release(done ? undefined : new Error('file stream abandoned'));
  }
}
