import type { Pool } from 'pg';
import { env as loadEnv, type Env } from './env';
import { createPool } from './db/pool';
import { migrate } from './db/migrate';
import { ensureEmbeddedPostgres, type EmbeddedHandle } from './db/embedded';
import { embeddedLogins } from './db/roles';
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
 * with a clear message). Each process connects as its own database role (docs/security.md): with
 * the embedded PostgreSQL the portal as `deliveryline_portal`, everything else as
 * `deliveryline_worker`, and migrations run as the administrator; otherwise DATABASE_URL is the
 * process's role and DATABASE_OWNER_URL (when set) applies the migrations.
 */
export async function openContext(name: string, opts: { env?: Env; migrate?: boolean } = {}): Promise<AppContext> {
  const env = opts.env ?? loadEnv();
  const log = createLogger(name, env.LOG_LEVEL);
  let embedded: EmbeddedHandle | undefined;
  let databaseUrl = env.DATABASE_URL;
  let ownerUrl = env.DATABASE_OWNER_URL;
  if (!databaseUrl) {
    embedded = await ensureEmbeddedPostgres(env.dataDir, env.EMBEDDED_PG_PORT, (m) => log.info(m));
    ownerUrl = embedded.url;
  }
  const owner = ownerUrl && opts.migrate !== false ? createPool(ownerUrl, 1) : undefined;
  let pool: Pool | undefined;
  let queues: QueueContext;
  try {
    if (owner) await migrate(owner);
    if (!databaseUrl) {
      const logins = await embeddedLogins(ownerUrl!, env.dataDir);
      databaseUrl = name === 'portal' ? logins.portal : logins.worker;
    }
    pool = createPool(databaseUrl);
    if (opts.migrate !== false && !owner) await migrate(pool);
    queues = await openQueues(pool, { redisUrl: env.REDIS_URL, databaseUrl, ownerUrl, prefix: env.QUEUE_PREFIX });
  } catch (err) {
    await pool?.end();
    await embedded?.stop();
    throw err;
  } finally {
    await owner?.end();
  }
  return {
    env,
    pool: pool!,
    queues,
    log,
    databaseUrl,
    async close() {
      await queues.close();
      await pool!.end();
      await embedded?.stop();
    },
  };
}
