import type { Command } from 'commander';
import {
  both,
  createPool,
  enableLogins,
  ensureEmbeddedPostgres,
  env,
  migrate,
  migrateQueueSchema,
  roleUrl,
  createLogger,
} from '@deliveryline/shared';
import { say } from '../cli-context';

/** The administrator's URL: DATABASE_OWNER_URL, else DATABASE_URL, else the embedded PostgreSQL's. */
async function adminUrl(): Promise<{ url: string; stop(): Promise<void> }> {
  const e = env();
  const url = e.DATABASE_OWNER_URL ?? e.DATABASE_URL;
  if (url) return { url, stop: async () => undefined };
  return ensureEmbeddedPostgres(e.dataDir, e.EMBEDDED_PG_PORT, (m) => createLogger('db', e.LOG_LEVEL).info(m));
}

/**
 * `dline db migrate` applies the migrations (and BullMQ's schema when the queues live in
 * PostgreSQL) as the owner; `dline db logins` gives the workers' and the portal's roles a login.
 * See docs/security.md.
 */
export function register(program: Command) {
  const db = program.command('db').description('the database: migrations and the roles each process connects as (docs/security.md)');
  db.command('migrate')
    .description('apply pending migrations as the owner (DATABASE_OWNER_URL, else DATABASE_URL, else the embedded PostgreSQL)')
    .action(async () => {
      const admin = await adminUrl();
      const pool = createPool(admin.url, 1);
      try {
        const applied = await migrate(pool);
        if (!env().REDIS_URL) await migrateQueueSchema(admin.url);
        say(applied.length ? both('db.migrated', { files: applied.join(', ') }) : both('db.upToDate'));
      } finally {
        await pool.end();
        await admin.stop();
      }
    });
  db.command('logins')
    .description(
      'give deliveryline_worker and deliveryline_portal a login, with the passwords in DL_WORKER_DB_PASSWORD and DL_PORTAL_DB_PASSWORD (needs CREATEROLE)',
    )
    .action(async () => {
      const admin = await adminUrl();
      try {
        const pw = { worker: process.env.DL_WORKER_DB_PASSWORD || undefined, portal: process.env.DL_PORTAL_DB_PASSWORD || undefined };
        await enableLogins(admin.url, pw);
        for (const role of ['worker', 'portal'] as const) {
          const u = new URL(roleUrl(admin.url, role, pw[role] && '***'));
          say(both('db.login', { role: u.username, url: u.toString(), password: pw[role] ? 'yes' : 'no' }));
        }
      } finally {
        await admin.stop();
      }
    });
}
