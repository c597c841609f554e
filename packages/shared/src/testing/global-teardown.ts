import { Client } from 'pg';
import { TEST_PG_ADMIN } from './test-db';

/** Drops the run's template and any database a crashed test file left behind. */
export default async function globalTeardown(): Promise<void> {
  const template = process.env.DL_TEST_TEMPLATE;
  if (!template) return;
  const c = new Client({ connectionString: TEST_PG_ADMIN });
  await c.connect();
  try {
    const r = await c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${template}%`]);
    for (const { datname } of r.rows) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
