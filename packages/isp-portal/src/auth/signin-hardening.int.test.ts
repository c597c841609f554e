import type { FastifyInstance } from 'fastify';
import { asPortal, openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { smtpMailer, type Mailer } from '@deliveryline/router';
import { startSmtpCatcher, waitFor, type SmtpCatcher } from '@deliveryline/router/testing';
import { buildServer } from '../server';
import { DEFAULT_LIMITS, type PortalSettings } from '../settings';
import { listen, type Req, type Res } from '../testing/http-client';
import { PASSWORD, seedRegistry, seedUsers, type World } from '../testing/portal-world';
import { setUserActive } from '../repositories/identity.repository';
import { currentTotp } from './totp';

/**
 * Sign-in hardening (docs/portal.md, "ASVS level 2 — where we stand"), scripted against the real
 * portal over HTTP, PostgreSQL and a real SMTP server. The portal's clock is moved instead of
 * sleeping through back-off waits and locks.
 */
describe('sign-in hardening', () => {
  let ctx: TestContext;
  let smtp: SmtpCatcher;
  let mailer: Mailer;
  let users: World['users'];
  const servers: FastifyInstance[] = [];
  let send: (r: Req) => Promise<Res>;
  let sendViaProxy: (r: Req) => Promise<Res>;
  let now = Date.now();
  const later = (seconds: number) => (now += seconds * 1000);
  /** every test starts in a window of its own: no count or lock from the one before */
  beforeEach(() => later(24 * 3600));

  const limits = { ...DEFAULT_LIMITS, freeFailures: 3, lockFailures: 6, addressFailures: 20, totpSessionFailures: 3 };
  const settings: Partial<PortalSettings> = {
    requireTotp: true,
    totpRoles: ['coordinator'],
    cookieSecure: false,
    sessionHours: 8,
    sessionIdleMinutes: 30,
    signinPerMinute: 100000,
    limits,
    trustedProxies: [],
    clock: () => now,
  };

  beforeAll(async () => {
    ctx = await openTestContext();
    await seedRegistry(ctx);
    users = await seedUsers(ctx);
    smtp = await startSmtpCatcher();
    mailer = smtpMailer(smtp.url, 'deliveryline <noreply@example.jp>');
    servers.push(await buildServer(asPortal(ctx), { settings, mailer }));
    send = (await listen(servers[0])).send;
    // the same portal behind a proxy it trusts (the test client on 127.0.0.1 plays the proxy)
    servers.push(await buildServer(asPortal(ctx), { settings: { ...settings, trustedProxies: ['127.0.0.1'] }, mailer }));
    sendViaProxy = (await listen(servers[1])).send;
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    mailer?.close();
    await smtp?.close();
    await ctx?.close();
  });

  const en = { 'accept-language': 'en' };
  const session = (r: Res) => r.cookies.find((c) => c.name === 'dl_session')?.value;
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];
  const flashOf = (html: string) => /class="flash error"[^>]*>([^<]*)</.exec(html)?.[1]?.trim();
  const signIn = (email: string, password: string, via = send, headers: Record<string, string> = {}) =>
    via({ method: 'POST', url: '/signin', headers: { ...en, ...headers }, payload: { email, password } });
  const actions = async (like: string) =>
    (await ctx.pool.query(`SELECT action, details FROM audit_events WHERE action LIKE $1 ORDER BY id`, [like])).rows;
  /** the account notices caught for one address, of one kind (locked, recovery, changed) */
  const mailsTo = (to: string, kind = 'locked') =>
    smtp.mails.filter((m) => m.to.includes(to) && m.headers['x-deliveryline-notice'] === `account.${kind}`);

  /** the coordinator turns TOTP on (the policy requires it); the secret and the recovery codes shown once */
  let totp: { secret: string; codes: string[] };

  it('refuses a coordinator API token while its owner has no TOTP, then takes it once TOTP is on; the secret is stored sealed', async () => {
    const refused = await send({ url: '/api/v1/audit', headers: { authorization: `Bearer ${users.coordinator.token}`, ...en } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('token.totp_required');
    expect(refused.json().error.message).toContain('two-factor sign-in is required');
    const ja = await send({
      url: '/api/v1/lists',
      headers: { authorization: `Bearer ${users.coordinator.token}`, 'accept-language': 'ja' },
    });
    expect(ja.statusCode).toBe(403);
    expect(ja.json().error.message).toContain('二要素認証');
    // roles the policy does not cover keep their tokens
    expect((await send({ url: '/api/v1/batches', headers: { authorization: `Bearer ${users.memberA.token}` } })).statusCode).toBe(200);

    const s = session(await signIn(users.coordinator.email, PASSWORD))!;
    const account = await send({ url: '/account', cookies: { dl_session: s } });
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(account.body)![1];
    const on = await send({
      method: 'POST',
      url: '/account/totp',
      cookies: { dl_session: s },
      payload: { secret, code: currentTotp(secret), _csrf: csrfOf(account.body) },
    });
    expect(on.statusCode).toBe(200);
    const codes = [...on.body.matchAll(/<li>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})<\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    totp = { secret, codes };

    const stored = (await ctx.pool.query('SELECT totp_secret FROM users WHERE id = $1', [users.coordinator.id])).rows[0].totp_secret;
    expect(stored).toMatch(/^enc1:/);
    expect(stored).not.toContain(secret);
    const hashes = (await ctx.pool.query('SELECT code_hash FROM recovery_codes WHERE user_id = $1', [users.coordinator.id])).rows;
    expect(hashes).toHaveLength(10);
    expect(hashes.map((h) => h.code_hash).join()).not.toContain(codes[0].replace(/-/g, ''));
    const ok = await send({ url: '/api/v1/audit', headers: { authorization: `Bearer ${users.coordinator.token}` } });
    expect(ok.statusCode).toBe(200);
  });

  it('seals TOTP secrets stored in the clear before migration 0027: when the portal starts, and when one is read', async () => {
    const plain = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const stored = async (id: number) => (await ctx.pool.query('SELECT totp_secret FROM users WHERE id = $1', [id])).rows[0].totp_secret;
    const signInWithCode = async (email: string) => {
      const s = session(await signIn(email, PASSWORD))!;
      const form = await send({ url: '/signin/totp', cookies: { dl_session: s } });
      return send({
        method: 'POST',
        url: '/signin/totp',
        cookies: { dl_session: s },
        payload: { code: currentTotp(plain), _csrf: csrfOf(form.body) },
      });
    };
    await ctx.pool.query('UPDATE users SET totp_secret = $2 WHERE id = ANY($1)', [[users.memberB.id, users.sourceB.id], plain]);
    servers.push(await buildServer(asPortal(ctx), { settings, mailer })); // a portal process starting
    expect(await stored(users.memberB.id)).toMatch(/^enc1:/);
    expect((await signInWithCode(users.memberB.email)).headers.get('location')).toBe('/batches');

    await ctx.pool.query('UPDATE users SET totp_secret = $2 WHERE id = $1', [users.sourceB.id, plain]);
    expect((await signInWithCode(users.sourceB.email)).headers.get('location')).toBe('/lists');
    expect(await stored(users.sourceB.id)).toMatch(/^enc1:/);
  });

  /** signs the coordinator in with the password; the pending session and its CSRF token */
  async function pending(): Promise<{ s: string; csrf: string }> {
    const r = await signIn(users.coordinator.email, PASSWORD);
    expect(r.headers.get('location')).toMatch(/^\/signin\/totp/);
    const s = session(r)!;
    const form = await send({ url: '/signin/totp', cookies: { dl_session: s } });
    return { s, csrf: csrfOf(form.body) };
  }
  const code = (p: { s: string; csrf: string }, c: string) =>
    send({ method: 'POST', url: '/signin/totp', headers: en, cookies: { dl_session: p.s }, payload: { code: c, _csrf: p.csrf } });
  const wrongCode = (c: string) => String((Number(c) + 1) % 1000000).padStart(6, '0');

  it('takes a TOTP code once: the same code is refused in a second session', async () => {
    const a = await pending();
    const b = await pending();
    const c = currentTotp(totp.secret, 1); // the step after the one used to turn TOTP on
    const first = await code(a, c);
    expect(first.headers.get('location')).toBe('/dashboard');
    const replay = await code(b, c);
    expect(replay.headers.get('location')).toMatch(/wrong=1/);
    expect((await send({ url: '/dashboard', cookies: { dl_session: b.s } })).headers.get('location')).toBe('/signin/totp');
    const failed = await actions('user.totp_failed');
    expect(failed.at(-1).details.replay).toBe(true);
  });

  it('ends a pending session after a few wrong codes, and wrong codes count toward the account lock across new sign-ins', async () => {
    const wrong = wrongCode(currentTotp(totp.secret));
    const p1 = await pending();
    for (let i = 0; i < 2; i++) expect((await code(p1, wrong)).headers.get('location')).toMatch(/wrong=1/);
    const ended = await code(p1, wrong); // the third: the pending session is gone
    expect(ended.statusCode).toBe(401);
    expect(flashOf(ended.body)).toBe('Too many wrong codes: this sign-in has been ended. Sign in again.');
    expect((await send({ url: '/signin/totp', cookies: { dl_session: p1.s } })).headers.get('location')).toMatch(/^\/signin/);
    expect((await actions('user.totp_session_ended')).length).toBe(1);

    // three failures: from now on each attempt waits 2, 4, 8 … seconds, and a new sign-in does not start the count again
    const early = await signIn(users.coordinator.email, PASSWORD);
    expect(early.statusCode).toBe(429);
    expect(flashOf(early.body)).toMatch(/^Too many failed sign-in attempts\. Wait \d+ seconds/);
    later(2);
    const p2 = await pending();
    const tooSoon = await code(p2, wrong);
    expect(tooSoon.statusCode).toBe(429);
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0);
    later(2);
    expect((await code(p2, wrong)).headers.get('location')).toMatch(/wrong=1/); // 4 failures
    later(4);
    expect((await code(p2, wrong)).headers.get('location')).toMatch(/wrong=1/); // 5
    later(8);
    const locked = await code(p2, wrong); // 6: locked
    expect(locked.statusCode).toBe(401);
    expect(flashOf(locked.body)).toMatch(/^Sign-in to this account is paused after too many failed attempts\. Try again in 15 minutes/);
    later(60);
    // locked: even the right password and a right code do not get in
    const refused = await signIn(users.coordinator.email, PASSWORD);
    expect(refused.statusCode).toBe(429);
    await waitFor(() => mailsTo(users.coordinator.email).length === 1, 'the lock notice');
    const mail = mailsTo(users.coordinator.email)[0];
    expect(mail.subject).toBe('[deliveryline] サインインを一時停止しました / [deliveryline] Sign-in to your account is paused');
    expect(mail.text).toContain('127.0.0.1');
    expect(mail.text).toContain('failed 6 times');
    expect((await actions('user.locked')).at(-1).details).toMatchObject({ email: users.coordinator.email, failures: 6 });
  });

  it('lets a recovery code stand in for a TOTP code once, audits it and tells the owner', async () => {
    const before = mailsTo(users.coordinator.email, 'recovery').length;
    const p = await pending();
    const used = await code(p, totp.codes[3].toLowerCase()); // case and hyphens do not matter
    expect(used.headers.get('location')).toBe('/dashboard');
    const again = await pending();
    expect((await code(again, totp.codes[3])).headers.get('location')).toMatch(/wrong=1/);
    expect((await actions('user.recovery_code_used')).at(-1).details).toMatchObject({ ip: '127.0.0.1', left: 9 });
    await waitFor(() => mailsTo(users.coordinator.email, 'recovery').length === before + 1, 'the recovery-code notice');
    expect(mailsTo(users.coordinator.email, 'recovery').at(-1)!.text).toContain('9 unused recovery codes are left');

    // new codes from /account replace the old ones
    const s = session(await code(again, totp.codes[4]))!;
    const account = await send({ url: '/account', headers: en, cookies: { dl_session: s } });
    expect(account.body).toContain('Unused recovery codes: 8');
    const fresh = await send({
      method: 'POST',
      url: '/account/recovery-codes',
      cookies: { dl_session: s },
      payload: { _csrf: csrfOf(account.body) },
    });
    const old = totp.codes;
    totp.codes = [...fresh.body.matchAll(/<li>([A-Z2-9-]{14})<\/li>/g)].map((m) => m[1]);
    expect(totp.codes).toHaveLength(10);
    await waitFor(
      () => mailsTo(users.coordinator.email, 'changed').length === 2,
      'the notices of TOTP turned on and of new recovery codes',
    );
    expect(mailsTo(users.coordinator.email, 'changed')[1].text).toContain('new recovery codes were made');
    expect((await code(await pending(), old[5])).headers.get('location')).toMatch(/wrong=1/);
  });

  it('counts padded, case-varied and full-width spellings of one e-mail as one account: back-off, lock, notice e-mail, coordinator unlock', async () => {
    const spellings = [
      '  MemberA@Portal.Test ',
      'MEMBERA@PORTAL.TEST',
      'ｍｅｍｂｅｒａ＠ｐｏｒｔａｌ．ｔｅｓｔ',
      '\tmembera@portal.test\t',
    ];
    const attempt = (i: number) => signIn(spellings[i % spellings.length], 'wrong password!!');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await attempt(i)).statusCode);
    const wait = await attempt(3); // no wait yet: refused without checking the password
    statuses.push(wait.statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
    // a scripted burst of 25 in a row gets nothing checked
    const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => attempt(i)));
    expect(new Set(burst.map((r) => r.statusCode))).toEqual(new Set([429]));
    for (const s of [2, 4, 8]) {
      later(s);
      expect((await attempt(s)).statusCode).toBe(401);
    }
    later(16);
    const locking = await attempt(0);
    const lockText = flashOf(locking.body);
    expect(lockText).toMatch(/^Sign-in to this account is paused/);
    later(60);
    // the right password does not get in while it is locked, however it is spelt
    expect((await signIn(' MEMBERA@portal.test', PASSWORD)).statusCode).toBe(429);
    await waitFor(() => mailsTo(users.memberA.email).length === 1, 'the lock notice');
    expect((await actions('user.signin_failed')).filter((a) => a.details.email === users.memberA.email)).toHaveLength(6);

    // an address with no account gets the very same answers, and no e-mail goes anywhere
    const ghost = async () => flashOf((await signIn('ghost@portal.test', 'wrong password!!')).body);
    for (let i = 0; i < 3; i++) expect(await ghost()).toBe('The e-mail address or password is not right.');
    for (const s of [2, 4, 8]) {
      later(s);
      await ghost();
    }
    later(16);
    expect(await ghost()).toBe(lockText);
    expect(smtp.mails.some((m) => m.to.includes('ghost@portal.test'))).toBe(false);

    // a coordinator unlocks the member before the lock runs out
    const c = await pending();
    const s = session(await code(c, totp.codes[0]))!;
    const usersPage = await send({ url: '/users', headers: en, cookies: { dl_session: s } });
    expect(usersPage.body).toContain('locked until');
    const unlock = await send({
      method: 'POST',
      url: `/users/${users.memberA.id}/unlock`,
      headers: en,
      cookies: { dl_session: s },
      payload: { _csrf: csrfOf(usersPage.body) },
    });
    expect(unlock.body).toContain('Sign-in for membera@portal.test is unlocked.');
    expect((await actions('user.unlocked')).length).toBe(1);
    expect((await signIn('MemberA@portal.test ', PASSWORD)).statusCode).toBe(303);
  });

  it('does not believe X-Forwarded-For from a client that is not a trusted proxy: spraying across accounts meets the per-address limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      // a new account and a new claimed address every time
      const r = await signIn(`spray${i}@portal.test`, 'wrong password!!', send, { 'x-forwarded-for': `198.51.100.${i}` });
      statuses.push(r.statusCode);
      if (r.statusCode === 429) expect(flashOf(r.body)).toMatch(/^Too many failed sign-ins from your network/);
    }
    expect(statuses.slice(0, 20).every((c) => c === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    const ips = new Set((await actions('user.signin_failed')).filter((a) => a.details.email.startsWith('spray')).map((a) => a.details.ip));
    expect([...ips]).toEqual(['127.0.0.1']);
  });

  it('behind a trusted proxy, takes the forwarded address, and a rotating one does not get round the account limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      if (i >= 3) later(2 ** (i - 2));
      const r = await signIn(users.viewer.email, 'wrong password!!', sendViaProxy, { 'x-forwarded-for': `203.0.113.${i}` });
      statuses.push(r.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    later(1);
    expect((await signIn(users.viewer.email, PASSWORD, sendViaProxy, { 'x-forwarded-for': '203.0.113.99' })).statusCode).toBe(429);
    const ips = (await actions('user.signin_failed')).filter((a) => a.details.email === users.viewer.email).map((a) => a.details.ip);
    expect(ips).toEqual(['203.0.113.0', '203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5']);
  });

  it('keeps sessions to ASVS V3: new id at sign-in, cookie flags, idle and absolute timeouts, sign-out, password change, disabled account', async () => {
    const first = await signIn(users.sourceA.email, PASSWORD);
    const s1 = session(first)!;
    const cookie = first.cookies.find((c) => c.name === 'dl_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    // signing in again with the old cookie: a new id, and the old session is gone
    const second = await send({
      method: 'POST',
      url: '/signin',
      cookies: { dl_session: s1 },
      payload: { email: users.sourceA.email, password: PASSWORD },
    });
    const s2 = session(second)!;
    expect(s2).not.toBe(s1);
    expect((await send({ url: '/lists', cookies: { dl_session: s1 } })).statusCode).toBe(303);
    expect((await send({ url: '/lists', cookies: { dl_session: s2 } })).statusCode).toBe(200);

    // idle: 29 minutes apart is fine, 31 is not
    later(29 * 60);
    expect((await send({ url: '/lists', cookies: { dl_session: s2 } })).statusCode).toBe(200);
    later(31 * 60);
    expect((await send({ url: '/lists', cookies: { dl_session: s2 } })).headers.get('location')).toMatch(/^\/signin/);
    // absolute: used every 20 minutes, it still ends after 8 hours
    const s3 = session(await signIn(users.sourceA.email, PASSWORD))!;
    for (let m = 20; m < 8 * 60; m += 20) {
      later(20 * 60);
      expect((await send({ url: '/lists', cookies: { dl_session: s3 } })).statusCode).toBe(200);
    }
    later(20 * 60);
    expect((await send({ url: '/lists', cookies: { dl_session: s3 } })).statusCode).toBe(303);

    // sign-out ends the session on the server, not only in the browser
    const s4 = session(await signIn(users.sourceA.email, PASSWORD))!;
    const page = await send({ url: '/lists', cookies: { dl_session: s4 } });
    await send({ method: 'POST', url: '/signout', cookies: { dl_session: s4 }, payload: { _csrf: csrfOf(page.body) } });
    expect((await send({ url: '/lists', cookies: { dl_session: s4 } })).statusCode).toBe(303);

    // a password change ends the user's other sessions and keeps the one that changed it
    const here = session(await signIn(users.sourceA.email, PASSWORD))!;
    const elsewhere = session(await signIn(users.sourceA.email, PASSWORD))!;
    const form = await send({ url: '/account/password', cookies: { dl_session: here } });
    const NEW = 'a new password of my own';
    const change = (current: string) =>
      send({
        method: 'POST',
        url: '/account/password',
        headers: en,
        cookies: { dl_session: here },
        payload: { current, password: NEW, again: NEW, _csrf: csrfOf(form.body) },
      });
    // ASVS 2.1.1/2.1.2: fewer than 12 or more than 128 characters are refused, nothing changes
    for (const [pw, text] of [
      ['x'.repeat(129), 'Use a password of at most 128 characters.'],
      ['elevenchars', 'Use a password of at least 12 characters.'],
    ] as const) {
      const r = await send({
        method: 'POST',
        url: '/account/password',
        headers: en,
        cookies: { dl_session: here },
        payload: { current: PASSWORD, password: pw, again: pw, _csrf: csrfOf(form.body) },
      });
      expect({ status: r.statusCode, flash: flashOf(r.body) }).toEqual({ status: 400, flash: text });
    }
    const wrong = await change('not my password');
    expect(wrong.statusCode).toBe(400);
    expect(flashOf(wrong.body)).toBe('The current password is not right.');
    expect((await change(PASSWORD)).statusCode).toBe(303);
    await waitFor(() => mailsTo(users.sourceA.email, 'changed').length === 1, 'the password-change notice');
    expect(mailsTo(users.sourceA.email, 'changed')[0].text).toContain('the password was changed');
    expect((await send({ url: '/lists', cookies: { dl_session: here } })).statusCode).toBe(200);
    expect((await send({ url: '/lists', cookies: { dl_session: elsewhere } })).statusCode).toBe(303);
    const changes = await actions('user.password_changed');
    expect(changes).toHaveLength(1); // the wrong current password changed nothing
    expect(changes[0].details.sessionsEnded).toBeGreaterThanOrEqual(1);

    // a disabled account's sessions end with it
    await setUserActive(ctx.pool, users.sourceA.id, false);
    expect((await send({ url: '/lists', cookies: { dl_session: here } })).statusCode).toBe(303);
    expect(Number((await ctx.pool.query('SELECT count(*) FROM sessions WHERE user_id = $1', [users.sourceA.id])).rows[0].count)).toBe(0);
  });
});
