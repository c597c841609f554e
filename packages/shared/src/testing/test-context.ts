import crypto from 'node:crypto';
import IORedis from 'ioredis';
import { parseEnv, type Env } from '../env';
import { createQueues } from '../jobs/queues';
import { createLogger } from '../log';
import type { AppContext } from '../context';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './test-db';

export interface TestContext extends AppContext {
  db: TestDatabase;
}

/** An AppContext on its own database and its own Redis key prefix, so test files run in parallel. */
export async function openTestContext(overrides: Record<string, string> = {}): Promise<TestContext> {
  const db = await createTestDatabase();
  const prefix = `dltest-${crypto.randomBytes(4).toString('hex')}`;
  const env: Env = parseEnv({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_DIR: `data/test/${prefix}`,
    ...overrides,
  });
  const queues = createQueues(env.REDIS_URL, prefix);
  return {
    env,
    pool: db.pool,
    queues,
    db,
    log: createLogger('test', env.LOG_LEVEL),
    databaseUrl: db.url,
    async close() {
      await queues.close();
      const r = new IORedis(env.REDIS_URL);
      const keys = await r.keys(`${prefix}:*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
      await db.drop();
    },
  };
}
