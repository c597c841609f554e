import { openTestContext, type TestContext } from '../testing';
import { migrate } from './migrate';

/**
 * Migration 0027 on a database as it stood before it: the migration is taken back, rows written
 * the old way are put in, and the migration runs again.
 */
describe('migration 0027 (sign-in hardening)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await openTestContext();
  });
  afterAll(async () => ctx?.close());

  async function before0027(emails: string[]) {
    await ctx.pool.query(`
      ALTER TABLE users DROP CONSTRAINT users_email_normalised;
      DROP TABLE signin_throttle;
      DROP TABLE recovery_codes;
      ALTER TABLE users DROP COLUMN totp_last_step;
      ALTER TABLE sessions DROP COLUMN totp_failures, DROP COLUMN last_seen_at;
      DELETE FROM schema_migrations WHERE name = '0027_signin-hardening.sql';
      DELETE FROM users;`);
    for (const e of emails) await ctx.pool.query(`INSERT INTO users (email, name, role) VALUES ($1, 'x', 'viewer')`, [e]);
  }

  it('stops, naming them, when two stored addresses are one once normalised', async () => {
    await before0027(['dup@example.jp', ' DUP@Example.JP ']);
    await expect(migrate(ctx.pool)).rejects.toThrow(
      /0027_signin-hardening\.sql failed: .*same once trimmed, NFKC-normalised and lower-cased: dup@example\.jp/,
    );
  });

  it('normalises the stored addresses (trim, NFKC, lower-case) and then keeps them so', async () => {
    await ctx.pool.query('DELETE FROM users');
    await ctx.pool.query(
      `INSERT INTO users (email, name, role) VALUES (' Padded@Example.JP ', 'x', 'viewer'), ('ＦＵＬＬ＠example.jp', 'y', 'viewer')`,
    );
    expect(await migrate(ctx.pool)).toEqual(['0027_signin-hardening.sql']);
    const emails = (await ctx.pool.query('SELECT email FROM users ORDER BY email')).rows.map((r) => r.email);
    expect(emails).toEqual(['full@example.jp', 'padded@example.jp']);
    await expect(ctx.pool.query(`INSERT INTO users (email, name, role) VALUES ('Upper@example.jp', 'z', 'viewer')`)).rejects.toThrow(
      /users_email_normalised/,
    );
  });
});
