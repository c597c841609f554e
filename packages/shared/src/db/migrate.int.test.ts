import crypto from 'node:crypto';
import { adminQuery, dbUrl } from '../testing/test-db';
import { createPool } from './pool';
import { migrate, MigrationsPendingError } from './migrate';
import { roleUrl } from './roles';

/** Who may apply migrations (0025): the administrator or the owner, never the portal's role. */
describe('migrations and the database roles', () => {
  const name = `dl_migrate_${crypto.randomBytes(3).toString('hex')}`;
  beforeAll(() => adminQuery(`CREATE DATABASE "${name}"`));
  afterAll(() => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));

  it("refuses to migrate as the portal's role, naming what waits in both languages; then finds nothing to do once the owner has", async () => {
    const portal = createPool(roleUrl(dbUrl(name), 'portal'), 1);
    const admin = createPool(dbUrl(name), 1);
    try {
      const err = await migrate(portal).catch((e: Error) => e);
      expect(err).toBeInstanceOf(MigrationsPendingError);
      expect((err as Error).message).toMatch(/0001_init\.sql … 0\d{3}_/);
      expect((err as Error).message).toContain('deliveryline_portal');
      expect((err as Error).message).toMatch(/所有者として適用してください.* \/ the database needs migrations/);
      const applied = await migrate(admin);
      expect(applied).toContain('0025_least-privilege.sql');
      expect(await migrate(portal)).toEqual([]);
      // what the migrations made belongs to the owner, whoever connected
      const owners = (
        await admin.query(
          `SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')`,
        )
      ).rows.map((r) => r.o);
      expect(owners).toEqual(['deliveryline_owner']);
    } finally {
      await portal.end();
      await admin.end();
    }
  });
});
