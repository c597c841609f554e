import type { FastifyInstance } from 'fastify';
import { startIngestWorker } from '@deliveryline/ingest';
import { gzipOf, xlsxOf, zipOf } from '@deliveryline/ingest/testing';
import { startRouterWorker, type Mailer } from '@deliveryline/router';
import { until, asPortal } from '@deliveryline/shared/testing';
import { buildServer } from './server';
import { buildWorld, waitReleased, type World } from './testing/portal-world';
import { listen } from './testing/http-client';

const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };

/**
 * Hostile files uploaded through the portal's API by a source user, each beside a normal list:
 * each is refused with its code within its bounds, and the normal list is read and released as if
 * the hostile one were not there.
 */
describe('hostile files through the portal, as a source', () => {
  let w: World;
  let server: FastifyInstance;
  let base: string;
  const bearer = () => ({ authorization: `Bearer ${w.users.sourceA.token}` });

  beforeAll(async () => {
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    // small bounds, so the test need not send gigabytes; the workers read them at each list
    Object.assign(w.ctx.env, {
      INGEST_MAX_LINE_BYTES: 64 * 1024,
      XLSX_MAX_SHARED_STRINGS_BYTES: 20_000,
      INGEST_JOB_MAX_SECONDS: 20,
    });
    server = await buildServer(asPortal(w.ctx), {
      settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 50 },
    });
    base = (await listen(server)).base;
  });
  afterAll(async () => {
    await server?.close();
    await w?.close();
  });

  async function upload(name: string, bytes: Buffer | string, campaign: string): Promise<number> {
    const form = new FormData();
    form.set('campaign', campaign);
    form.set('file', new Blob([bytes]), name);
    const r = await fetch(`${base}/api/v1/lists`, { method: 'POST', headers: bearer(), body: form });
    expect(r.status).toBe(201);
    return ((await r.json()) as { list: { id: number } }).list.id;
  }
  const list = async (id: number): Promise<any> =>
    ((await (await fetch(`${base}/api/v1/lists/${id}`, { headers: bearer() })).json()) as any).list;

  const normal =
    'ip,observed_at,port\n101.0.1.1,2015-04-20T10:00:00Z,80\n101.0.1.2,2015-04-20T10:01:00Z,80\n150.0.1.9,2015-04-20T10:02:00Z,80\n';
  const wide = [
    ['ip', 'observed_at', 'note'],
    ...Array.from({ length: 2000 }, (_, i) => [`101.0.${i >> 8}.${i & 255}`, '2015-04-20 10:00', `note ${i} `.repeat(5)]),
  ];

  it.each([
    [
      'a gzip holding one endless line',
      'endless.csv.gz',
      async () => gzipOf('ip,observed_at\n' + 'x'.repeat(4 << 20)),
      'file.line_too_long',
    ],
    ['a workbook whose shared strings unzip past their bound', 'wide.xlsx', async () => xlsxOf(wide), 'xlsx.shared_strings_too_large'],
    [
      'the same workbook inside a zip',
      'wide.zip',
      async () => zipOf([{ name: 'wide.xlsx', data: await xlsxOf(wide) }]),
      'xlsx.shared_strings_too_large',
    ],
    [
      'a zip inside a zip',
      'nested.zip',
      async () => zipOf([{ name: 'inner.zip', data: zipOf([{ name: 'l.csv', data: normal }]) }]),
      'zip.nested',
    ],
  ])('%s is refused with its code, and a list sent beside it is released', async (_what, name, bytes, code) => {
    const campaign = `hostile-${name.replace(/\W/g, '-')}`;
    const t0 = Date.now();
    const hostile = await upload(name, await bytes(), campaign);
    const beside = await upload('normal.csv', normal, `${campaign}-normal`);
    const failed = await until(`list ${hostile} to fail`, async () => {
      const l = await list(hostile);
      return l.state === 'failed'
        ? l
        : l.state === 'parsed' || l.state === 'released'
          ? { failure: `read, not refused: ${l.state}` }
          : undefined;
    });
    expect(failed.failure).toMatch(new RegExp(`^${code.replace('.', '\\.')}: `));
    expect(failed.failureMessage).not.toBeNull();
    expect(await waitReleased(w.ctx, beside, 60_000)).toBe('released');
    expect((await list(beside)).counts).toMatchObject({ rowsRead: 3, received: 3, delivered: 2, returned: 1 });
    // within the job's time limit, however the hostile file was made
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
