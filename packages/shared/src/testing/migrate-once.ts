/**
 * Applies our migrations and BullMQ's schema to DATABASE_URL, as every process does at start;
 * the concurrency test runs several of these at once on one empty database.
 */
import { createPool } from '../db/pool';
import { migrate } from '../db/migrate';
import { migrateQueueSchema } from '../jobs/backend';

async function main() {
  const url = process.env.DATABASE_URL!;
  const pool = createPool(url, 1);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  process.stdout.write(`bullmq schema ${await migrateQueueSchema(url)}\n`);
}
main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
