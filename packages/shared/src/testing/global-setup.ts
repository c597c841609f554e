import crypto from 'node:crypto';
import { adminQuery, dbUrl } from './test-db';
import { createPool } from '../db/pool';
import { migrate } from '../db/migrate';

/** Once per jest run: a template database with every migration applied; test files copy it. */
export default async function globalSetup(): Promise<void> {
  const name = `dltpl_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const pool = createPool(dbUrl(name), 1);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  process.env.DL_TEST_TEMPLATE = name;
}
