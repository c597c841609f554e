import type { FastifyInstance } from 'fastify';
import { asPortal, until } from '@deliveryline/shared/testing';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, type Mailer } from '@deliveryline/router';
import { buildServer } from '../server';
import { buildWorld, type World } from '../testing/portal-world';
import { listen, type Req, type Res } from '../testing/http-client';

/** Audited reads and refusals: one audit event per API list view and per refused attempt of a known caller. */
describe('access audit', () => {
  let w: World;
  let server: FastifyInstance;
  let app: { inject(r: Req): Promise<Res> };
  const bearer = (k: keyof World['users']) => ({ authorization: `Bearer ${w.users[k].token}` });
  const events = async (action: string) =>
    (await w.ctx.pool.query('SELECT actor, details FROM audit_events WHERE action = $1 ORDER BY id', [action])).rows;

  beforeAll(async () => {
    const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    server = await buildServer(asPortal(w.ctx), {
      settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 100 },
    });
    app = { inject: (await listen(server)).send };
  });
  afterAll(async () => {
    await server?.close();
    await w?.close();
  });

  it('records a list view through the API with its path and count, and nothing for a single object', async () => {
    const r = await app.inject({ url: '/api/v1/members', headers: bearer('coordinator') });
    expect(r.statusCode).toBe(200);
    const n = (JSON.parse(r.body).members as unknown[]).length;
    const got = await until('api.read', async () => (await events('api.read'))[0]);
    expect(got).toEqual({ actor: `token:${w.users.coordinator.tokenId}`, details: { method: 'GET', path: '/api/v1/members', count: n } });
    await app.inject({ url: '/api/v1/me', headers: bearer('coordinator') });
    await app.inject({ url: '/api/v1/members', headers: bearer('coordinator') });
    await until('second api.read', async () => (await events('api.read')).length === 2);
    expect((await events('api.read')).map((e) => e.details.path)).toEqual(['/api/v1/members', '/api/v1/members']);
  });

  it('records a file read as a download (returned entries), and not a batch file twice', async () => {
    const r = await app.inject({ url: `/api/v1/lists/${w.lists.a}/returned?format=sjis`, headers: bearer('sourceA') });
    expect(r.statusCode).toBe(200);
    const got = await until('file.read', async () => (await events('file.read'))[0]);
    expect(got).toEqual({
      actor: `token:${w.users.sourceA.tokenId}`,
      details: { method: 'GET', path: `/api/v1/lists/${w.lists.a}/returned`, query: 'format=sjis' },
    });
    const b = await app.inject({ url: `/api/v1/batches/${w.batches.a[0]}/download?format=csv`, headers: bearer('memberA') });
    expect(b.statusCode).toBe(200);
    await until('batch.download', async () => (await events('batch.download')).length === 1);
    expect(await events('file.read')).toHaveLength(1);
  });

  it("records a member's refused attempts and an unknown token's, not an anonymous visitor's", async () => {
    const refused = await app.inject({ url: '/api/v1/audit', headers: bearer('memberA') });
    expect(refused.statusCode).toBe(403);
    const unknown = await app.inject({ url: '/api/v1/batches', headers: { authorization: 'Bearer dlt_nobody' } });
    expect(unknown.statusCode).toBe(401);
    await app.inject({ url: '/api/v1/batches' }); // no caller at all: not recorded
    await until('two refusals', async () => (await events('access.refused')).length >= 2);
    expect(await events('access.refused')).toEqual([
      { actor: `token:${w.users.memberA.tokenId}`, details: { method: 'GET', path: '/api/v1/audit', status: 403 } },
      { actor: 'anonymous', details: { method: 'GET', path: '/api/v1/batches', status: 401 } },
    ]);
  });
});
