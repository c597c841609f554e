import { asPortal } from '@deliveryline/shared/testing';
import type { FastifyInstance } from 'fastify';
import { verifyAudit } from '@deliveryline/shared';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, type Mailer } from '@deliveryline/router';
import { buildServer } from './server';
import { withScope } from './repositories/scope';
import { createToken, createUser } from './services/users';
import { buildWorld, PASSWORD, waitReleased, type World } from './testing/portal-world';
import { listen, type Req, type Res } from './testing/http-client';

const METRICS_TOKEN = 'metrics-scraper-token-of-this-test';

const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };

describe('portal API', () => {
  let w: World;
  let server: FastifyInstance;
  let app: { inject(r: Req): Promise<Res> };
  let base: string;
  const bearer = (k: keyof World['users']) => ({ authorization: `Bearer ${w.users[k].token}` });

  beforeAll(async () => {
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    server = await buildServer(asPortal(w.ctx), {
      settings: {
        requireTotp: false,
        cookieSecure: false,
        sessionHours: 1,
        signinPerMinute: 5,
        metricsToken: METRICS_TOKEN,
        trustedProxies: ['127.0.0.1'], // the test client stands in for a proxy naming other clients
      },
    });
    const c = await listen(server);
    app = { inject: c.send };
    base = c.base;
  });
  afterAll(async () => {
    await server?.close();
    await w?.close();
  });

  it('signs in with a password, refuses a wrong one, and audits both', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/signin',
      payload: { email: w.users.memberA.email, password: 'wrong password!!' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).toContain('パスワードが違います');
    const ok = await app.inject({ method: 'POST', url: '/signin', payload: { email: w.users.memberA.email, password: PASSWORD } });
    expect(ok.statusCode).toBe(303);
    const cookie = ok.cookies.find((c) => c.name === 'dl_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    const page = await app.inject({ url: '/batches', cookies: { dl_session: cookie.value }, headers: { 'accept-language': 'en' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Our figures');
    const actions = (await w.ctx.pool.query(`SELECT action FROM audit_events WHERE action LIKE 'user.signin%' ORDER BY id`)).rows.map(
      (r) => r.action,
    );
    expect(actions).toEqual(['user.signin_failed', 'user.signin']);
  });

  it('refuses a form post without the session CSRF token', async () => {
    const s = await app.inject({ method: 'POST', url: '/signin', payload: { email: w.users.coordinator.email, password: PASSWORD } });
    const cookie = s.cookies.find((c) => c.name === 'dl_session')!.value;
    const r = await app.inject({
      method: 'POST',
      url: '/account/tokens',
      cookies: { dl_session: cookie },
      payload: { name: 'x' },
      headers: { accept: 'text/html' },
    });
    expect(r.statusCode).toBe(403);
    expect(r.body).toContain('フォームの有効期限');
    const page = await app.inject({ url: '/account', cookies: { dl_session: cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
    const ok = await app.inject({
      method: 'POST',
      url: '/account/tokens',
      cookies: { dl_session: cookie },
      payload: { name: 'nightly', scope: 'read', _csrf: csrf },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/id="new-token">dlt_[\w-]+</);
  });

  it('limits sign-in requests per client address (the flood guard in front of the limits in PostgreSQL)', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const email = `nobody${i}@portal.test`; // a different account each time: only the address is limited here
      codes.push(
        (
          await app.inject({
            method: 'POST',
            url: '/signin',
            headers: { 'x-forwarded-for': '192.0.2.7' },
            payload: { email, password: 'not the password' },
          })
        ).statusCode,
      );
    }
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(codes[6]).toBe(429);
  });

  it('gives a member its own batches only, downloads them in three formats, and audits each download', async () => {
    const list = await app.inject({ url: '/api/v1/batches', headers: bearer('memberA') });
    expect(list.statusCode).toBe(200);
    const batches = list.json().batches as { id: number; member: string }[];
    expect(batches.map((b) => b.id).sort()).toEqual([...w.batches.a].sort());
    expect(new Set(batches.map((b) => b.member))).toEqual(new Set(['isp-a']));
    const id = w.batches.a[0];
    const csv = await app.inject({ url: `/api/v1/batches/${id}/download?format=csv`, headers: bearer('memberA') });
    expect(csv.statusCode).toBe(200);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'entry_id,ip,port,observed_at_jst,observed_at_utc,malware,campaign,round,tlp,relapse,outcome,notified_at,channel,note',
    );
    expect(lines).toHaveLength(7);
    expect(lines.slice(1).every((l) => /^e[0-9a-f]{24},101\.0\.1\.\d,\d+,2026-11-/.test(l))).toBe(true);
    const excel = await app.inject({ url: `/api/v1/batches/${id}/download?format=excel`, headers: bearer('memberA') });
    expect(excel.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const json = await app.inject({ url: `/api/v1/batches/${id}/download?format=json`, headers: bearer('memberA') });
    expect(json.json()).toHaveLength(6);
    const audits = (
      await w.ctx.pool.query(
        `SELECT actor, details->>'format' AS format FROM audit_events WHERE action = 'batch.download' AND object = $1 ORDER BY id`,
        [`batch:${id}`],
      )
    ).rows;
    expect(audits).toEqual(['csv', 'excel', 'json'].map((format) => ({ actor: `token:${w.users.memberA.tokenId}`, format })));
    const state = await app.inject({ url: `/api/v1/batches/${id}`, headers: bearer('memberA') });
    expect(state.json().batch.state).toBe('downloaded');
  });

  it("stores outcomes per row, refuses another member's entry with a row number, and closes the batch", async () => {
    const id = w.batches.a[0];
    const csv = (await app.inject({ url: `/api/v1/batches/${id}/download`, headers: bearer('memberA') })).body.trim().split('\r\n');
    const bRef = (await w.ctx.pool.query(`SELECT ref FROM batch_entries WHERE batch_id = $1 LIMIT 1`, [w.batches.b[0]])).rows[0].ref;
    const refs = csv.slice(1).map((l) => l.split(',')[0]);
    const soon = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'); // after the release
    const filled = [
      'entry_id,outcome,notified_at,channel',
      ...refs.map((ref, i) => `${ref},${i === 1 ? 'maybe' : 'notified'},${soon},email`),
      `${bRef},notified,,`,
    ];
    const first = await app.inject({
      method: 'POST',
      url: `/api/v1/batches/${id}/outcomes`,
      headers: { ...bearer('memberA'), 'content-type': 'text/csv' },
      payload: filled.join('\r\n'),
    });
    expect(first.statusCode).toBe(200);
    const r = first.json();
    expect(r.stored).toBe(5);
    expect(r.rejected).toEqual([
      expect.objectContaining({ row: 2, field: 'outcome', code: 'outcome.invalid' }),
      expect.objectContaining({ row: 7, field: 'entryId', code: 'entry.not_in_batch' }),
    ]);
    expect(r.batchClosed).toBe(false);
    const second = await app.inject({
      method: 'POST',
      url: `/api/v1/batches/${id}/outcomes`,
      headers: bearer('memberA'),
      payload: { outcomes: [{ entryId: refs[1], outcome: 'not_identified' }] },
    });
    expect(second.json()).toMatchObject({ stored: 1, rejected: [], batchClosed: true });
    const noHeader = await app.inject({
      method: 'POST',
      url: `/api/v1/batches/${id}/outcomes`,
      headers: { ...bearer('memberA'), 'content-type': 'text/csv', 'accept-language': 'en' },
      payload: 'a,b\n1,2\n',
    });
    expect(noHeader.statusCode).toBe(400);
    expect(noHeader.json().error).toMatchObject({ code: 'outcomes.header', message: expect.stringContaining('entry_id and outcome') });
    const fig = (await app.inject({ url: '/api/v1/figures', headers: bearer('memberA') })).json();
    expect(fig.batches).toMatchObject({ reported: 6, notified: 5, closed: 1 });
    expect(fig.lists).toBeNull();
  });

  it('a read-only token cannot change anything', async () => {
    const t = await createToken(w.ctx.pool, { userId: w.users.memberA.id, name: 'ro', scope: 'read', actor: 'test' });
    const r = await app.inject({
      method: 'POST',
      url: `/api/v1/batches/${w.batches.a[0]}/outcomes`,
      headers: { authorization: `Bearer ${t.token}` },
      payload: { outcomes: [] },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('token.read_only');
  });

  it('row-level security holds even for a query without any WHERE', async () => {
    const scope = { role: 'member' as const, memberId: 'isp-a', sourceId: null };
    const portalPool = asPortal(w.ctx).pool; // the portal's own database role
    const seen = await withScope(portalPool, scope, async (db) => ({
      batches: (await db.query('SELECT DISTINCT member_id FROM batches')).rows.map((r) => r.member_id),
      routes: (await db.query('SELECT DISTINCT member_id FROM routes')).rows.map((r) => r.member_id),
      entries: (await db.query(`SELECT count(*)::int AS n FROM entries WHERE host(ip) LIKE '102.%'`)).rows[0].n,
      outcomes: (await db.query('SELECT DISTINCT member_id FROM outcomes')).rows.map((r) => r.member_id),
    }));
    expect(seen).toEqual({ batches: ['isp-a'], routes: ['isp-a'], entries: 0, outcomes: ['isp-a'] });
    const src = await withScope(portalPool, { role: 'source', memberId: null, sourceId: 'jpcert' }, async (db) =>
      (await db.query('SELECT DISTINCT list_id FROM rejects')).rows.map((r) => Number(r.list_id)),
    );
    expect(src).toEqual([w.lists.a]);
  });

  it("gives a source its returned entries and rejects, and not another source's", async () => {
    const ret = await app.inject({ url: `/api/v1/lists/${w.lists.a}/returned?format=csv`, headers: bearer('sourceA') });
    expect(ret.statusCode).toBe(200);
    expect(ret.body).toContain('150.0.1.9');
    expect(ret.body).toContain('no_member');
    // in the source file's own columns, plus the reason
    expect(ret.body.split(/\r?\n/)[0]).toBe('ip,timestamp,port,malware,return_reason');
    const rej = (await app.inject({ url: `/api/v1/lists/${w.lists.a}/rejects`, headers: bearer('sourceA') })).json();
    expect(rej.rejects[0]).toMatchObject({ reason: 'ip.leading_zero' });
    expect((await app.inject({ url: `/api/v1/lists/${w.lists.b}/returned`, headers: bearer('sourceA') })).statusCode).toBe(404);
  });

  it('a member proposes a prefix, a coordinator approves it, and it takes effect from valid_from', async () => {
    const p = await app.inject({
      method: 'POST',
      url: '/api/v1/proposals',
      headers: bearer('memberA'),
      payload: { kind: 'prefix.add', cidr: '101.1.0.0/16', validFrom: '2026-12-01T00:00:00Z' },
    });
    expect(p.statusCode).toBe(201);
    const pid = p.json().proposal.id;
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `/api/v1/proposals/${pid}/decision`,
          headers: bearer('memberA'),
          payload: { approve: true },
        })
      ).statusCode,
    ).toBe(403);
    const d = await app.inject({
      method: 'POST',
      url: `/api/v1/proposals/${pid}/decision`,
      headers: bearer('coordinator'),
      payload: { approve: true },
    });
    expect(d.json().proposal.state).toBe('approved');
    const pre = (await w.ctx.pool.query(`SELECT member_id, valid_from FROM prefixes WHERE cidr = '101.1.0.0/16'`)).rows;
    expect(pre).toEqual([{ member_id: 'isp-a', valid_from: new Date('2026-12-01T00:00:00Z') }]);
    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/proposals/${pid}/decision`,
      headers: bearer('coordinator'),
      payload: { approve: false },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('proposal.decided');
  });

  it('exports the audit log with who and when, and the chain detects an edited event', async () => {
    const r = await app.inject({ url: '/api/v1/audit?action=batch.download&format=csv', headers: bearer('coordinator') });
    expect(r.statusCode).toBe(200);
    const rows = r.body.trim().split('\r\n');
    expect(rows[0]).toBe('id,at,actor,who,action,object,details');
    expect(rows.slice(1).every((l) => l.includes('membera@portal.test') && l.includes('batch.download'))).toBe(true);
    // Japan time with its offset, the same instant as stored
    const at = rows[1].split(',')[1];
    expect(at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+09:00$/);
    const stored = (await w.ctx.pool.query(`SELECT at FROM audit_events WHERE id = $1`, [Number(rows[1].split(',')[0])])).rows[0]
      .at as Date;
    expect(Date.parse(at)).toBe(stored.getTime());
    expect((await verifyAudit(w.ctx.pool)).ok).toBe(true);
    const first = (await w.ctx.pool.query(`SELECT id, actor FROM audit_events WHERE action = 'batch.download' ORDER BY id LIMIT 1`))
      .rows[0];
    await w.ctx.pool.query(`UPDATE audit_events SET actor = 'someone-else' WHERE id = $1`, [first.id]);
    expect((await verifyAudit(w.ctx.pool)).problems).toEqual([{ id: Number(first.id), kind: 'edited' }]);
    await w.ctx.pool.query(`UPDATE audit_events SET actor = $2 WHERE id = $1`, [first.id, first.actor]);
    expect((await verifyAudit(w.ctx.pool)).ok).toBe(true);
  });

  it('releases a list awaiting approval only when a second coordinator approves it', async () => {
    await w.ctx.pool.query(`INSERT INTO campaigns (id, name, approval_required) VALUES ('strict', 'Strict', true)`);
    const form = new FormData();
    form.append('campaign', 'strict');
    form.append('source', 'jpcert');
    form.append('file', new Blob(['ip,timestamp,port,malware\n101.0.9.1,2026-11-05T00:00:00Z,80,GOZ\n']), 'strict.csv');
    const up = await fetch(`${base}/api/v1/lists`, { method: 'POST', headers: bearer('coordinator'), body: form });
    expect(up.status).toBe(201);
    const listId = ((await up.json()) as { list: { id: number } }).list.id;
    expect(await waitReleased(w.ctx, listId)).toBe('awaiting_approval');
    const self = await app.inject({ method: 'POST', url: `/api/v1/lists/${listId}/approve`, headers: bearer('coordinator'), payload: {} });
    expect(self.statusCode).toBe(409);
    expect(self.json().error.code).toBe('approval.same_person');
    const id2 = await createUser(
      w.ctx.pool,
      { email: 'second@portal.test', name: 'Second', role: 'coordinator', password: PASSWORD },
      'test',
    );
    const t2 = await createToken(w.ctx.pool, { userId: id2, name: 't', scope: 'write', actor: 'test' });
    const ok = await app.inject({
      method: 'POST',
      url: `/api/v1/lists/${listId}/approve`,
      headers: { authorization: `Bearer ${t2.token}` },
      payload: {},
    });
    expect(ok.statusCode).toBe(200);
    expect(await waitReleased(w.ctx, listId)).toBe('released');
  });

  it('serves metrics, OpenAPI and JSON errors without stack traces', async () => {
    // closed to anyone without the scraper's token, a signed-in coordinator's token included
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${w.users.coordinator.token}` } })).statusCode).toBe(401);
    const m = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(m.statusCode).toBe(200);
    // a bad query parameter is a 400 that says what was expected, never a 500
    const bad = await app.inject({ url: '/api/v1/audit?from=not-a-date', headers: bearer('coordinator') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('expected a date or a time');
    expect((await app.inject({ url: '/api/v1/audit?from=2026-02-31', headers: bearer('coordinator') })).statusCode).toBe(400);
    expect(
      (await app.inject({ url: '/api/v1/audit?from=2026-02-01&to=2026-12-31T23:59:59%2B09:00', headers: bearer('coordinator') }))
        .statusCode,
    ).toBe(200);
    expect(m.body).toMatch(/deliveryline_lists\{state="released"\} 3/);
    expect(m.body).toContain('deliveryline_queue_jobs');
    const notAnnounced = (
      await w.ctx.pool.query(
        `SELECT count(*)::int AS n FROM batches b JOIN lists l ON l.id = b.list_id WHERE b.notified_at IS NULL AND l.state IN ('released', 'returned_sent')`,
      )
    ).rows[0].n;
    expect(m.body).toContain(`deliveryline_batches_not_announced ${notAnnounced}`);
    const doc = (await app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/lists', '/api/v1/batches/{batchId}/download']));
    const e = await app.inject({ url: '/api/v1/batches/abc', headers: bearer('memberA') });
    expect(e.statusCode).toBe(400);
    expect(e.json()).toEqual({ error: { code: 'request.invalid', message: expect.stringContaining('batchId') } });
    expect((await app.inject({ url: '/admin/queues', headers: bearer('coordinator') })).statusCode).toBe(200);
    expect((await app.inject({ url: '/admin/queues/api/queues', headers: bearer('memberA') })).statusCode).toBe(403);
    expect((await app.inject({ url: '/admin/queues/api/queues' })).statusCode).toBe(401);
    const nf = await app.inject({ url: '/api/v1/nothing', headers: bearer('memberA') });
    expect(nf.json().error.code).toBe('not_found');
    expect((await app.inject({ url: '/api/v1/me' })).statusCode).toBe(401);
  });
});
