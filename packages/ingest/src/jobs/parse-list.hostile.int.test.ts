import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Worker } from 'bullmq';
import { submitList } from '@deliveryline/shared';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { startIngestWorker } from '../worker';
import { settled } from '../testing/settled';

/** Hostile files through the real queue and ingest worker, with a one-second job limit. */
describe('parse-list on hostile files', () => {
  let ctx: TestContext;
  let workers: Worker[];
  let dir: string;
  beforeAll(async () => {
    ctx = await openTestContext({ INGEST_JOB_MAX_SECONDS: '1', MAX_ROWS: '100000000' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-parse-hostile-'));
    workers = startIngestWorker(ctx); // the ingest concurrency a deployment runs with
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  async function submit(name: string, bytes: Buffer | string) {
    const file = path.join(dir, `${n++}-${name}`);
    fs.writeFileSync(file, bytes);
    return submitList(ctx, { path: file, fileName: name, sourceId: 'src', campaignId: `c${n}`, timezone: 'Asia/Tokyo' });
  }
  it('a row holding a NUL or another control character is a reject naming the field and offset; TAB, CR and LF stay data', async () => {
    const id = await submit(
      'ctl.csv',
      'ip,observed_at,malware,note\n' +
        '203.0.113.1,2015-04-20 10:00,zeus,ok\n' +
        '203.0.113.2\u0000,2015-04-20 10:00,zeus,\n' +
        '203.0.113.3,2015-04-20 10:00,ze\u000cus,\n' +
        '203.0.113.4,2015-04-20 10:00,zeus,"two\r\nlines\tand a tab"\n' +
        '203.0.113.5,2015-04-20 10:00,zeus,x,\u0001extra\n',
    );
    const l = await settled(ctx.pool, id);
    expect(l.state).toBe('parsed');
    expect([l.rows_read, l.received, l.rejected]).toEqual([5, 2, 3]);
    const rejects = (await ctx.pool.query('SELECT row_no, reason, message FROM rejects WHERE list_id = $1 ORDER BY row_no', [id])).rows;
    expect(rejects).toEqual([
      {
        row_no: 2,
        reason: 'row.control_character',
        message: 'field "ip": control character U+0000 at character 12; remove it and send the row again',
      },
      {
        row_no: 3,
        reason: 'row.control_character',
        message: 'field "malware": control character U+000C at character 3; remove it and send the row again',
      },
      {
        row_no: 5,
        reason: 'row.control_character',
        message: 'column 5: control character U+0001 at character 1; remove it and send the row again',
      },
    ]);
    const note = (await ctx.pool.query(`SELECT extra->>'note' AS note FROM entries WHERE list_id = $1 AND row_no = 4`, [id])).rows[0].note;
    expect(note).toBe('two\r\nlines\tand a tab');
  });

  it('a list that runs past INGEST_JOB_MAX_SECONDS fails with the reason, and a list sent with it is parsed', async () => {
    // 10 million rows in a small gzip (members of 1 MiB of rows, concatenated as gzip allows)
    const row = '198.51.100.7,2015-04-20 10:00:00,80\n';
    const block = zlib.gzipSync(Buffer.from(row.repeat(Math.floor((1 << 20) / row.length))), { level: 1 });
    const hostile = Buffer.concat([zlib.gzipSync('ip,observed_at,port\n'), ...Array.from({ length: 350 }, () => block)]);
    const slow = await submit('slow.csv.gz', hostile);
    const normal = await submit('normal.csv', 'ip,observed_at,port\n203.0.113.9,2015-04-20 10:00,80\n203.0.113.10,2015-04-20 10:01,\n');
    const [s, ok] = await Promise.all([settled(ctx.pool, slow), settled(ctx.pool, normal)]);
    expect(s.state).toBe('failed');
    expect(s.failure).toMatch(/^list\.time_limit: .*INGEST_JOB_MAX_SECONDS \(1 s\)/);
    expect(ok.state).toBe('parsed');
    expect(ok.received).toBe(2);
    // nothing of the stopped list was kept
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM entries WHERE list_id = $1', [slow])).rows[0].n).toBe(0);
  });
});
