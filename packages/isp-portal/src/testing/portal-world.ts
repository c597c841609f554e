import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { getList, submitList } from '@deliveryline/shared';
import { openTestContext, until, type TestContext } from '@deliveryline/shared/testing';
import type { Role } from '../auth/caller';
import { createToken, createUser } from '../services/users';

/**
 * A small world for portal tests: two members (isp-a, isp-b), two sources (jpcert, police),
 * one user per role and side, and two lists routed by the real workers. Everything of the
 * "b" side carries a marker so a test can see if any of it leaks to the "a" side.
 */
export const PASSWORD = 'correct horse battery staple';
export const B_MARKERS = ['isp-b', 'Beta ISP', '102.0.'];
export const POLICE_MARKERS = ['police', 'police-list.csv'];

export interface World {
  ctx: TestContext;
  users: Record<
    'coordinator' | 'memberA' | 'memberB' | 'sourceA' | 'sourceB' | 'viewer',
    { id: number; email: string; role: Role; token: string; tokenId: number }
  >;
  lists: { a: number; b: number };
  batches: { a: number[]; b: number[] };
  dir: string;
  close(): Promise<void>;
}

function listFile(dir: string, name: string, seed: number): string {
  const lines = ['ip,timestamp,port,malware'];
  for (let i = 1; i <= 6; i++) lines.push(`101.0.${seed}.${i},2026-11-0${1 + (i % 5)}T0${i}:00:00Z,${1000 + i},GOZ`);
  for (let i = 1; i <= 4; i++) lines.push(`102.0.${seed}.${i},2026-11-02T1${i}:30:00Z,${2000 + i},GOZ`);
  lines.push(`150.0.${seed}.9,2026-11-03T01:00:00Z,80,GOZ`); // no member: returned
  lines.push(`192.168.001.5,2026-11-03T01:00:00Z,80,GOZ`); // leading zero: rejected
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export async function waitReleased(ctx: TestContext, listId: number, timeoutMs = 90_000): Promise<string> {
  return until(
    `list ${listId} to be released, awaiting approval or failed`,
    async () => {
      const l = await getList(ctx.pool, listId);
      return l && ['released', 'awaiting_approval', 'failed'].includes(l.state) ? l.state : undefined;
    },
    { timeoutMs, everyMs: 100 },
  );
}

export async function seedRegistry(ctx: TestContext): Promise<void> {
  await ctx.pool.query(`INSERT INTO members (id, name, contact_emails) VALUES
    ('isp-a', 'Alpha ISP (アルファ)', '{noc@alpha.example}'), ('isp-b', 'Beta ISP (ベータ)', '{noc@beta.example}')`);
  await ctx.pool.query(`INSERT INTO prefixes (member_id, cidr) VALUES ('isp-a', '101.0.0.0/16'), ('isp-b', '102.0.0.0/16')`);
}

export async function seedUsers(ctx: TestContext): Promise<World['users']> {
  const spec = {
    coordinator: { role: 'coordinator', org: undefined },
    memberA: { role: 'member', org: 'isp-a' },
    memberB: { role: 'member', org: 'isp-b' },
    sourceA: { role: 'source', org: 'jpcert' },
    sourceB: { role: 'source', org: 'police' },
    viewer: { role: 'viewer', org: undefined },
  } as const;
  const users = {} as World['users'];
  for (const [k, s] of Object.entries(spec)) {
    const email = `${k.toLowerCase()}@portal.test`;
    const id = await createUser(ctx.pool, { email, name: `${k} user`, role: s.role, org: s.org, password: PASSWORD }, 'test');
    const t = await createToken(ctx.pool, { userId: id, name: 'test', scope: 'write', actor: 'test' });
    users[k as keyof World['users']] = { id, email, role: s.role, token: t.token, tokenId: t.id };
  }
  return users;
}

/** Builds the world; `workers` starts the real pipeline (the caller passes its start functions). */
export async function buildWorld(
  startWorkers: (ctx: TestContext) => Worker[],
  opts: { queues?: 'redis' | 'postgres' } = {},
): Promise<World & { workers: Worker[] }> {
  const ctx = await openTestContext(opts.queues ? { QUEUE_BACKEND: opts.queues } : {});
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-portal-'));
  await seedRegistry(ctx);
  const users = await seedUsers(ctx);
  const workers = startWorkers(ctx);
  const a = await submitList(ctx, { path: listFile(dir, 'jpcert-list.csv', 1), sourceId: 'jpcert', campaignId: 'goz', round: 1 });
  const b = await submitList(ctx, { path: listFile(dir, 'police-list.csv', 2), sourceId: 'police', campaignId: 'vaw', round: 1 });
  for (const id of [a, b]) {
    const state = await waitReleased(ctx, id);
    if (state !== 'released') throw new Error(`list ${id} ended ${state}`);
  }
  const rows = (await ctx.pool.query('SELECT id, member_id FROM batches ORDER BY id')).rows;
  const batches = {
    a: rows.filter((r) => r.member_id === 'isp-a').map((r) => Number(r.id)),
    b: rows.filter((r) => r.member_id === 'isp-b').map((r) => Number(r.id)),
  };
  return {
    ctx,
    users,
    lists: { a, b },
    batches,
    dir,
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await ctx.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
