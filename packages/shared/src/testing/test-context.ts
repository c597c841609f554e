import crypto from 'node:crypto';
import IORedis from 'ioredis';
import { parseEnv, type Env } from '../env';
import { openQueues } from '../jobs/queues';
import { createLogger } from '../log';
import type { AppContext } from '../context';
import { roleUrl } from '../db/roles';
import { createTestDatabase, TEST_QUEUE_BACKEND, TEST_REDIS_URL, type TestDatabase } from './test-db';

export interface TestContext extends AppContext {
  db: TestDatabase;
}

/**
 * An AppContext on its own database (so its own deployment identity) and its own queue prefix,
 * so test files run in parallel. Queues on TEST_QUEUE_BACKEND (redis or postgres), or on the
 * backend named in `overrides.QUEUE_BACKEND`.
 */
export async function openTestContext(
  overrides: Record<string, string> & { QUEUE_BACKEND?: 'redis' | 'postgres' } = {},
): Promise<TestContext> {
  const { QUEUE_BACKEND = TEST_QUEUE_BACKEND, ...settings } = overrides;
  const db = await createTestDatabase();
  const prefix = `dltest-${crypto.randomBytes(4).toString('hex')}`;
  const env: Env = parseEnv({
    DATABASE_URL: db.url,
    ...(QUEUE_BACKEND === 'redis' ? { REDIS_URL: TEST_REDIS_URL } : {}),
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_DIR: `data/test/${prefix}`,
    ...settings,
  });
  const queues = await openQueues(db.pool, { redisUrl: env.REDIS_URL, databaseUrl: db.url, prefix: env.QUEUE_PREFIX });
  return {
    env,
    pool: db.pool,
    queues,
    db,
    log: createLogger('test', env.LOG_LEVEL),
    databaseUrl: db.url,
    async close() {
      await queues.close();
      if (env.REDIS_URL) {
        const r = new IORedis(env.REDIS_URL);
        const keys = await r.keys(`${queues.keyPrefix}:*`);
        if (keys.length) await r.del(...keys);
        r.disconnect();
      }
      await db.drop();
    },
  };
}

/**
 * The same context as the portal sees it in production: its pool connects as
 * `deliveryline_portal` (row-level security on every table, scopes entered through
 * app_enter_scope). Hand it to buildServer; the test's own `ctx.pool` stays the administrator.
 */
export function asPortal<C extends TestContext>(ctx: C): C {
  return { ...ctx, pool: ctx.db.rolePool('portal'), databaseUrl: roleUrl(ctx.db.url, 'portal') };
}
