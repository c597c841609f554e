/**
 * pages: the portal's big pages over 100,000 batches' worth of data — 1,010 lists of 1,500
 * entries in 10 campaigns (1,000 delivered to 99 members, 500 returned), so about 100,000
 * batches, 1.5 million entries with routes and outcomes, 5,000 prefixes, 200,000 audit events — each page
 * fetched over HTTP from the real server as a coordinator (and /batches as a member). Reported
 * per page as the p95 of 60 requests after 3 warm-ups (stats.bench's timeIt), against 500 ms (ratio = 500 / p95, ≥ 1
 * means under 500 ms). Correctness only is asserted: each pager's count equals the table's own
 * count. PAGES_BENCH_LISTS scales the volume (about 99 batches per list).
 */
import crypto from 'node:crypto';
import { createPool, enableLogins, openContext, parseEnv, roleUrl, type AppContext } from '@deliveryline/shared';
import { loadSynthetic } from '@deliveryline/reports/testing';
import { adminQuery, dbUrl } from '@deliveryline/shared/testing';
import { buildServer, createToken, createUser } from '@deliveryline/isp-portal';
import type { Mailer } from '@deliveryline/router';
import type { BenchResult } from './run';
import { timeIt } from './stats.bench';

const LISTS = Number(process.env.PAGES_BENCH_LISTS ?? 1010);
const MEMBERS = 99; // synthetic member ids are syn-01 … syn-99
const LIMIT_MS = 500;

async function load(ctx: AppContext): Promise<number> {
  const t0 = Date.now();
  const pool = ctx.pool;
  const per = Math.ceil(LISTS / 10);
  // ten campaigns loaded side by side, each its own lists (loadSynthetic makes 200 batches per list)
  await Promise.all(
    Array.from({ length: 10 }, (_, k) => k).map(async (k) => {
      const c = await pool.connect();
      try {
        await c.query('SET synchronous_commit = off');
        await loadSynthetic(c, {
          campaignId: `camp-${k}`,
          sourceId: 'jpcert',
          members: MEMBERS,
          lists: Array.from({ length: per }, () => ({ received: 1500, delivered: 1000 })),
          unreportedEvery: 3,
          changeEvery: 5,
        });
      } finally {
        c.release();
      }
    }),
  );
  await pool.query(`UPDATE members SET contact_emails = ARRAY['noc@' || id || '.example']`);
  await pool.query(`INSERT INTO prefixes (member_id, cidr, valid_from, valid_to)
    SELECT m.id, ('10.' || (n / 256)::text || '.' || (n % 256)::text || '.0/24')::cidr, '-infinity', CASE WHEN n % 10 = 0 THEN timestamptz '2026-03-01' ELSE 'infinity' END
      FROM (SELECT id, row_number() OVER (ORDER BY id) AS i FROM members) m, generate_series(0, 49) j, LATERAL (SELECT ((m.i - 1) * 50 + j)::int AS n) x`);
  // page-speed data only, not a chain that verifies
  await pool.query(`INSERT INTO audit_events (at, actor, action, object, details, prev_hash, hash, alg)
    SELECT timestamptz '2026-01-01' + g * interval '1 minute', 'user:' || (g % 7), (ARRAY['batch.download', 'outcome.report', 'user.signin', 'list.upload'])[1 + g % 4],
           'batch:' || g, jsonb_build_object('format', 'csv'), md5((g - 1)::text), md5(g::text), 'sha256-v1'
      FROM generate_series(1, 200000) g`);
  await pool.query('ANALYZE');
  return (Date.now() - t0) / 1000;
}

/** The total a page's pager states ("1–50 of 29,354"). */
const pagerTotal = (body: string) => {
  const m = /<span class="count">[^<]*? of ([\d,]+)<\/span>/.exec(body);
  return m ? Number(m[1].replace(/,/g, '')) : null;
};

export async function run(): Promise<BenchResult[]> {
  const name = `dl_bench_pages_${crypto.randomBytes(3).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const env = parseEnv({ ...process.env, DATABASE_URL: dbUrl(name), QUEUE_PREFIX: name, LOG_LEVEL: 'warn' });
  const ctx = await openContext('bench-pages', { env });
  const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };
  try {
    const loadSeconds = await load(ctx);
    const coord = await createUser(
      ctx.pool,
      { email: 'bench@example.jp', name: 'bench', role: 'coordinator', password: 'bench password 12' },
      'bench',
    );
    const member = await createUser(
      ctx.pool,
      { email: 'noc@syn-07.example', name: 'syn-07', role: 'member', org: 'syn-07', password: 'bench password 12' },
      'bench',
    );
    const tokens = {
      coordinator: (await createToken(ctx.pool, { userId: coord, name: 'b', scope: 'read', actor: 'bench' })).token,
      member: (await createToken(ctx.pool, { userId: member, name: 'b', scope: 'read', actor: 'bench' })).token,
    };
    // the portal as in production: its own database role, row-level security on every table
    await enableLogins(dbUrl(name));
    const portalPool = createPool(roleUrl(dbUrl(name), 'portal'), 10);
    const server = await buildServer(
      { ...ctx, pool: portalPool },
      {
        mailer,
        settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 1000 },
      },
    );
    await server.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
    const counts = (
      await ctx.pool.query(`SELECT (SELECT count(*)::int FROM batches) AS batches, (SELECT count(*)::int FROM lists) AS lists,
      (SELECT count(*)::int FROM audit_events) AS audit, (SELECT count(*)::int FROM members) AS members, (SELECT max(id)::int FROM lists) AS last_list,
      (SELECT count(*)::int FROM batches WHERE member_id = 'syn-07') AS member_batches,
      (SELECT count(*)::int FROM batches b JOIN lists l ON l.id = b.list_id WHERE l.campaign_id = 'camp-3' AND b.member_id = 'syn-50') AS filtered`)
    ).rows[0];
    const list = counts.last_list;
    const pages: [string, 'coordinator' | 'member', number | null][] = [
      ['/dashboard', 'coordinator', null],
      ['/lists', 'coordinator', counts.lists],
      ['/lists?page=9', 'coordinator', counts.lists],
      [`/lists/${list}`, 'coordinator', null],
      [`/lists/${list}/returned?page=5`, 'coordinator', 500],
      ['/batches', 'coordinator', counts.batches],
      ['/batches?page=1500', 'coordinator', counts.batches],
      ['/batches?campaign=camp-3&member=syn-50', 'coordinator', counts.filtered],
      ['/batches?overdue=1', 'coordinator', null],
      ['/batches', 'member', counts.member_batches],
      ['/members', 'coordinator', counts.members],
      ['/members/syn-50', 'coordinator', null],
      ['/members/check', 'coordinator', null],
      ['/audit', 'coordinator', counts.audit],
      ['/audit?page=3000', 'coordinator', counts.audit],
      ['/approvals', 'coordinator', null],
      ['/campaigns/camp-3', 'coordinator', null],
    ];
    const out: BenchResult[] = [];
    for (const [url, who, expected] of pages) {
      const get = async () => {
        const r = await fetch(base + url, { headers: { authorization: `Bearer ${tokens[who]}`, 'accept-language': 'en' } });
        const body = await r.text();
        if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
        return body;
      };
      const body = await get();
      if (expected != null && pagerTotal(body) !== expected)
        throw new Error(`${url}: the pager says ${pagerTotal(body)}, the table holds ${expected}`);
      const { p95 } = await timeIt(get);
      process.stderr.write(`pages: ${who.padEnd(11)} ${url.padEnd(42)} p95 ${p95.toFixed(0)} ms\n`);
      out.push({
        name: `pages ${who === 'member' ? 'member ' : ''}${url}`,
        value: Math.round((LIMIT_MS / p95) * 100) / 100,
        unit: '×500ms',
        baseline: 1,
        ratio: LIMIT_MS / p95,
        target: 1,
        notes: `p95 ${p95.toFixed(0)} ms`,
      });
    }
    out[0].notes += `; ${counts.batches.toLocaleString('en-US')} batches, ${counts.lists} lists, ${counts.audit.toLocaleString('en-US')} audit events, loaded in ${loadSeconds.toFixed(0)} s`;
    await server.close();
    await portalPool.end();
    return out;
  } finally {
    await ctx.close();
    await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}
