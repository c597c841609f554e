import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

/**
 * The database roles (migration 0025): the owner (migrations), the workers' and the CLI's, the
 * portal's. The migration makes them without a login; `enableLogins` gives the worker and portal
 * roles one, with a password where the server asks for one.
 */
export const DB_ROLES = { owner: 'deliveryline_owner', worker: 'deliveryline_worker', portal: 'deliveryline_portal' } as const;
export type LoginRole = 'worker' | 'portal';

/** `url` with its user (and password) replaced by the role's. */
export function roleUrl(url: string, role: LoginRole, password?: string): string {
  const u = new URL(url);
  u.username = DB_ROLES[role];
  u.password = password ? encodeURIComponent(password) : '';
  return u.toString();
}

/** Gives the worker and portal roles a login (and the passwords given). Needs CREATEROLE (an administrator). */
export async function enableLogins(adminUrl: string, passwords: Partial<Record<LoginRole, string>> = {}): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  c.on('error', () => undefined);
  await c.connect();
  try {
    for (const role of ['worker', 'portal'] as const) {
      const pw = passwords[role];
      // a literal in DDL: quote_literal through format(), never string concatenation
      const sql = (await c.query(`SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, $2::text) AS q`, [DB_ROLES[role], pw ?? null]))
        .rows[0].q as string;
      await c.query(pw ? sql : `ALTER ROLE ${DB_ROLES[role]} LOGIN`);
    }
  } finally {
    await c.end();
  }
}

/**
 * The embedded PostgreSQL's logins: passwords made once and kept in `<dataDir>/db-roles.json`
 * (mode 600, beside the database), so `pnpm start` runs the portal and the workers as their own
 * roles with nothing to configure.
 */
export async function embeddedLogins(adminUrl: string, dataDir: string): Promise<Record<LoginRole, string>> {
  const file = path.join(dataDir, 'db-roles.json');
  let pw: Record<LoginRole, string>;
  try {
    pw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<LoginRole, string>;
  } catch {
    pw = { worker: crypto.randomBytes(24).toString('base64url'), portal: crypto.randomBytes(24).toString('base64url') };
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(pw), { mode: 0o600 });
  }
  await enableLogins(adminUrl, pw);
  return { worker: roleUrl(adminUrl, 'worker', pw.worker), portal: roleUrl(adminUrl, 'portal', pw.portal) };
}
