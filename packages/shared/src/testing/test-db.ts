import crypto from 'node:crypto';
import { Client } from 'pg';
import { createPool, type Pool } from '../db/pool';
import { roleUrl, type LoginRole } from '../db/roles';

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
  drop(): Promise<void>;
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
      for (const p of rolePools.values()) await p.end();
      await pool.end();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
