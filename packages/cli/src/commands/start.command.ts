import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Command } from 'commander';
import {
  env,
  ensureEmbeddedPostgres,
  openQueues,
  createLogger,
  createPool,
  migrate,
  embeddedLogins,
  repoRoot,
  WORKER_NODE_FLAGS,
  auditKey,
  checkpointPeriodically,
} from '@deliveryline/shared';
import { checkpointDir } from './audit.command';

/**
 * `pnpm start`: everything on one machine — the portal and every worker, each its own process,
 * as they would run on many machines. With DATABASE_URL unset, an embedded PostgreSQL is started
 * first and handed to the children; the queues live in it too unless REDIS_URL is set. SIGTERM/SIGINT stop the children, then the database.
 * The audit key is resolved before the children start (made once in ./data/audit.key when AUDIT_KEY
 * is unset), and this process writes the audit log's signed checkpoints every AUDIT_CHECKPOINT_MINUTES.
 */
export function register(program: Command) {
  program
    .command('start')
    .description('run the portal and every worker on this machine')
    .action(async () => {
      const e = env();
      const log = createLogger('start', e.LOG_LEVEL);
      let databaseUrl = e.DATABASE_URL;
      let embedded: Awaited<ReturnType<typeof ensureEmbeddedPostgres>> | undefined;
      if (!databaseUrl) {
        embedded = await ensureEmbeddedPostgres(e.dataDir, e.EMBEDDED_PG_PORT, (m) => log.info(m));
        databaseUrl = embedded.url;
      }
      // migrations and the queues' schema as the owner (or the administrator), once before the children start
      const ownerUrl = e.DATABASE_OWNER_URL ?? databaseUrl;
      const pool = createPool(ownerUrl, 1);
      let roleUrls: Record<'worker' | 'portal', string> = { worker: databaseUrl, portal: databaseUrl };
      try {
        await migrate(pool);
        const queues = await openQueues(pool, { redisUrl: e.REDIS_URL, databaseUrl: ownerUrl, prefix: e.QUEUE_PREFIX });
        log.info(`queues: ${queues.where}, deployment ${queues.deployment}`);
        await queues.close();
        // the embedded PostgreSQL: each child connects as its own role (docs/security.md)
        if (embedded) roleUrls = await embeddedLogins(embedded.url, e.dataDir);
      } catch (err) {
        await pool.end();
        await embedded?.stop();
        throw err;
      }
      await pool.end();
      auditKey(); // one key file for every child, made here before they race for it
      const cpPool = createPool(databaseUrl, 1);
      const stopCheckpoints = checkpointPeriodically(cpPool, checkpointDir(), e.AUDIT_CHECKPOINT_MINUTES, log);
      const root = repoRoot();
      const procs: Record<string, string> = {
        portal: 'packages/isp-portal/src/main.ts',
        ingest: 'packages/ingest/src/main.ts',
        router: 'packages/router/src/main.ts',
      };
      const children: ChildProcess[] = [];
      let stopping = false;
      for (const [name, file] of Object.entries(procs)) {
        // node --import tsx rather than the tsx CLI, so the pid we signal is the process itself
        const flags = name === 'ingest' || name === 'router' ? WORKER_NODE_FLAGS : [];
        const child = spawn(process.execPath, [...flags, '--import', 'tsx', path.join(root, file)], {
          cwd: root,
          stdio: 'inherit',
          env: { ...process.env, DATABASE_URL: name === 'portal' ? roleUrls.portal : roleUrls.worker },
        });
        child.on('exit', (code) => {
          if (!stopping) {
            log.error(`${name} exited with ${code}; stopping everything`);
            void stop(1);
          }
        });
        children.push(child);
      }
      log.info(`deliveryline is running: portal on ${e.publicUrl}, workers: ingest, router. Ctrl-C stops it.`);
      const stop = async (code = 0) => {
        if (stopping) return;
        stopping = true;
        stopCheckpoints();
        await Promise.all(
          children.map(
            (c) =>
              new Promise<void>((res) => {
                if (c.exitCode !== null) return res();
                c.once('exit', () => res());
                c.kill('SIGTERM');
              }),
          ),
        );
        await cpPool.end().catch(() => undefined);
        await embedded?.stop();
        process.exit(code);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
      await new Promise(() => undefined);
    });
}
