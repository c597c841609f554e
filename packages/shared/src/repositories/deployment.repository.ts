import type { Pool } from 'pg';

/**
 * This database's deployment identity: the random id of migration 0023 and the database's oid,
 * e.g. `3f9a0c1b2e-16384`. Two databases never share one, even when one was copied from the other.
 */
export async function deploymentId(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT d.id || '-' || db.oid AS id FROM deployment d, pg_database db WHERE db.datname = current_database()`,
  );
  if (!rows[0]) throw new Error('the deployment table is empty: migration 0023 did not run');
  return rows[0].id;
}
