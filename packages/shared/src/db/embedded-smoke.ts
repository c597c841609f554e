/**
 * Starts an embedded PostgreSQL in the folder and port given, runs a query, stops it; prints the
 * server version. Run as a script (`node --import tsx embedded-smoke.ts DIR PORT`): the package is
 * ESM-only, so the test drives it in a child process.
 */
import { Client } from 'pg';
import { ensureEmbeddedPostgres } from './embedded';

async function main() {
  const [dir, port] = process.argv.slice(2);
  const h = await ensureEmbeddedPostgres(dir, Number(port), (m) => process.stderr.write(m + '\n'));
  const c = new Client({ connectionString: h.url });
  await c.connect();
  const v = (await c.query('SELECT version() AS v, current_database() AS db')).rows[0];
  await c.end();
  await h.stop();
  process.stdout.write(JSON.stringify(v) + '\n');
}
main().catch((err) => {
  process.stderr.write(`embedded smoke failed: ${err?.message ?? err}\n`);
  process.exit(1);
});
