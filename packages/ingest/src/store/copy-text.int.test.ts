import fc from 'fast-check';
import type { PoolClient } from 'pg';
import { createTestDatabase, fcRuns, type TestDatabase } from '@deliveryline/shared/testing';
import { copyText } from './copy-text';
import { copyIn } from '../testing/copy-in';

/**
 * copyText through the real PostgreSQL: random rows of two text columns, written with copyText,
 * sent to COPY … FROM STDIN in pieces cut at arbitrary bytes, read back as the values themselves
 * (NUL, which text cannot hold, dropped; null as null).
 */
describe('copyText through PostgreSQL COPY', () => {
  let db: TestDatabase;
  let client: PoolClient;
  beforeAll(async () => {
    db = await createTestDatabase();
    client = await db.pool.connect();
    await client.query('CREATE TEMP TABLE copied (n int4, a text, b text)');
  });
  afterAll(async () => {
    client.release();
    await db.drop();
  });

  const special = fc.constantFrom('\\', '\t', '\n', '\r', '\r\n', '\u0000', '\\N', '\\.', 'N', '.', 'ゼウス', '😀', '\uFEFF', ',', '"');
  const text = fc.string({ unit: fc.oneof(special, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 24 });
  const value = fc.option(text, { nil: null, freq: 6 });

  it('reads back every value as it was given', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (rows, cuts) => {
          await client.query('TRUNCATE copied');
          const data = Buffer.from(rows.map(([a, b], i) => `${i}\t${copyText(a)}\t${copyText(b)}\n`).join(''), 'utf8');
          await copyIn(client, 'COPY copied (n, a, b) FROM STDIN', data, cuts);
          const back = await client.query<{ a: string | null; b: string | null }>('SELECT a, b FROM copied ORDER BY n');
          const clean = (v: string | null) => (v === null ? null : v.replace(/\u0000/g, ''));
          expect(back.rows.map((r) => [r.a, r.b])).toEqual(rows.map(([a, b]) => [clean(a), clean(b)]));
        },
      ),
      { numRuns: fcRuns(40) },
    );
  });
});
