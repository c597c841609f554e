import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Worker } from 'bullmq';
import { failList, getList, submitList } from '@deliveryline/shared';
import { openTestContext, testCoordinator, type TestContext } from '@deliveryline/shared/testing';
import { parseList } from '@deliveryline/ingest';
import { importMembers, importPrefixes } from '@deliveryline/router';

import { dlineEnv } from '../testing/run-dline';

const run = promisify(execFile);

/**
 * A failed list, as a coordinator meets it: `dline ingest --wait` returns with the failure (no
 * hang, whatever the file's size), `dline retry` runs it again from the stage it failed in once
 * the cause is fixed, and mistakes get one line and exit code 2, never a stack trace.
 */
describe('dline retry and --wait on failed lists', () => {
  let ctx: TestContext;
  let dir: string;
  let token: string;
  const workers: Worker[] = [];
  const dline = async (env: Record<string, string>, ...args: string[]) => {
    const e = dlineEnv(ctx, { SMTP_URL: '', DLINE_TOKEN: token, ...env });
    if (!e.SMTP_URL) delete e.SMTP_URL;
    try {
      const r = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../dline.ts'), ...args], {
        env: e,
        maxBuffer: 1 << 26,
        timeout: 120_000,
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const x = err as { code?: number; stdout: string; stderr: string; killed?: boolean };
      if (x.killed) throw new Error(`dline ${args.join(' ')} did not return: ${x.stderr}`);
      return { code: x.code ?? -1, stdout: x.stdout, stderr: x.stderr };
    }
  };
  const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

  beforeAll(async () => {
    ctx = await openTestContext();
    token = (await testCoordinator(ctx.pool)).token;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-retry-'));
    fs.writeFileSync(path.join(dir, 'members.csv'), 'member_id,name,contact_email\nisp-a,ISP A,abuse@isp-a.example\nb,B,soc@b.example\n');
    fs.writeFileSync(path.join(dir, 'prefixes.csv'), 'member_id,cidr\nisp-a,133.1.0.0/16\nb,2400:4050::/32\n');
    await importMembers(ctx.pool, path.join(dir, 'members.csv'));
    await importPrefixes(ctx.pool, path.join(dir, 'prefixes.csv'));
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a list of several MiB that fails: --wait returns with the failure; retry with the cause fixed releases it exactly', async () => {
    const rows = ['ip,observed_at,malware'];
    for (let i = 0; i < 40_000; i++) {
      rows.push(
        i % 4 === 3
          ? `2400:4050::${(i % 65535).toString(16)},2014-06-02T10:00:${String(i % 60).padStart(2, '0')}+09:00,gameover`
          : `133.${1 + (i % 3)}.${(i >> 8) & 255}.${i & 255},2014-06-02T10:00:${String(i % 60).padStart(2, '0')}Z,${'zeus-'.repeat(8)}`,
      );
    }
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(file, rows.join('\n') + '\n');
    expect(fs.statSync(file).size).toBeGreaterThan(2 << 20);
    // the cause: a row bound too low for this list (the command runs the pipeline itself: no workers serve this database)
    const failed = await dline({ MAX_ROWS: '1000' }, 'ingest', file, '--source', 'jpcert', '--campaign', 'goz-2014', '--wait');
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/failed: .*too_many_rows/);
    expect(failed.stderr).toMatch(/dline retry \d+/);
    noStack(failed.stderr);
    const listId = Number(/list (\d+) failed/.exec(failed.stderr)![1]);
    expect((await getList(ctx.pool, listId))!.state).toBe('failed');

    // the cause fixed (the bound raised): the same list, no new upload, read again and released
    const again = await dline({}, 'retry', String(listId), '--wait', '--json');
    expect(again.stderr).toMatch(/reading its file again/);
    expect(again.code).toBe(0);
    const f = JSON.parse(again.stdout);
    expect(f).toMatchObject({ state: 'released', stage: 'parse', rowsRead: 40_000, rejected: 0, duplicates: 0, received: 40_000 });
    // exact, per member: 133.1/16 is isp-a's, 2400:4050::/32 is b's (each IPv6 address is repeated at most its time differs)
    const per = (
      await ctx.pool.query(
        `SELECT COALESCE(member_id, reason) AS k, count(*)::int AS n FROM routes WHERE list_id = $1 GROUP BY 1 ORDER BY 1`,
        [listId],
      )
    ).rows;
    expect(Object.fromEntries(per.map((r) => [r.k, r.n]))).toEqual({ 'isp-a': 10_000, b: 10_000, no_member: 20_000 });
    expect(f.delivered + f.returned).toBe(f.received);
    const audit = await ctx.pool.query(`SELECT details FROM audit_events WHERE action = 'list.retry' AND object = $1`, [`list:${listId}`]);
    expect(audit.rows.map((r) => r.details.stage)).toEqual(['parse']);
  });

  it('a list that failed in routing is routed again, from its stored entries', async () => {
    const file = path.join(dir, 'small.csv');
    fs.writeFileSync(file, 'ip,observed_at\n133.1.0.1,2014-06-02T10:00:00Z\n8.8.8.8,2014-06-02T10:00:00Z\n10.0.0.1,2014-06-02T10:00:00Z\n');
    const listId = await submitList(ctx, { path: file, sourceId: 'jpcert', campaignId: 'goz-2014' });
    await parseList({ listId }, ctx); // read, no router yet
    const parsed = (await getList(ctx.pool, listId))!;
    expect(parsed.state).toBe('parsed');
    await failList(ctx.pool, listId, 'routing failed: the route worker gave up');
    const r = await dline({}, 'retry', String(listId), '--wait', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'released', stage: 'route', received: 3, delivered: 1, returned: 2 });
    expect((await getList(ctx.pool, listId))!.route_run).toBe(parsed.route_run + 1);
  });

  it('refuses what cannot be retried, in one line with exit code 2', async () => {
    const unknown = await dline({}, 'retry', '999999');
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr.trim()).toMatch(/^dline: list 999999 does not exist/);
    const released = (await ctx.pool.query(`SELECT id FROM lists WHERE state = 'released' LIMIT 1`)).rows[0].id;
    const notFailed = await dline({}, 'retry', String(released));
    expect(notFailed.code).toBe(2);
    expect(notFailed.stderr.trim()).toBe(`dline: list ${released} is released, not failed: there is nothing to retry`);
  });

  it('user mistakes get one clear line and exit code 2, never a stack trace', async () => {
    const file = path.join(dir, 'small.csv');
    const cases: [string[], RegExp][] = [
      [['ingest', file, '--campaign', 'GOZ', '--source', 'jpcert'], /--campaign "GOZ" is not an id.*did you mean goz\?/],
      [['ingest', file, '--campaign', 'goz', '--source', 'JP CERT'], /--source "JP CERT" is not an id/],
      [['ingest', path.join(dir, 'missing.csv'), '--campaign', 'goz', '--source', 'jpcert'], /missing\.csv: no such file/],
      [['ingest', file, '--campaign', 'goz', '--source', 'jpcert', '--timezone', 'Mars/Olympus'], /Mars\/Olympus/],
      [['ingest', file, '--campaign', 'goz', '--source', 'jpcert', '--round', 'two'], /--round must be a positive whole number/],
      [['route', 'abc'], /LIST must be a positive whole number/],
      [['retry', '12x'], /LIST must be a positive whole number/],
      [['no-such-command'], /unknown command/],
    ];
    const results = await Promise.all(cases.map(([args]) => dline({}, ...args)));
    cases.forEach(([args, want], i) => {
      expect({ args, code: results[i].code }).toEqual({ args, code: 2 });
      expect(results[i].stderr).toMatch(want);
      noStack(results[i].stderr);
    });
  });
});
