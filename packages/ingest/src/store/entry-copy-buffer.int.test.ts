import fc from 'fast-check';
import type { PoolClient } from 'pg';
import { createTestDatabase, fcRuns, type TestDatabase } from '@deliveryline/shared/testing';
import { EntryCopyBuffer, type EntryRow } from './entry-copy-buffer';
import { copyIn } from '../testing/copy-in';
import { entryRows, windowsOf } from '../testing/entry-rows';

/**
 * Entries in binary COPY through the real PostgreSQL: random rows (IPv4 and IPv6, times around
 * 2000 and 1970, ports or none, multi-byte names, JSON extra), cut into windows at arbitrary rows
 * and each window's bytes into pieces at arbitrary bytes, read back as the values given.
 */
describe('EntryCopyBuffer through PostgreSQL COPY (FORMAT binary)', () => {
  let db: TestDatabase;
  let client: PoolClient;
  beforeAll(async () => {
    db = await createTestDatabase();
    client = await db.pool.connect();
    await client.query(`CREATE TEMP TABLE copied (list_id int8, seq int4, row_no int4, ip inet, observed_at timestamptz,
      port int4, malware text, extra jsonb)`);
  });
  afterAll(async () => {
    client.release();
    await db.drop();
  });

  /** the address's bytes as inet_send gives them: family, bits, is_cidr, length, address */
  const inetHex = (r: EntryRow) => {
    const words = r.family === 4 ? [r.w[0]] : r.w;
    return (r.family === 4 ? '02200004' : '03800010') + words.map((x) => (x >>> 0).toString(16).padStart(8, '0')).join('');
  };

  it('reads back every row as it was added, sorted or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        entryRows(60),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        async (rows, windowCuts, byteCuts, sorted) => {
          await client.query('TRUNCATE copied');
          const buf = new EntryCopyBuffer(2);
          for (const w of windowsOf(rows, windowCuts)) {
            for (const r of w) buf.add(r);
            const out = buf.take(sorted);
            if (out) await copyIn(client, 'COPY copied FROM STDIN (FORMAT binary)', out, byteCuts);
          }
          const back = await client.query(`SELECT list_id::text, seq, row_no, encode(inet_send(ip), 'hex') AS ip,
          (extract(epoch FROM observed_at) * 1000)::int8::text AS t, port, malware, extra FROM copied ORDER BY row_no`);
          const want = rows; // row_no goes up in file order
          const shape = (r: EntryRow) => [
            String(r.listId),
            r.rowNo,
            inetHex(r),
            String(r.observedAt),
            r.port,
            r.malware,
            r.extra === null ? null : JSON.parse(r.extra),
          ];
          expect(back.rows.map((r) => [r.list_id, r.row_no, r.ip, r.t, r.port, r.malware, r.extra])).toEqual(want.map(shape));
          // seq: as given, or renumbered within each window's own range
          expect(back.rows.map((r) => r.seq).sort((a, b) => a - b)).toEqual(rows.map((r) => r.seq).sort((a, b) => a - b));
        },
      ),
      { numRuns: fcRuns(30) },
    );
  });
});
