import { asPortal } from '@deliveryline/shared/testing';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, type Mailer } from '@deliveryline/router';
import { buildServer } from './server';
import { buildWorld, type World } from './testing/portal-world';
import { listen } from './testing/http-client';

const body = async (r: Response): Promise<any> => r.json();
const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };

/** Bad input at the edges: each gets a clear error, and the server stays up for everyone else. */
describe('portal edges', () => {
  let w: World;
  let server: FastifyInstance;
  let base: string;
  let port: number;
  const bearer = (k: keyof World['users']) => ({ authorization: `Bearer ${w.users[k].token}` });
  const alive = async () => (await fetch(`${base}/healthz`)).status;

  beforeAll(async () => {
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    w.ctx.env.MAX_UPLOAD_BYTES = 64 * 1024; // a small bound, so the test need not send half a gigabyte
    server = await buildServer(asPortal(w.ctx), {
      settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 50 },
    });
    base = (await listen(server)).base;
    port = Number(new URL(base).port);
  });
  afterAll(async () => {
    await server?.close();
    await w?.close();
  });

  function upload(file: Blob, fields: Record<string, string> = { campaign: 'edge', source: 'jpcert' }) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    form.set('file', file, 'list.csv');
    return fetch(`${base}/api/v1/lists`, { method: 'POST', headers: bearer('coordinator'), body: form });
  }

  it('refuses an upload over the size limit with a JSON error naming it, and keeps nothing of it', async () => {
    const before = (await w.ctx.pool.query('SELECT count(*)::int AS n FROM lists')).rows[0].n;
    const big = 'ip,timestamp\n' + '203.0.113.1,2014-06-01T00:00:00Z\n'.repeat(5000);
    const r = await upload(new Blob([big]));
    expect(r.status).toBe(413);
    expect((await body(r)).error).toMatchObject({ code: 'upload.too_large', message: expect.any(String) });
    expect((await w.ctx.pool.query('SELECT count(*)::int AS n FROM lists')).rows[0].n).toBe(before);
    expect(await alive()).toBe(200);
  });

  it('answers a multipart body cut off before its end with a clear error', async () => {
    const boundary = 'xBOUNDARYx';
    const cut = `--${boundary}\r\nContent-Disposition: form-data; name="campaign"\r\n\r\nedge\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="l.csv"\r\n\r\nip,timestamp\r\n1.2.3.4,2014-06-01T00:00:00Z`;
    const r = await fetch(`${base}/api/v1/lists`, {
      method: 'POST',
      headers: { ...bearer('coordinator'), 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: cut,
    });
    if (r.status >= 500) process.stderr.write(`cut multipart: ${r.status} ${await r.clone().text()}\n`);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    const j = await body(r);
    expect(j.error.code).toEqual(expect.any(String));
    expect(JSON.stringify(j)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(await alive()).toBe(200);
  });

  it('survives a client that promises a body and hangs up half way', async () => {
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write(
          `POST /api/v1/lists HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.users.coordinator.token}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\nip,timestamp\r\n`,
        );
        setTimeout(() => s.destroy(), 50);
      });
      s.on('close', () => resolve());
      s.on('error', () => undefined);
    });
    expect(await alive()).toBe(200);
  });

  it('keeps serving everyone else while a slow client trickles its headers', async () => {
    const slow = net.connect(port, '127.0.0.1');
    slow.on('error', () => undefined);
    const header = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    let i = 0;
    const trickle = setInterval(() => slow.write(header[i++ % header.length]), 20);
    try {
      const codes = await Promise.all(Array.from({ length: 20 }, () => alive()));
      expect(codes.every((c) => c === 200)).toBe(true);
    } finally {
      clearInterval(trickle);
      slow.destroy();
    }
  });

  it('answers invalid UTF-8 in form fields and outcome notes without failing', async () => {
    const bad = Buffer.from([0x63, 0xff, 0xfe, 0x80]); // "c" then bytes that are not UTF-8
    const form = new FormData();
    form.set('campaign', new Blob([bad]).size ? bad.toString('latin1') : 'x');
    form.set('source', 'jpcert');
    form.set('file', new Blob(['ip,timestamp\n203.0.113.9,2014-06-01T00:00:00Z\n']), 'l.csv');
    const r1 = await fetch(`${base}/api/v1/lists`, { method: 'POST', headers: bearer('coordinator'), body: form });
    expect(r1.status).toBe(400);
    expect((await body(r1)).error.code).toBe('request.invalid');

    const batch = w.batches.a[0];
    const list = await body(await fetch(`${base}/api/v1/batches/${batch}/download?format=json`, { headers: bearer('memberA') }));
    const entryId = (Array.isArray(list) ? list : list.entries)[0].entryId;
    const json = Buffer.concat([
      Buffer.from(`{"outcomes":[{"entryId":"${entryId}","outcome":"notified","note":"`),
      bad,
      Buffer.from('"}]}'),
    ]);
    const r2 = await fetch(`${base}/api/v1/batches/${batch}/outcomes`, {
      method: 'POST',
      headers: { ...bearer('memberA'), 'content-type': 'application/json' },
      body: json,
    });
    expect([200, 400, 422]).toContain(r2.status);
    const j2 = await body(r2);
    if (r2.status === 200) {
      const note = (await w.ctx.pool.query(`SELECT note FROM outcomes ORDER BY id DESC LIMIT 1`)).rows[0].note as string;
      expect(Buffer.from(note, 'utf8').toString('utf8')).toBe(note); // stored as valid text (replacement characters)
    } else expect(j2.error.code).toEqual(expect.any(String));

    const csv = Buffer.concat([Buffer.from(`entry_id,outcome,note\r\n${entryId},notified,`), bad, Buffer.from('\r\n')]);
    const r3 = await fetch(`${base}/api/v1/batches/${batch}/outcomes`, {
      method: 'POST',
      headers: { ...bearer('memberA'), 'content-type': 'text/csv' },
      body: csv,
    });
    expect(r3.status).toBeLessThan(500);
    expect(await alive()).toBe(200);
  });

  it('refuses an enormous outcome report with 413 and a JSON error', async () => {
    const batch = w.batches.a[0];
    const row = '{"entryId":"e000000000000000000000000","outcome":"notified","note":"' + 'x'.repeat(900) + '"},';
    const huge = '{"outcomes":[' + row.repeat(Math.ceil((33 * 1024 * 1024) / row.length)) + '{}]}';
    const r = await fetch(`${base}/api/v1/batches/${batch}/outcomes`, {
      method: 'POST',
      headers: { ...bearer('memberA'), 'content-type': 'application/json' },
      body: huge,
    });
    expect(r.status).toBe(413);
    expect((await body(r)).error.code).toEqual(expect.any(String));
    expect(await alive()).toBe(200);
  });
});
