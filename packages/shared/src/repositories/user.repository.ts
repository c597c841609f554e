import crypto from 'node:crypto';
import type { Queryable } from '../db/pool';
import { normalEmail } from '../domain/email';

/** A portal user's role and whether the account is active, by e-mail (any case or width); undefined for no such user. */
export async function userStandingByEmail(db: Queryable, email: string): Promise<{ role: string; active: boolean } | undefined> {
  return (await db.query('SELECT role, active FROM users WHERE email = $1', [normalEmail(email)])).rows[0];
}

/** A portal user as the command line acts as one (`dline login`, DLINE_TOKEN). */
export interface NamedUser {
  id: number;
  email: string;
  name: string;
  role: string;
  active: boolean;
}

/** A portal user's role and whether the account is active, by id; undefined for no such user. */
export async function userStandingById(db: Queryable, id: number): Promise<{ email: string; role: string; active: boolean } | undefined> {
  return (await db.query('SELECT email, role, active FROM users WHERE id = $1', [id])).rows[0];
}

/**
 * The active user an API token belongs to, with the token's id and scope; undefined for an unknown
 * or revoked token. api_tokens keeps only the token's SHA-256 (hex), as the portal makes it.
 */
export async function userByApiToken(
  db: Queryable,
  token: string,
): Promise<{ user: NamedUser; tokenId: number; scope: 'read' | 'write' } | undefined> {
  const tokenHash = crypto.createHash('sha256').update(token.trim()).digest('hex');
  const r = await db.query(
    `UPDATE api_tokens t SET last_used_at = now() FROM users u
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.active
      RETURNING t.id::int AS "tokenId", t.scope, u.id::int AS id, u.email, u.name, u.role, u.active`,
    [tokenHash],
  );
  const row = r.rows[0];
  return (
    row && {
      user: { id: row.id, email: row.email, name: row.name, role: row.role, active: row.active },
      tokenId: row.tokenId,
      scope: row.scope,
    }
  );
}

/** Whether any coordinator exists yet: before the first one, `dline users add` needs no sign-in. */
export async function hasCoordinator(db: Queryable): Promise<boolean> {
  return (await db.query(`SELECT 1 FROM users WHERE role = 'coordinator' AND active LIMIT 1`)).rowCount! > 0;
}

/** A coordinator by e-mail, added (without a password: it cannot sign in) when missing; `pnpm demo` acts as one. */
export async function ensureCoordinator(db: Queryable, email: string, name: string): Promise<{ id: number; created: boolean }> {
  const added = await db.query(
    `INSERT INTO users (email, name, role) VALUES (lower($1), $2, 'coordinator') ON CONFLICT (email) DO NOTHING RETURNING id::int`,
    [email, name],
  );
  if (added.rows[0]) return { id: added.rows[0].id, created: true };
  return { id: (await db.query('SELECT id::int FROM users WHERE lower(email) = lower($1)', [email])).rows[0].id, created: false };
}
