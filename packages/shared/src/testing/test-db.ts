import crypto from 'node:crypto';
import { Client } from 'pg';
import { createPool, type Pool } from '../db/pool';
import { roleUrl, type LoginRole } from '../db/roles';
import { verifyAudit } from '../audit/audit-log';

/** Test infrastructure reads its own settings: where the real PostgreSQL and Redis are. */
export const TEST_PG_ADMIN = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Where test contexts keep their queues unless a test says: `redis` (default) or `postgres`. The replay and fault tests run on both. */
export const TEST_QUEUE_BACKEND: 'redis' | 'postgres' = process.env.TEST_QUEUE_BACKEND === 'postgres' ? 'postgres' : 'redis';
/** The backends the replay and fault tests run on (TEST_QUEUE_BACKENDS=redis,postgres by default). */
export const TEST_QUEUE_BACKENDS = (process.env.TEST_QUEUE_BACKENDS ?? 'postgres,redis')
  .split(',')
  .filter((b): b is 'redis' | 'postgres' => b === 'redis' || b === 'postgres');

export function dbUrl(name: string): string {
  const u = new URL(TEST_PG_ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const c = new Client({ connectionString: TEST_PG_ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
  /** a pool connected as one of the system's own roles (0025), closed with the database */
  rolePool(role: LoginRole): Pool;
  /** verifies the audit chain (unless allowBrokenAudit), then drops the database; a broken chain fails the caller */
  drop(): Promise<void>;
  /** this test breaks the audit chain on purpose: neither drop() nor the file's end verifies it */
  allowBrokenAudit(): void;
}

interface Tracked {
  url: string;
  name: string;
  checkAudit: boolean;
}
/** The databases this test file created and has not dropped yet (audit-check.setup.ts verifies them at its end). */
const openDatabases = new Set<Tracked>();

export class AuditChainError extends Error {}

/** Verifies the audit chain of a test database on a connection of its own (the test's pool may be closed). */
async function checkAuditChain(t: Tracked): Promise<void> {
  if (!t.checkAudit) return;
  t.checkAudit = false;
  const pool = createPool(t.url, 1);
  try {
    const v = await verifyAudit(pool);
    if (!v.ok)
      throw new AuditChainError(
        `the audit chain of test database ${t.name} does not verify (${v.events} events): ` +
          v.problems.map((p) => `event ${p.id} ${p.kind}`).join(', ') +
          ' — a code path writes audit_events without audit(), or a test tampers without allowBrokenAudit()',
      );
  } finally {
    await pool.end();
  }
}

/** Verifies every database of this test file that is still open (the afterAll of audit-check.setup.ts). */
export async function checkOpenTestDatabases(): Promise<void> {
  const errors: string[] = [];
  for (const t of openDatabases) await checkAuditChain(t).catch((err: Error) => errors.push(err.message));
  if (errors.length) throw new Error(errors.join('\n'));
}

/** A fresh database per test file, copied from the run's migrated template (see jest global setup). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.DL_TEST_TEMPLATE;
  if (!template) throw new Error('DL_TEST_TEMPLATE is not set: run the tests through jest (pnpm test)');
  const name = `${template}_${crypto.randomBytes(4).toString('hex')}`;
  // CREATE DATABASE … TEMPLATE fails while another session is connected to the template: retry briefly
  for (let i = 0; ; i++) {
    try {
      await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      break;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const url = dbUrl(name);
  const pool = createPool(url, 12);
  const rolePools = new Map<LoginRole, Pool>();
  const tracked: Tracked = { url, name, checkAudit: true };
  openDatabases.add(tracked);
  return {
    name,
    url,
    pool,
    rolePool(role) {
      let p = rolePools.get(role);
      if (!p) rolePools.set(role, (p = createPool(roleUrl(url, role), 8)));
      return p;
    },
    async drop() {
      openDatabases.delete(tracked);
      let broken: unknown;
      await checkAuditChain(tracked).catch((err) => (broken = err));
      for (const p of rolePools.values()) if (!p.ended) await p.end();
      if (!pool.ended) await pool.end();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      if (broken) throw broken;
    },
    allowBrokenAudit() {
      tracked.checkAudit = false;
    },
  };
}
