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
    await shareQueueTables(client);
    return applied;
  } finally {
    await client.end();
  }
}

/**
 * Jobs name lists, batches and members: a portal connection in a caller's scope reaches none of
 * them (docs/security.md). The portal queues work and shows bull-board outside any scope; the
 * workers, who do not own BullMQ's tables, pass through a policy of their own.
 */
async function shareQueueTables(client: Client): Promise<void> {
  // the workers' and the portal's roles (0025) use the queues too
  const roles = (await client.query(`SELECT rolname FROM pg_roles WHERE rolname IN ('deliveryline_worker', 'deliveryline_portal')`)).rows;
  if (!roles.length) return;
  await client.query('BEGIN');
  try {
    // processes starting at once grant and seal once (concurrent GRANTs on one object collide)
    await client.query('SELECT pg_advisory_xact_lock(7242004)');
    for (const { rolname } of roles) {
      await client.query(`GRANT USAGE ON SCHEMA ${QUEUE_SCHEMA} TO ${rolname}`);
      await client.query(`GRANT ALL ON ALL TABLES IN SCHEMA ${QUEUE_SCHEMA} TO ${rolname}`);
      await client.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA ${QUEUE_SCHEMA} TO ${rolname}`);
      await client.query(`GRANT EXECUTE ON ALL ROUTINES IN SCHEMA ${QUEUE_SCHEMA} TO ${rolname}`);
    }
    if ((await client.query(`SELECT to_regprocedure('public.app_scope_role()') IS NOT NULL AS ok`)).rows[0].ok) await sealTables(client);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

async function sealTables(client: Client): Promise<void> {
  const tables = (
    await client.query(
      `SELECT c.relname, EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = $1 AND p.tablename = c.relname AND p.policyname = 'dl_portal') AS sealed
         FROM pg_class c WHERE c.relnamespace = to_regnamespace($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
      [QUEUE_SCHEMA],
    )
  ).rows as { relname: string; sealed: boolean }[];
  for (const t of tables) {
    if (t.sealed) continue;
    const name = `${QUEUE_SCHEMA}.${t.relname}`;
    await client.query(`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY`);
    await client.query(`CREATE POLICY dl_worker ON ${name} TO deliveryline_worker USING (true) WITH CHECK (true)`);
    await client.query(
      `CREATE POLICY dl_portal ON ${name} TO deliveryline_portal USING ((SELECT public.app_scope_role()) IS NULL) WITH CHECK ((SELECT public.app_scope_role()) IS NULL)`,
    );
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
