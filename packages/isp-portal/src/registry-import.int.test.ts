import { asPortal } from '@deliveryline/shared/testing';
import type { FastifyInstance } from 'fastify';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, type Mailer } from '@deliveryline/router';
import { buildServer } from './server';
import { buildWorld, type World } from './testing/portal-world';
import { listen } from './testing/http-client';

/** A coordinator imports prefixes in the browser: a dry run shows every change and writes nothing; then it is written and audited. */
describe('registry import in the portal', () => {
  let w: World;
  let server: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    server = await buildServer(asPortal(w.ctx), {
      settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 100 },
    });
    base = (await listen(server)).base;
  });
  afterAll(async () => {
    await server?.close();
    await w?.close();
  });
  const post = (csv: string, dryRun: boolean, token = w.users.coordinator.token) => {
    const form = new FormData();
    form.set('kind', 'prefixes');
    if (dryRun) form.set('dryRun', '1');
    form.set('file', new Blob([csv]), 'prefixes.csv');
    return fetch(`${base}/members/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'accept-language': 'en' },
      body: form,
    });
  };
  const count = async () => (await w.ctx.pool.query(`SELECT count(*)::int AS n FROM prefixes WHERE cidr = '198.18.100.0/24'`)).rows[0].n;

  it('shows the changes of a dry run, writes them only when asked, and refuses bad rows with line and field', async () => {
    const csv = 'member_id,cidr,valid_from,valid_to\nisp-a,198.18.100.0/24,,\n';
    const dry = await post(csv, true);
    expect(dry.status).toBe(200);
    const page = await dry.text();
    expect(page).toContain('Dry run');
    expect(page).toContain('198.18.100.0/24');
    expect(await count()).toBe(0);
    const real = await post(csv, false);
    expect(real.status).toBe(200);
    expect(await count()).toBe(1);
    const bad = await post('member_id,cidr\nisp-a,10.1.2.3/8\nnobody,203.0.113.0/24\n', false);
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toContain('10.0.0.0/8'); // the network it meant
    expect(text).toContain('nobody');
  });

  it('shows the data-quality report to coordinators', async () => {
    const r = await fetch(`${base}/members/check`, {
      headers: { authorization: `Bearer ${w.users.coordinator.token}`, 'accept-language': 'en' },
    });
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('Prefixes that changed hands');
    const ja = await fetch(`${base}/members/check`, {
      headers: { authorization: `Bearer ${w.users.coordinator.token}`, 'accept-language': 'ja' },
    });
    expect(await ja.text()).toContain('保有者が変わったプレフィックス');
    expect((await fetch(`${base}/members/check`, { headers: { authorization: `Bearer ${w.users.memberA.token}` } })).status).toBe(403);
  });

  it('is for coordinators only', async () => {
    expect((await post('member_id,cidr\n', true, w.users.memberA.token)).status).toBe(403);
  });
});
