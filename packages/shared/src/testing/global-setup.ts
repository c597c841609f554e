import crypto from 'node:crypto';
import { adminQuery, dbUrl } from './test-db';
import { createPool } from '../db/pool';
import { migrate } from '../db/migrate';
import { migrateQueueSchema } from '../jobs/backend';
import { enableLogins } from '../db/roles';

/** Once per jest run: a template database with every migration applied; test files copy it. */
export default async function globalSetup(): Promise<void> {
  const name = `dltpl_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const pool = createPool(dbUrl(name), 1);
  try {
    await migrate(pool);
    // BullMQ's schema too, so copies with their queues in PostgreSQL start ready
    await migrateQueueSchema(dbUrl(name));
    // the portal under test connects as its own role (asPortal), as it does in production
    await enableLogins(dbUrl(name));
  } finally {
    await pool.end();
  }
  process.env.DL_TEST_TEMPLATE = name;
  // the audit log's MAC key of every test process and of the commands tests run (docs/audit.md)
  process.env.AUDIT_KEY ??= `test-audit-key-${crypto.randomBytes(16).toString('hex')}`;
}
