import { asPortal } from '@deliveryline/shared/testing';
import { campaignReport } from '@deliveryline/reports';
import type { FastifyInstance } from 'fastify';

import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, type Mailer } from '@deliveryline/router';
import { buildServer } from './server';
import { buildWorld, type World } from './testing/portal-world';
import { listen, type Req, type Res } from './testing/http-client';

const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };

/** The campaign's figures: the same numbers on the page, in the API and in `dline report`, in each role's scope. */
describe('campaign figures in the portal', () => {
  let w: World;
  let server: FastifyInstance;
  let send: (r: Req) => Promise<Res>;
  const bearer = (k: keyof World['users']) => ({ authorization: `Bearer ${w.users[k].token}` });

  beforeAll(async () => {
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    server = await buildServer(asPortal(w.ctx), {
      settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 100 },
    });
    send = (await listen(server)).send;
    // member A reports on its first batch: one notified, one not identified
    const dl = (await send({ url: `/api/v1/batches/${w.batches.a[0]}/download?format=json`, headers: bearer('memberA') })).json();
    const entries = Array.isArray(dl) ? dl : dl.entries;
    const r = await send({
      method: 'POST',
      url: `/api/v1/batches/${w.batches.a[0]}/outcomes`,
      headers: bearer('memberA'),
      payload: {
        outcomes: [
          { entryId: entries[0].entryId, outcome: 'notified' },
          ...(entries[1] ? [{ entryId: entries[1].entryId, outcome: 'not_identified' }] : []),
        ],
      },
    });
    expect(r.statusCode).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
    await w?.close();
  });

  it('shows the same exact figures in the API, on the page and in the CLI report', async () => {
    const cli = await campaignReport(w.ctx.pool, 'goz');
    const api = (await send({ url: '/api/v1/campaigns/goz/stats', headers: bearer('coordinator') })).json();
    expect(api.table.total).toMatchObject({ received: cli.total.received, delivered: cli.total.delivered, returned: cli.total.returned });
    expect(api.table.total.notified).toBe(1);
    const independent = (
      await w.ctx.pool.query(
        `SELECT count(*) FILTER (WHERE r.state = 'delivered')::int AS delivered, count(*)::int AS received
         FROM routes r JOIN lists l ON l.id = r.list_id WHERE l.campaign_id = 'goz'`,
      )
    ).rows[0];
    expect(api.table.total).toMatchObject(independent);
    const page = await send({ url: '/campaigns/goz', headers: { ...bearer('coordinator'), 'accept-language': 'en' } });
    expect(page.statusCode).toBe(200);
    for (const n of [cli.total.received, cli.total.delivered, cli.total.returned]) expect(page.body).toContain(n.toLocaleString('en-US'));
    expect(page.body).toContain('<svg');
    const csv = await send({ url: '/api/v1/campaigns/goz/stats?format=csv', headers: bearer('coordinator') });
    expect(csv.body).toContain(String(cli.total.received));
  });

  it("never names another member in a member's figures, and gives a source no per-member rows", async () => {
    const m = await send({ url: '/api/v1/campaigns/goz/stats', headers: bearer('memberA') });
    expect(m.statusCode).toBe(200);
    expect(m.body).not.toContain('isp-b');
    expect(m.json().own.memberId).toBe('isp-a');
    expect(m.json().members).toBeUndefined();
    const page = await send({ url: '/campaigns/goz', headers: bearer('memberA') });
    expect(page.body).not.toContain('isp-b');
    const s = (await send({ url: '/api/v1/campaigns/goz/stats', headers: bearer('sourceA') })).json();
    expect(s.members).toBeUndefined();
    expect(s.own).toBeUndefined();
    expect((await send({ url: '/api/v1/campaigns/vaw/stats', headers: bearer('sourceA') })).statusCode).toBe(404);
  });

  it('prints the management report as a PDF', async () => {
    const r = await send({ url: '/api/v1/campaigns/goz/report.pdf', headers: bearer('coordinator') });
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });
});
