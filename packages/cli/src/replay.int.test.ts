import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { submitList, checkCounts, enqueue, getList } from '@deliveryline/shared';
import { campaignReport } from '@deliveryline/reports';
import { openTestContext, TEST_QUEUE_BACKENDS, until, type TestContext } from '@deliveryline/shared/testing';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, importMembers, importPrefixes, type Mailer } from '@deliveryline/router';
import { GOZ, VAWTRAK, writeRegistry, writeRounds } from './demo/replay';
import { waitForList } from './wait-list';

/** The published figures, replayed through the real queues (in PostgreSQL and in Redis), workers and PostgreSQL. */
describe.each(TEST_QUEUE_BACKENDS)('replay of the published operations (queues on %s)', (backend) => {
  let ctx: TestContext;
  let workers: Worker[];
  let dir: string;
  const sent: string[][] = [];
  const mailer: Mailer = {
    send: async (m) => (sent.push(m.to), { messageId: String(sent.length), response: '250 ok' }),
    close: () => undefined,
  };

  beforeAll(async () => {
    ctx = await openTestContext({ QUEUE_BACKEND: backend });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-replay-'));
    const reg = writeRegistry(dir, 16);
    await importMembers(ctx.pool, reg.membersCsv);
    await importPrefixes(ctx.pool, reg.prefixesCsv);
    workers = [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer })];
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function replay(spec: typeof GOZ | typeof VAWTRAK) {
    const files = writeRounds(dir, spec);
    for (const [i, file] of files.entries()) {
      const listId = await submitList(ctx, { path: file, sourceId: spec.source, campaignId: spec.id, round: i + 1 });
      const f = await waitForList(ctx, listId, { timeoutMs: 120_000, drainDeliver: true });
      expect(f.state).toBe('released');
    }
    return campaignReport(ctx.pool, spec.id);
  }

  it('reproduces the GOZ table to the entry, round by round', async () => {
    const report = await replay(GOZ);
    expect(report.rounds.map((r) => ({ received: r.received, delivered: r.delivered, returned: r.returned }))).toEqual(
      GOZ.rounds.map((r) => ({ received: r.received, delivered: r.delivered, returned: r.received - r.delivered })),
    );
    expect(report.total).toMatchObject({ received: 155521, delivered: 104239, returned: 51282 });
    expect((report.total.handlingRate! * 100).toFixed(1)).toBe('67.0');
    expect(report.rounds.map((r) => (r.handlingRate! * 100).toFixed(1))).toEqual(['63.6', '66.9', '67.9', '66.6']);
    for (const r of report.rounds) expect(checkCounts(r)).toEqual([]);
  });

  it('reproduces the VAWTRAK list: 43,565 received, 33,196 sent, 10,369 returned, 76.2%', async () => {
    const report = await replay(VAWTRAK);
    expect(report.total).toMatchObject({ received: 43565, delivered: 33196, returned: 10369 });
    expect((report.total.handlingRate! * 100).toFixed(1)).toBe('76.2');
  });

  it('puts every delivered entry in exactly one batch and mails each batch once', async () => {
    const r = await ctx.pool.query(
      `SELECT (SELECT coalesce(sum(entries), 0)::int FROM batches) AS in_batches,
              (SELECT count(*)::int FROM routes WHERE state = 'delivered') AS delivered,
              (SELECT count(*)::int FROM batches) AS batches,
              (SELECT count(*)::int FROM deliveries WHERE status = 'sent') AS mails`,
    );
    expect(r.rows[0].in_batches).toBe(r.rows[0].delivered);
    expect(r.rows[0].delivered).toBe(104239 + 33196);
    expect(r.rows[0].mails).toBe(r.rows[0].batches);
    expect(sent.length).toBe(r.rows[0].batches);
  });

  it('routes by who held the block when the entry was observed', async () => {
    const r = await ctx.pool.query(
      `SELECT r.member_id, e.observed_at < '2014-07-01T00:00:00+09:00' AS before, count(*)::int AS n
         FROM entries e JOIN routes r USING (list_id, seq) WHERE e.ip << '118.0.0.0/16' GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(r.rows.length).toBeGreaterThan(0);
    for (const row of r.rows) expect(row.member_id).toBe(row.before ? 'isp-03' : 'isp-04');
  });

  it('changes no count when every job of a list runs again', async () => {
    const list = (await ctx.pool.query(`SELECT id FROM lists WHERE campaign_id = $1 AND round = 2`, [GOZ.id])).rows[0].id as number;
    const before = await getList(ctx.pool, list);
    const mailsBefore = sent.length;
    // the same ids are refused by BullMQ while known; remove them so the handlers really run twice
    for (const q of Object.values(ctx.queues.queues)) await q.obliterate({ force: true });
    await enqueue(ctx.queues, 'ingest.parse-list', { listId: list });
    await enqueue(ctx.queues, 'router.route-list', { listId: list, run: 1 });
    await enqueue(ctx.queues, 'router.route-chunk', { listId: list, run: 1, chunk: 0 });
    await enqueue(ctx.queues, 'router.finish-route', { listId: list, run: 1 });
    await enqueue(ctx.queues, 'router.release-list', { listId: list });
    const batches = (await ctx.pool.query('SELECT id FROM batches WHERE list_id = $1', [list])).rows;
    for (const b of batches) await enqueue(ctx.queues, 'router.notify-batch', { batchId: Number(b.id) });
    await waitForJobsToDrain(ctx);
    const after = await getList(ctx.pool, list);
    expect(after).toMatchObject({
      state: 'released',
      rows_read: before!.rows_read,
      received: before!.received,
      delivered: before!.delivered,
      returned: before!.returned,
    });
    const e = await ctx.pool.query('SELECT count(*)::int AS n FROM entries WHERE list_id = $1', [list]);
    expect(e.rows[0].n).toBe(before!.received);
    expect(sent.length).toBe(mailsBefore);
  });
});

async function waitForJobsToDrain(ctx: TestContext) {
  await until(
    'every queue to drain',
    async () => {
      let busy = 0;
      for (const q of Object.values(ctx.queues.queues)) {
        const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        busy += c.waiting + c.active + c.delayed + c.prioritized;
      }
      return busy === 0;
    },
    { everyMs: 100 },
  );
}
