import type { Queryable } from '@deliveryline/shared';
import type { Role } from '../auth/caller';

export interface UserRow {
  id: number;
  email: string;
  name: string;
  role: Role;
  member_id: string | null;
  source_id: string | null;
  password_hash: string | null;
  totp_secret: string | null;
  totp_enabled_at: Date | null;
  language: 'ja' | 'en';
  active: boolean;
  must_change_password: boolean;
  created_at: Date;
  last_signin_at: Date | null;
}

export interface NewUser {
  email: string;
  name: string;
  role: Role;
  memberId?: string | null;
  sourceId?: string | null;
  passwordHash: string | null;
  language?: 'ja' | 'en';
  mustChangePassword?: boolean;
}

export async function insertUser(db: Queryable, u: NewUser): Promise<number> {
  const r = await db.query(
    `INSERT INTO users (email, name, role, member_id, source_id, password_hash, language, must_change_password)
     VALUES (lower($1), $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [u.email, u.name, u.role, u.memberId ?? null, u.sourceId ?? null, u.passwordHash, u.language ?? 'ja', u.mustChangePassword ?? false],
  );
  return r.rows[0].id;
}

export async function userByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  return (await db.query('SELECT * FROM users WHERE email = lower($1)', [email])).rows[0];
}

export async function userById(db: Queryable, id: number): Promise<UserRow | undefined> {
  return (await db.query('SELECT * FROM users WHERE id = $1', [id])).rows[0];
}

export async function allUsers(db: Queryable): Promise<UserRow[]> {
  return (await db.query('SELECT * FROM users ORDER BY role, email')).rows;
}

export async function setUserActive(db: Queryable, id: number, active: boolean): Promise<boolean> {
  const r = await db.query('UPDATE users SET active = $2 WHERE id = $1', [id, active]);
  if (!active) await db.query('DELETE FROM sessions WHERE user_id = $1', [id]);
  return r.rowCount === 1;
}

/** A new password hash; the one-time password's flag goes with it. */
export async function setPassword(db: Queryable, id: number, hash: string): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, must_change_password = false WHERE id = $1', [id, hash]);
}

export async function setTotpSecret(db: Queryable, userId: number, secret: string): Promise<void> {
  await db.query('UPDATE users SET totp_secret = $2, totp_enabled_at = now() WHERE id = $1', [userId, secret]);
}

export async function markSignedIn(db: Queryable, userId: number): Promise<void> {
  await db.query('UPDATE users SET last_signin_at = now() WHERE id = $1', [userId]);
}

export async function memberExists(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM members WHERE id = $1', [id])).rowCount === 1;
}

// Sessions: the cookie holds a random secret; only its sha256 is stored.
export async function insertSession(
  db: Queryable,
  s: { idHash: string; userId: number; csrf: string; hours: number; secondFactorOk: boolean },
): Promise<void> {
  await db.query(
    `INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at, second_factor_ok)
     VALUES ($1, $2, $3, now() + make_interval(hours => $4), $5)`,
    [s.idHash, s.userId, s.csrf, s.hours, s.secondFactorOk],
  );
}

export interface SessionRow {
  user: UserRow;
  csrf: string;
  secondFactorOk: boolean;
}

export async function sessionUser(db: Queryable, idHash: string): Promise<SessionRow | undefined> {
  const r = await db.query(
    `SELECT s.csrf_token, s.second_factor_ok, to_jsonb(u) AS u FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id_hash = $1 AND s.expires_at > now() AND u.active`,
    [idHash],
  );
  const row = r.rows[0];
  return row && { user: row.u, csrf: row.csrf_token, secondFactorOk: row.second_factor_ok };
}

export async function passSecondFactor(db: Queryable, idHash: string): Promise<void> {
  await db.query('UPDATE sessions SET second_factor_ok = true WHERE id_hash = $1', [idHash]);
}

export async function deleteSession(db: Queryable, idHash: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE id_hash = $1 OR expires_at < now()', [idHash]);
}

// API tokens: stored as sha256; the secret is shown once when created.
export interface TokenRow {
  id: number;
  user_id: number;
  name: string;
  scope: 'read' | 'write';
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export async function insertToken(
  db: Queryable,
  t: { userId: number; name: string; hash: string; scope: 'read' | 'write' },
): Promise<number> {
  const r = await db.query('INSERT INTO api_tokens (user_id, name, token_hash, scope) VALUES ($1, $2, $3, $4) RETURNING id', [
    t.userId,
    t.name,
    t.hash,
    t.scope,
  ]);
  return r.rows[0].id;
}

export async function tokenUser(
  db: Queryable,
  hash: string,
): Promise<{ user: UserRow; tokenId: number; scope: 'read' | 'write' } | undefined> {
  const r = await db.query(
    `UPDATE api_tokens t SET last_used_at = now() FROM users u
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.active
      RETURNING t.id, t.scope, to_jsonb(u) AS u`,
    [hash],
  );
  const row = r.rows[0];
  return row && { user: row.u, tokenId: Number(row.id), scope: row.scope };
}

export async function tokensOf(db: Queryable, userId: number): Promise<TokenRow[]> {
  return (
    await db.query(
      'SELECT id, user_id, name, scope, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC',
      [userId],
    )
  ).rows;
}

/** Only the owner revokes its tokens; another user's token id simply matches nothing. */
export async function revokeToken(db: Queryable, userId: number, tokenId: number): Promise<boolean> {
  const r = await db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [
    tokenId,
    userId,
  ]);
  return r.rowCount === 1;
}
