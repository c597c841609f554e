import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { Queryable } from '@deliveryline/shared';

/** Stored files are kept in 1 MiB chunks (see shared's file.repository): reads by byte range for zip's central directory. */
const CHUNK = 1024 * 1024;

export async function storedFileSize(db: Queryable, sha256: Buffer): Promise<number> {
  const r = await db.query('SELECT size FROM files WHERE sha256 = $1', [sha256]);
  if (!r.rowCount) throw new Error('the stored file is missing');
  return Number(r.rows[0].size);
}

/** Bytes [start, end) of a stored file. */
export async function readStoredRange(db: Queryable, sha256: Buffer, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const first = Math.floor(start / CHUNK);
  const last = Math.floor((end - 1) / CHUNK);
  const r = await db.query(
    `SELECT seq, substring(data FROM $4 FOR $5) AS data FROM file_chunks
      WHERE sha256 = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq`,
    // PostgreSQL's substring is 1-based; one window over the first chunk is enough for the
    // short reads zip does, longer ranges take whole chunks
    [sha256, first, last, first === last ? (start % CHUNK) + 1 : 1, first === last ? end - start : 2 ** 31 - 1],
  );
  if (first === last) return r.rows[0]?.data ?? Buffer.alloc(0);
  const whole = Buffer.concat(r.rows.map((x) => x.data as Buffer));
  return whole.subarray(start - first * CHUNK, end - first * CHUNK);
}

/** yauzl's random access over a stored file, so a zip is read without holding it in memory. */
export class StoredFileReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly db: Queryable,
    private readonly sha256: Buffer,
  ) {
    super();
  }

  _readStreamForRange(start: number, end: number): Readable {
    const { db, sha256 } = this;
    let pos = start;
    return new Readable({
      async read() {
        try {
          if (pos >= end) {
            this.push(null);
            return;
          }
          const to = Math.min(end, (Math.floor(pos / CHUNK) + 1) * CHUNK);
          const b = await readStoredRange(db, sha256, pos, to);
          pos = to;
          this.push(b);
        } catch (err) {
          this.destroy(err as Error);
        }
      },
    });
  }
}
