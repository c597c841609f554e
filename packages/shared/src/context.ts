import type { Pool } from 'pg';
import { env as loadEnv, type Env } from './env';
import { createPool } from './db/pool';
import { migrate } from './db/migrate';
import { ensureEmbeddedPostgres, type EmbeddedHandle } from './db/embedded';
import { openQueues, type QueueContext } from './jobs/queues';
import { createLogger, type Logger } from './log';

export interface AppContext {
  env: Env;
  pool: Pool;
  queues: QueueContext;
  log: Logger;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * What every process does first: configuration, PostgreSQL (embedded when DATABASE_URL is
 * unset), migrations, queues (in that PostgreSQL, or in Redis when REDIS_URL is set — checked
 * with a clear message).
 */
export async function openContext(name: string, opts: { env?: Env; migrate?: boolean } = {}): Promise<AppContext> {
  const env = opts.env ?? loadEnv();
  const log = createLogger(name, env.LOG_LEVEL);
  let embedded: EmbeddedHandle | undefined;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await ensureEmbeddedPostgres(env.dataDir, env.EMBEDDED_PG_PORT, (m) => log.info(m));
    databaseUrl = embedded.url;
  }
  const pool = createPool(databaseUrl);
  let queues: QueueContext;
  try {
    if (opts.migrate !== false) await migrate(pool);
    queues = await openQueues(pool, { redisUrl: env.REDIS_URL, databaseUrl, prefix: env.QUEUE_PREFIX });
  } catch (err) {
    await pool.end();
    await embedded?.stop();
    throw err;
  }
  return {
    env,
    pool,
    queues,
    log,
    databaseUrl,
    async close() {
      await queues.close();
      await pool.end();
      await embedded?.stop();
    },
  };
}
