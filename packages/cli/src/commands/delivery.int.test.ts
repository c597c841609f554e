import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Worker } from 'bullmq';
import { submitList } from '@deliveryline/shared';
import { openTestContext, testCoordinator, type TestContext } from '@deliveryline/shared/testing';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, importMembers, importPrefixes, type Mailer } from '@deliveryline/router';
import { waitForList } from '../wait-list';
import { dlineEnv } from '../testing/run-dline';

const run = promisify(execFile);
const EVIL = '=HYPERLINK("http://x","y")';
const FORMULA = /^[=+\-@\t\r]/;

/** Splits RFC 4180 CSV text into rows of cells (quotes, doubled quotes, CRLF). */
function cells(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (q) {
      if (c === '"' && csv[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  return rows;
}

/** The coordinator's commands, run as a user runs them, against this test's database and queues. */
describe('dline delivery commands on a real pipeline', () => {
  let ctx: TestContext;
  let workers: Worker[];
  let dir: string;
  let listId: number;
  let token: string;
  const mails: string[][] = [];
  const mailer: Mailer = {
    send: async (m) => (mails.push(m.to), { messageId: String(mails.length), response: '250 ok' }),
    close: () => undefined,
  };
  const dline = async (...args: string[]) => {
    const env = dlineEnv(ctx, { DLINE_TOKEN: token });
    return run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../dline.ts'), ...args], { env, maxBuffer: 1 << 26 });
  };

  beforeAll(async () => {
    ctx = await openTestContext();
    token = (await testCoordinator(ctx.pool)).token;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-delivery-'));
    fs.writeFileSync(
      path.join(dir, 'members.csv'),
      'member_id,name,contact_email\nisp-a,ISP A,abuse@isp-a.example;noc@isp-a.example\nisp-b,ISP B,soc@isp-b.example\n',
    );
    fs.writeFileSync(path.join(dir, 'prefixes.csv'), 'member_id,cidr\nisp-a,133.1.0.0/16\nisp-b,133.2.0.0/16\n');
    await importMembers(ctx.pool, path.join(dir, 'members.csv'));
    await importPrefixes(ctx.pool, path.join(dir, 'prefixes.csv'));
    workers = [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })];
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    fs.writeFileSync(
      path.join(dir, 'list.csv'),
      [
        'ip,observed_at,port,malware',
        `133.1.0.5,2014-06-02T10:00:00Z,4431,${q(EVIL)}`,
        '133.1.0.6,2014-06-02T10:01:00Z,4432,gameover',
        `133.2.0.200,2014-06-02T10:02:00Z,,${q('+cmd|" /C calc"!A0')}`,
        `8.8.8.8,2014-06-02T10:03:00Z,80,${q(EVIL)}`,
        '',
      ].join('\n'),
    );
    listId = await submitList(ctx, {
      path: path.join(dir, 'list.csv'),
      sourceId: 'jpcert',
      campaignId: 'goz-2014',
      round: 1,
      uploadedBy: 'alice',
    });
    expect((await waitForList(ctx, listId, { timeoutMs: 60_000, drainDeliver: true })).state).toBe('released');
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exports each batch with exactly its entries, every text cell inert, and one e-mail per batch', async () => {
    const batches = JSON.parse((await dline('batches', '--list', String(listId), '--json')).stdout);
    expect(batches.map((b: { memberId: string; entries: number }) => [b.memberId, b.entries])).toEqual([
      ['isp-a', 2],
      ['isp-b', 1],
    ]);
    expect(mails.map((m) => m.join(';')).sort()).toEqual(['abuse@isp-a.example;noc@isp-a.example', 'soc@isp-b.example']);
    const a = (await dline('export', String(batches[0].batchId), '--bom')).stdout;
    expect(a.startsWith('\uFEFFentry_id,ip,port,observed_at_jst')).toBe(true);
    const rows = cells(a.slice(1)).slice(1);
    expect(rows.map((r) => r[1])).toEqual(['133.1.0.5', '133.1.0.6']);
    expect(rows[0][5]).toBe(`'${EVIL}`);
    const b = cells((await dline('export', String(batches[1].batchId))).stdout).slice(1);
    expect(b.map((r) => r[1])).toEqual(['133.2.0.200']);
    for (const cell of [...rows, ...b].flat()) expect(cell).not.toMatch(FORMULA);
  });

  it("returns the rest in the source's own columns with the reason, inert, then marks them sent", async () => {
    const out = (await dline('returned', String(listId))).stdout;
    const rows = cells(out);
    expect(rows[0]).toEqual(['ip', 'observed_at', 'port', 'malware', 'return_reason']);
    expect(rows.slice(1)).toEqual([['8.8.8.8', '2014-06-02T10:03:00Z', '80', `'${EVIL}`, 'no_member']]);
    await dline('returned', String(listId), '--mark-sent');
    expect((await ctx.pool.query('SELECT state FROM lists WHERE id = $1', [listId])).rows[0].state).toBe('returned_sent');
  });

  it('imports outcomes from a CSV with a result per refused row', async () => {
    const [batch] = JSON.parse((await dline('batches', '--list', String(listId), '--member', 'isp-a', '--json')).stdout);
    const ids = cells((await dline('export', String(batch.batchId))).stdout)
      .slice(1)
      .map((r) => r[0]);
    const file = path.join(dir, 'outcomes.csv');
    fs.writeFileSync(file, `entry_id,outcome,notified_at\n${ids[0]},notified,${new Date().toISOString()}\n${ids[1]},lost,\n`);
    const r = JSON.parse((await dline('outcomes', 'import', String(batch.batchId), file, '--json')).stdout);
    expect(r).toMatchObject({ rows: 2, stored: 1, batchClosed: false });
    expect(r.rejected).toEqual([expect.objectContaining({ row: 2, field: 'outcome', code: 'outcome.invalid' })]);
    const overdue = JSON.parse((await dline('overdue', '--all', '--json')).stdout);
    expect(overdue.find((o: { batchId: number }) => o.batchId === batch.batchId)).toMatchObject({ open: 1, entries: 2 });
  });
});
