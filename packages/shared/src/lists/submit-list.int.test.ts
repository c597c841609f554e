import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTestContext, type TestContext } from '../testing';
import { submitList, FileTooLargeError } from './submit-list';

describe('submitList refuses a file over MAX_UPLOAD_BYTES before storing any of it', () => {
  let ctx: TestContext;
  let dir: string;
  beforeAll(async () => {
    ctx = await openTestContext({ MAX_UPLOAD_BYTES: '1000000' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-submit-'));
  });
  afterAll(async () => {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const stored = async () =>
    (
      await ctx.pool.query(
        'SELECT (SELECT count(*)::int FROM files) AS files, (SELECT count(*)::int FROM file_chunks) AS chunks, (SELECT count(*)::int FROM lists) AS lists',
      )
    ).rows[0];

  it('a 1 GB file is refused from its size alone, and nothing is stored', async () => {
    const big = path.join(dir, 'big.csv');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 1 << 30); // sparse: the size without the bytes
    const before = await stored();
    const err = await submitList(ctx, { path: big, sourceId: 'src', campaignId: 'c' }).catch((e) => e);
    expect(err).toBeInstanceOf(FileTooLargeError);
    expect(err).toMatchObject({
      code: 'file.too_large',
      message: expect.stringContaining('big.csv is 1073741824 bytes, larger than MAX_UPLOAD_BYTES (1000000 bytes); nothing was stored'),
    });
    expect(await stored()).toEqual(before);
  });

  it('a file at the bound is stored', async () => {
    const ok = path.join(dir, 'ok.csv');
    fs.writeFileSync(ok, 'ip,observed_at\n' + 'x'.repeat(1_000_000 - 15));
    expect(fs.statSync(ok).size).toBe(1_000_000);
    const id = await submitList(ctx, { path: ok, sourceId: 'src', campaignId: 'c' });
    expect(id).toBeGreaterThan(0);
  });
});
