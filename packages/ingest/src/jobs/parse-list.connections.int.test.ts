import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { submitList, getList } from '@deliveryline/shared';
import { openTestContext, until, type TestContext } from '@deliveryline/shared/testing';
import { parseList } from './parse-list.job';
import { gzipOf, xlsxOf, zipOf } from '../testing/fixtures';

/**
 * A list that fails while its file is still being read gives back every connection it took:
 * the stored file comes through a COPY on a connection of its own, and a reader that stopped
 * early used to keep it checked out for good — the pool then never ended (`dline ingest --wait`
 * hung after printing the failure, and the ingest worker ignored SIGTERM).
 */
describe('a list that fails mid-file', () => {
  let ctx: TestContext;
  let dir: string;
  beforeAll(async () => {
    // a file of several stored chunks (1 MiB each) that fails after its first rows
    ctx = await openTestContext({ MAX_ROWS: '1000' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-conn-'));
  });
  afterAll(async () => {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rows = (n: number) => {
    const out = ['ip,observed_at,malware'];
    for (let i = 0; i < n; i++)
      out.push(`203.0.${(i >> 8) & 255}.${i & 255},2024-05-01T00:00:${String(i % 60).padStart(2, '0')}Z,${'x'.repeat(30)}`);
    return out.join('\n') + '\n';
  };
  const big = rows(60_000); // ~3.5 MB
  const noIpColumn = 'when,what\n' + 'a,b\n'.repeat(600_000);

  async function checkedOut(): Promise<number> {
    // a connection given back is idle at once; allow the pool a moment to settle
    const busy = () => ctx.pool.totalCount - ctx.pool.idleCount;
    await until('every connection given back', () => busy() === 0, { timeoutMs: 5000, everyMs: 20 }).catch(() => undefined);
    return busy();
  }

  const cases: [string, string, Buffer | string][] = [
    ['plain, too many rows', 'big.csv', big],
    ['gzip, too many rows', 'big.csv.gz', gzipOf(big)],
    ['zip, too many rows', 'big.zip', zipOf([{ name: 'big.csv', data: big }])],
    ['plain, no IP column', 'noip.csv', noIpColumn],
  ];
  for (const [what, name, bytes] of cases) {
    it(`${what}: fails with its reason and holds no connection afterwards`, async () => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, bytes);
      const listId = await submitList(ctx, { path: file, fileName: name, sourceId: 'src', campaignId: `c-${name}` });
      await expect(parseList({ listId }, ctx)).rejects.toThrow(/too_many_rows|header|column/);
      expect((await getList(ctx.pool, listId))!.state).toBe('failed');
      expect(await checkedOut()).toBe(0);
    });
  }

  it('a zip that parses holds no connection afterwards either', async () => {
    const file = path.join(dir, 'ok.zip');
    fs.writeFileSync(file, zipOf([{ name: 'ok.csv', data: rows(500) }]));
    const listId = await submitList(ctx, { path: file, fileName: 'ok.zip', sourceId: 'src', campaignId: 'c-ok-zip' });
    await parseList({ listId }, ctx);
    expect((await getList(ctx.pool, listId))!.received).toBe(500);
    expect(await checkedOut()).toBe(0);
  });

  it('xlsx, too many rows: fails and holds no connection afterwards', async () => {
    const x = await xlsxOf([
      ['ip', 'observed_at'],
      ...Array.from({ length: 1500 }, (_, i) => [`203.0.113.${i % 250}`, `2024-05-01T00:${String(i % 60).padStart(2, '0')}:00Z`]),
    ]);
    const file = path.join(dir, 'big.xlsx');
    fs.writeFileSync(file, x);
    const listId = await submitList(ctx, { path: file, fileName: 'big.xlsx', sourceId: 'src', campaignId: 'c-xlsx' });
    await expect(parseList({ listId }, ctx)).rejects.toThrow(/too_many_rows/);
    expect(await checkedOut()).toBe(0);
  });
});
