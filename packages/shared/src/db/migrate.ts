import fs from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import { ConfigError } from '../env';
import { both } from '../i18n/catalog';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

/** The migration that makes the owner role and hands it the schema: later ones run as the owner. */
const OWNER_MIGRATION = '0025_least-privilege.sql';

/** Migrations waiting while this connection's role may not apply them (the portal's, the workers'). */
export class MigrationsPendingError extends ConfigError {}

/**
 * Forward-only runner over numbered SQL files (`0001_init.sql`). Each file runs in its own
 * transaction; an advisory lock lets several processes start at once safely. Once the owner role
 * exists (0025), every file runs as it (`SET LOCAL ROLE deliveryline_owner`), so what a migration
 * creates belongs to the owner whoever connected. A role that may not (the portal's) finds nothing
 * to do, or a MigrationsPendingError naming what waits.
 */
export async function migrate(pool: Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[\w.-]+\.sql$/.test(f))
    .sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(7242001)');
    const exists = (await client.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS e`)).rows[0].e as boolean;
    const done = new Set<string>();
    if (exists) for (const r of (await client.query('SELECT name FROM schema_migrations')).rows) done.add(r.name as string);
    const pending = files.filter((f) => !done.has(f));
    if (pending.length === 0) return applied;
    const who = (
      await client.query(
        `SELECT current_user AS name, rolsuper AS superuser,
                CASE WHEN to_regrole('deliveryline_owner') IS NULL THEN false
                     ELSE pg_has_role(current_user, 'deliveryline_owner', 'MEMBER') END AS owner_member
           FROM pg_roles WHERE rolname = current_user`,
      )
    ).rows[0];
    if (who.name === 'deliveryline_portal' || (done.has(OWNER_MIGRATION) && !who.superuser && !who.owner_member))
      throw new MigrationsPendingError(
        both('db.pending', {
          files: pending.length > 3 ? `${pending.length}: ${pending[0]} … ${pending[pending.length - 1]}` : pending.join(', '),
          role: who.name,
          cmd: 'pnpm dline db migrate',
        }),
      );
    if (!exists)
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const file of pending) {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      try {
        await client.query('BEGIN');
        if (done.has(OWNER_MIGRATION)) await client.query('SET LOCAL ROLE deliveryline_owner');
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations(name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(file);
      done.add(file);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(7242001)').catch(() => undefined);
    client.release();
  }
  return applied;
}
