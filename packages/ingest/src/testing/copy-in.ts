import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Sends `data` to `COPY … FROM STDIN` as the given pieces (cut where a test says), in order. */
export async function copyIn(client: PoolClient, sql: string, data: Buffer, cuts: number[]): Promise<void> {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const p of [...points, data.length]) {
    if (p > at) pieces.push(data.subarray(at, p));
    at = p;
  }
  await pipeline(Readable.from(pieces), client.query(copyFrom(sql)));
}
