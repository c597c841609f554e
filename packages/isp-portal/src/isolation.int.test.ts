import { asPortal } from '@deliveryline/shared/testing';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v4';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, type Mailer } from '@deliveryline/router';
import { buildServer } from './server';
import { ROUTES } from './routes';
import type { PortalRoute } from './web/route-table';
import { insertProposal } from './repositories/registry.repository';
import { buildWorld, B_MARKERS, POLICE_MARKERS, type World } from './testing/portal-world';
import { listen, type Req, type Res } from './testing/http-client';

/**
 * The authorisation matrix, generated from the route table: every route × every role, with
 * no credentials, with a role the route does not name, and with another organisation's ids.
 * A new route is in ROUTES, so it is in this test; a new kind of path parameter fails the
 * "every parameter is known" check until someone says whose ids it takes.
 */
const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };
type Actor = 'coordinator' | 'memberA' | 'sourceA' | 'viewer';
const ACTORS: Actor[] = ['coordinator', 'memberA', 'sourceA', 'viewer'];
const ROLE_OF: Record<Actor, string> = { coordinator: 'coordinator', memberA: 'member', sourceA: 'source', viewer: 'viewer' };

describe('authorisation matrix (generated from the route table)', () => {
  let w: World;
  let server: FastifyInstance;
  let send: (r: Req) => Promise<Res>;
  /** for each path parameter: an id the actor must NOT reach (404), and one of its own */
  let foreign: Record<string, Partial<Record<Actor, string>>>;
  let own: Record<string, Partial<Record<Actor, string>>>;

  beforeAll(async () => {
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    server = await buildServer(asPortal(w.ctx), {
      settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 1000 },
    });
    send = (await listen(server)).send;
    const proposalB = await insertProposal(w.ctx.pool, {
      memberId: 'isp-b',
      kind: 'prefix.add',
      cidr: '102.9.0.0/16',
      userId: w.users.memberB.id,
    });
    const b = w.users.memberB.tokenId;
    foreign = {
      listId: { sourceA: String(w.lists.b) },
      batchId: { memberA: String(w.batches.b[0]) },
      memberId: { memberA: 'isp-b' },
      tokenId: { coordinator: String(b), memberA: String(b), sourceA: String(b), viewer: String(b) },
      proposalId: {},
      campaignId: { sourceA: 'vaw' },
      sourceId: {}, // source settings are the coordinator's alone
      userId: {}, // unlocking a user is the coordinator's alone
      lang: {},
    };
    own = {
      listId: { coordinator: String(w.lists.a), sourceA: String(w.lists.a), viewer: String(w.lists.a) },
      batchId: { coordinator: String(w.batches.a[0]), memberA: String(w.batches.a[0]) },
      memberId: { coordinator: 'isp-a', memberA: 'isp-a' },
      tokenId: {}, // never revoke our own token in the middle of the matrix
      proposalId: { coordinator: String(proposalB) },
      campaignId: { coordinator: 'goz', viewer: 'goz', sourceA: 'goz', memberA: 'goz' },
      sourceId: { coordinator: 'jpcert' },
      userId: { coordinator: String(w.users.memberA.id) },
      lang: {},
    };
  });
  afterAll(async () => {
    await server?.close();
    await w?.close();
  });

  const paramNames = (r: PortalRoute) => [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const fill = (r: PortalRoute, ids: Record<string, string | undefined>) => r.url.replace(/:(\w+)/g, (_, p) => ids[p] ?? '1');
  const call = (r: PortalRoute, actor: Actor | null, url: string) =>
    send({
      method: r.method,
      url,
      headers: actor ? { authorization: `Bearer ${w.users[actor].token}` } : {},
      payload: r.method === 'POST' ? {} : undefined,
    });
  const guarded = ROUTES.filter((r) => r.roles !== 'public');

  it('knows whose ids every path parameter takes', () => {
    const unknown = ROUTES.flatMap(paramNames).filter((p) => !(p in foreign));
    expect(unknown).toEqual([]);
  });

  it('every route names its roles, and every API route is under /api/v1', () => {
    for (const r of ROUTES) {
      expect(r.roles === 'public' || r.roles.length > 0).toBe(true);
      if (r.kind === 'api') expect(r.url.startsWith('/api/v1/')).toBe(true);
    }
  });

  it.each(guarded.map((r) => [`${r.method} ${r.url}`, r] as const))('%s: refuses callers without credentials', async (_n, r) => {
    const res = await call(r, null, fill(r, {}));
    if (r.kind === 'api') {
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
    } else {
      expect(res.statusCode).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/signin/);
    }
  });

  it.each(guarded.map((r) => [`${r.method} ${r.url}`, r] as const))(
    "%s: refuses every role it does not name, and other organisations' ids",
    async (_n, r) => {
      const roles = r.roles as readonly string[];
      for (const actor of ACTORS) {
        if (!roles.includes(ROLE_OF[actor])) {
          const res = await call(r, actor, fill(r, Object.fromEntries(paramNames(r).map((p) => [p, own[p][actor] ?? foreign[p][actor]]))));
          expect({ actor, status: res.statusCode }).toEqual({ actor, status: 403 });
          continue;
        }
        for (const p of paramNames(r)) {
          const bad = foreign[p][actor];
          if (!bad) continue;
          const ids = Object.fromEntries(paramNames(r).map((q) => [q, q === p ? bad : own[q][actor]]));
          const res = await call(r, actor, fill(r, ids));
          expect({ actor, param: p, status: res.statusCode }).toEqual({ actor, param: p, status: 404 });
        }
      }
    },
  );

  /** whose own ids `own` holds, known before the world exists (the cases are made when the file loads) */
  const HAS_OWN: Record<string, Actor[]> = {
    listId: ['coordinator', 'sourceA', 'viewer'],
    batchId: ['coordinator', 'memberA'],
    memberId: ['coordinator', 'memberA'],
    proposalId: ['coordinator'],
    campaignId: ['coordinator', 'viewer', 'sourceA', 'memberA'],
    sourceId: ['coordinator'],
  };
  /** a value each query parameter must refuse, from its schema: none for a free-text one */
  const badValue = (p: {
    type?: string;
    enum?: unknown[];
    format?: string;
    pattern?: string;
    maxLength?: number;
    anyOf?: unknown[];
  }): string | null =>
    p.enum
      ? 'bogus-value'
      : p.type === 'integer' || p.type === 'number'
        ? 'abc'
        : p.format || p.pattern
          ? 'not-valid'
          : p.maxLength
            ? 'x'.repeat(p.maxLength + 1)
            : null;
  const queryCases = ROUTES.filter((r) => r.method === 'GET').flatMap((r) => {
    const actor =
      r.roles === 'public'
        ? null
        : ACTORS.find((a) => (r.roles as readonly string[]).includes(ROLE_OF[a]) && paramNames(r).every((p) => HAS_OWN[p]?.includes(a)));
    if (actor === undefined) return [];
    const props = r.query
      ? ((z.toJSONSchema(r.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, object> }).properties ?? {})
      : {};
    const bad = Object.entries(props).flatMap(([k, p]) => {
      const v = badValue(p as Parameters<typeof badValue>[0]);
      return v === null ? [] : [[k, v] as const];
    });
    return [...bad, ['no_such_param', '1'] as const].map(([k, v]) => [`${r.url}?${k}=${v}`, r, actor, k, v] as const);
  });

  it('checks a bad value for every constrained query parameter and an unknown one on every GET route', () => {
    for (const [p, actors] of Object.entries(HAS_OWN))
      for (const a of actors) expect({ p, a, id: Boolean(own[p][a]) }).toEqual({ p, a, id: true });
    const gets = ROUTES.filter((r) => r.method === 'GET');
    expect(new Set(queryCases.map((c) => c[1])).size).toBeGreaterThan(gets.length * 0.8);
    expect(queryCases.filter((c) => c[3] !== 'no_such_param').length).toBeGreaterThan(5);
  });

  it.each(queryCases)('GET %s: 400, naming the parameter and what was expected', async (_n, r, actor, k, v) => {
    const base = fill(r, actor ? Object.fromEntries(paramNames(r).map((p) => [p, own[p][actor]])) : { lang: 'en' });
    const res = await call(r, actor, `${base}?${k}=${encodeURIComponent(v)}`);
    expect({ k, status: res.statusCode }).toEqual({ k, status: 400 });
    expect(res.body).toContain(k);
    expect(res.body).toMatch(/expected/i);
  });

  it.each(guarded.filter((r) => r.method === 'GET').map((r) => [r.url, r] as const))(
    'GET %s: shows a member or a source nothing of the other side',
    async (_n, r) => {
      const queryForeign: Record<string, string> = { list: String(w.lists.b), campaign: 'vaw', member: 'isp-b' };
      const shape = (r.query as z.ZodObject | undefined)?.shape ?? {};
      const qs = new URLSearchParams(Object.entries(queryForeign).filter(([k]) => k in shape)).toString();
      for (const [actor, markers] of [
        ['memberA', B_MARKERS],
        ['sourceA', POLICE_MARKERS],
      ] as const) {
        if (!(r.roles as readonly string[]).includes(ROLE_OF[actor])) continue;
        if (paramNames(r).some((p) => !own[p][actor])) continue;
        for (const url of [
          fill(r, Object.fromEntries(paramNames(r).map((p) => [p, own[p][actor]]))),
          ...(qs ? [`${fill(r, Object.fromEntries(paramNames(r).map((p) => [p, own[p][actor]])))}?${qs}`] : []),
        ]) {
          const res = await call(r, actor, url);
          expect({ url, actor, ok: res.statusCode < 500 }).toEqual({ url, actor, ok: true });
          for (const m of markers) expect({ url, actor, leaked: res.body.includes(m) ? m : null }).toEqual({ url, actor, leaked: null });
        }
      }
    },
  );
});
