import type { FastifyInstance } from 'fastify';
import { openTestContext, type TestContext, asPortal } from '@deliveryline/shared/testing';
import { buildServer } from '../server';
import { listen, type Req, type Res } from '../testing/http-client';
import { PASSWORD, seedRegistry, seedUsers, type World } from '../testing/portal-world';
import { currentTotp } from './totp';

describe('TOTP second factor', () => {
  let ctx: TestContext;
  let server: FastifyInstance;
  let send: (r: Req) => Promise<Res>;
  let users: World['users'];

  beforeAll(async () => {
    ctx = await openTestContext();
    await seedRegistry(ctx);
    users = await seedUsers(ctx);
    server = await buildServer(asPortal(ctx), {
      settings: { requireTotp: true, cookieSecure: false, sessionHours: 1, signinPerMinute: 100 },
    });
    send = (await listen(server)).send;
  });
  afterAll(async () => {
    await server?.close();
    await ctx?.close();
  });

  async function signIn(): Promise<string> {
    const r = await send({ method: 'POST', url: '/signin', payload: { email: users.coordinator.email, password: PASSWORD } });
    return r.cookies.find((c) => c.name === 'dl_session')!.value;
  }
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];

  it('makes a coordinator set it up when the setting requires it, then asks for a code at every sign-in', async () => {
    const s1 = await signIn();
    const blocked = await send({ url: '/dashboard', cookies: { dl_session: s1 } });
    expect(blocked.statusCode).toBe(303);
    expect(blocked.headers.get('location')).toBe('/account');
    expect((await send({ url: '/api/v1/figures', cookies: { dl_session: s1 } })).statusCode).toBe(401);

    const account = await send({ url: '/account', cookies: { dl_session: s1 } });
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(account.body)![1];
    const wrong = await send({
      method: 'POST',
      url: '/account/totp',
      cookies: { dl_session: s1 },
      payload: { secret, code: '000000', _csrf: csrfOf(account.body) },
    });
    expect(wrong.statusCode).toBe(400);
    const ok = await send({
      method: 'POST',
      url: '/account/totp',
      cookies: { dl_session: s1 },
      payload: { secret, code: currentTotp(secret), _csrf: csrfOf(account.body) },
    });
    expect(ok.statusCode).toBe(200); // the page shows the recovery codes once
    expect(ok.body).toContain('id="recovery-codes"');
    expect((await send({ url: '/dashboard', cookies: { dl_session: s1 } })).statusCode).toBe(200);

    const s2 = await signIn();
    const pending = await send({ url: '/dashboard', cookies: { dl_session: s2 } });
    expect(pending.headers.get('location')).toBe('/signin/totp');
    const form = await send({ url: '/signin/totp', cookies: { dl_session: s2 } });
    const bad = await send({
      method: 'POST',
      url: '/signin/totp',
      cookies: { dl_session: s2 },
      payload: { code: '123456', _csrf: csrfOf(form.body) },
    });
    expect(bad.headers.get('location')).toMatch(/wrong=1/);
    const good = await send({
      method: 'POST',
      url: '/signin/totp',
      cookies: { dl_session: s2 },
      payload: { code: currentTotp(secret, 1), _csrf: csrfOf(form.body) }, // the step used to turn it on is spent
    });
    expect(good.headers.get('location')).toBe('/dashboard');
    // the session has a new id once the second factor passed; the pending one's cookie is worth nothing
    const s3 = good.cookies.find((c) => c.name === 'dl_session')!.value;
    expect(s3).not.toBe(s2);
    expect((await send({ url: '/dashboard', cookies: { dl_session: s3 } })).statusCode).toBe(200);
    expect((await send({ url: '/dashboard', cookies: { dl_session: s2 } })).headers.get('location')).toMatch(/^\/signin/);
    const actions = (await ctx.pool.query(`SELECT action FROM audit_events WHERE action LIKE 'user.totp%' ORDER BY id`)).rows.map(
      (r) => r.action,
    );
    expect(actions).toEqual(['user.totp_enabled', 'user.totp_failed', 'user.totp_ok']);
  });

  it('does not ask members for a second factor they have not set up', async () => {
    const r = await send({ method: 'POST', url: '/signin', payload: { email: users.memberA.email, password: PASSWORD } });
    const s = r.cookies.find((c) => c.name === 'dl_session')!.value;
    expect((await send({ url: '/batches', cookies: { dl_session: s } })).statusCode).toBe(200);
  });
});
