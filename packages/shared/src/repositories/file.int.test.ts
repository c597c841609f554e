import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTestContext, type TestContext } from '../testing';
import { fileStream, storeFile } from './file.repository';

const collect = async (s: NodeJS.ReadableStream) => {
  const parts: Buffer[] = [];
  for await (const b of s) parts.push(b as Buffer);
  return Buffer.concat(parts);
};

describe('a stored file reads back byte for byte', () => {
  let ctx: TestContext;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-'));
  beforeAll(async () => {
    ctx = await openTestContext();
  });
  afterAll(async () => {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('through binary COPY (given the pool) and chunk by chunk (given a client), also when a reader stops early', async () => {
    // 2.5 MiB of random bytes: three stored chunks, the last one partial, every byte value present
    const bytes = crypto.randomBytes(2.5 * 1024 * 1024);
    const file = path.join(dir, 'random.bin');
    fs.writeFileSync(file, bytes);
    const { sha256, size } = await storeFile(ctx.pool, file);
    expect(size).toBe(bytes.length);
    expect(sha256.equals(crypto.createHash('sha256').update(bytes).digest())).toBe(true);

    expect((await collect(fileStream(ctx.pool, sha256))).equals(bytes)).toBe(true);
    const client = await ctx.pool.connect();
    try {
      expect((await collect(fileStream(client, sha256))).equals(bytes)).toBe(true);
    } finally {
      client.release();
    }

    // a reader that takes the first piece and stops: its connection is not reused mid-COPY
    for (let i = 0; i < 3; i++) {
      for await (const first of fileStream(ctx.pool, sha256)) {
        expect((first as Buffer).equals(bytes.subarray(0, (first as Buffer).length))).toBe(true);
        break;
      }
    }
    expect((await ctx.pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    expect((await collect(fileStream(ctx.pool, sha256))).equals(bytes)).toBe(true);

    // a file that is not stored reads as empty
    expect((await collect(fileStream(ctx.pool, Buffer.alloc(32)))).length).toBe(0);
  });

  it('reads back files of every size around the 1 MiB chunk, with random bytes, both ways', async () => {
    const MiB = 1024 * 1024;
    const sizes = [0, 1, 5, MiB - 1, MiB, MiB + 1, 2 * MiB - 1, 2 * MiB, 2 * MiB + 1];
    // and a few drawn at random within a few bytes and a few kilobytes of a chunk's end
    for (let i = 0; i < 4; i++) sizes.push(MiB * (1 + crypto.randomInt(2)) + crypto.randomInt(-4096, 4097));
    const client = await ctx.pool.connect();
    try {
      for (const n of sizes) {
        const bytes = crypto.randomBytes(n);
        const file = path.join(dir, `size-${n}.bin`);
        fs.writeFileSync(file, bytes);
        const { sha256, size } = await storeFile(ctx.pool, file);
        expect(size).toBe(n);
        const { rows } = await ctx.pool.query(
          'SELECT count(*)::int AS n, coalesce(max(length(data)), 0) AS max FROM file_chunks WHERE sha256 = $1',
          [sha256],
        );
        expect(rows[0]).toEqual({ n: Math.ceil(n / MiB), max: Math.min(n, MiB) });
        const viaCopy = await collect(fileStream(ctx.pool, sha256));
        expect({ n, equal: viaCopy.equals(bytes) }).toEqual({ n, equal: true });
        const viaQueries = await collect(fileStream(client, sha256));
        expect({ n, equal: viaQueries.equals(bytes) }).toEqual({ n, equal: true });
      }
    } finally {
      client.release();
    }
  });
});
