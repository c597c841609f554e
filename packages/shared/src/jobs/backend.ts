import { Queue, Worker, createPostgresBackend, runMigrations, type Processor, type WorkerOptions } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import { Client } from 'pg';

/**
 * Where the queues live. The one place that knows: without REDIS_URL, in the system's own
 * PostgreSQL (BullMQ's PostgreSQL backend, schema `bullmq`, LISTEN/NOTIFY and SKIP LOCKED);
 * with REDIS_URL, in Redis under a key prefix that names the deployment.
 */
export type QueueBackendKind = 'postgres' | 'redis';

/** BullMQ's own tables: one schema in our database, migrated by BullMQ's own runner. */
export const QUEUE_SCHEMA = 'bullmq';

export interface QueueStore {
  kind: QueueBackendKind;
  /** for logs and pages: where the queues are, without credentials */
  where: string;
  queue(name: string): Queue;
  worker(name: string, processor: Processor, opts: Omit<WorkerOptions, 'connection'>): Worker;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function redisConnection(url: string): Redis {
  // maxRetriesPerRequest: null is what BullMQ workers need to survive a Redis restart.
  return new IORedis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

export class RedisUnavailableError extends Error {}

/** Fails fast with a message that says how to start Redis, instead of retrying forever. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const probe = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new RedisUnavailableError(
      `Redis does not answer at ${url} (${(err as Error).message}).\n` +
        `Start one, e.g.:  redis-server --daemonize yes --port 6379 --save "" --appendonly no\n` +
        `  or: docker compose -f docker/compose.yaml --profile redis up -d redis\n` +
        `or point REDIS_URL at a running Redis, or unset REDIS_URL to keep the queues in PostgreSQL.`,
    );
  } finally {
    probe.disconnect();
  }
}

/**
 * Creates or upgrades BullMQ's schema in the database. BullMQ's runner holds a transaction-scoped
 * advisory lock, so many processes starting at once apply it exactly once and the rest wait and
 * find it done.
 */
export async function migrateQueueSchema(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    // quiet the schema's own CREATE … IF NOT EXISTS notices
    await client.query(`SET client_min_messages = warning`);
    // a role that may not create schemas (the portal's, the workers') uses what the owner applied
    const may = (
      await client.query(`SELECT has_database_privilege(current_database(), 'CREATE') AS may, to_regnamespace($1) IS NOT NULL AS there`, [
        QUEUE_SCHEMA,
      ])
    ).rows[0];
    if (!may.may) {
      if (!may.there)
        throw new Error(
          `the queues' schema ${QUEUE_SCHEMA} is missing and this role may not create it: start the system once as the owner`,
        );
      return 0;
    }
    const applied = await runMigrations(client, QUEUE_SCHEMA);
    // the workers' and the portal's roles (0025) use the queues too: the schema is the queues' alone
    const roles = (await client.query(`SELECT rolname FROM pg_roles WHERE rolname IN ('deliveryline_worker', 'deliveryline_portal')`)).rows;
    for (const { rolname } of roles) {
      await client.query(`GRANT USAGE ON SCHEMA ${QUEUE_SCHEMA} TO ${rolname}`);
      await client.query(`GRANT ALL ON ALL TABLES IN SCHEMA ${QUEUE_SCHEMA} TO ${rolname}`);
      await client.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA ${QUEUE_SCHEMA} TO ${rolname}`);
      await client.query(`GRANT EXECUTE ON ALL ROUTINES IN SCHEMA ${QUEUE_SCHEMA} TO ${rolname}`);
    }
    return applied;
  } finally {
    await client.end();
  }
}

function redisStore(url: string, keyPrefix: string): QueueStore {
  const shared = redisConnection(url);
  shared.on('error', () => undefined);
  return {
    kind: 'redis',
    where: `Redis ${new URL(url).host}, key prefix ${keyPrefix}`,
    queue: (name) => new Queue(name, { connection: shared, prefix: keyPrefix }),
    worker(name, processor, opts) {
      const connection = redisConnection(url);
      connection.on('error', () => undefined);
      const w = new Worker(name, processor, { ...opts, connection, prefix: keyPrefix });
      // BullMQ leaves a connection it was handed open; this one is the worker's alone
      w.on('closed', () => connection.disconnect());
      return w;
    },
    async ping() {
      await shared.ping();
    },
    async close() {
      shared.disconnect();
    },
  };
}

function postgresStore(databaseUrl: string): QueueStore {
  const u = new URL(databaseUrl);
  // each Queue and Worker owns a small pool (lazy) and a worker one LISTEN connection: a worker
  // is discovered by getWorkers through that connection's application_name, so it cannot be shared
  const cfg = (max: number) => ({ connectionString: databaseUrl, schema: QUEUE_SCHEMA, max, keepAlive: true, idleTimeoutMillis: 5000 });
  return {
    kind: 'postgres',
    where: `PostgreSQL ${u.host}${u.pathname}, schema ${QUEUE_SCHEMA}`,
    // the same Queue and Worker API on either backend; only their backend and connection type
    // parameters differ, which nothing outside this file sees
    queue: (name) => new Queue(name, { connection: cfg(2) }, createPostgresBackend) as unknown as Queue,
    worker: (name, processor, opts) =>
      new Worker(name, processor, { ...opts, connection: cfg((opts.concurrency ?? 1) + 1) }, createPostgresBackend) as unknown as Worker,
    async ping() {
      const c = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
      c.on('error', () => undefined);
      await c.connect();
      try {
        await c.query('SELECT 1');
      } finally {
        await c.end();
      }
    },
    async close() {
      /* the Queues and Workers own their pools and close them */
    },
  };
}

export function openQueueStore(where: { redisUrl?: string; databaseUrl?: string; keyPrefix: string }): QueueStore {
  if (where.redisUrl) return redisStore(where.redisUrl, where.keyPrefix);
  if (!where.databaseUrl) throw new Error('queues on PostgreSQL need the database URL');
  return postgresStore(where.databaseUrl);
}
