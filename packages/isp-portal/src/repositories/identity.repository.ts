import { normalEmail, type Queryable } from '@deliveryline/shared';
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
  /** the last accepted TOTP time-step: a code of this step or an earlier one is refused */
  totp_last_step: string | number | null;
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
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [
      normalEmail(u.email),
      u.name,
      u.role,
      u.memberId ?? null,
      u.sourceId ?? null,
      u.passwordHash,
      u.language ?? 'ja',
      u.mustChangePassword ?? false,
    ],
  );
  return r.rows[0].id;
}

/** By e-mail in any case, width or surrounding space (normalEmail): the one form they are stored in. */
export async function userByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  return (await db.query('SELECT * FROM users WHERE email = $1', [normalEmail(email)])).rows[0];
}

export async function userById(db: Queryable, id: number): Promise<UserRow | undefined> {
  return (await db.query('SELECT * FROM users WHERE id = $1', [id])).rows[0];
}

export async function allUsers(db: Queryable): Promise<UserRow[]> {
  return (await db.query('SELECT * FROM users ORDER BY role, email')).rows;
}

export async function setUserActive(db: Queryable, id: number, active: boolean): Promise<boolean> {
  const r = await db.query('UPDATE users SET active = $2 WHERE id = $1', [id, active]);
  if (!active) await endSessionsOf(db, id);
  return r.rowCount === 1;
}

/**
 * A new password hash; the one-time password's flag goes with it, and every session of the user
 * but `keepSession` (the one that changed it) ends.
 */
export async function setPassword(db: Queryable, id: number, hash: string, keepSession: string | null = null): Promise<number> {
  await db.query('UPDATE users SET password_hash = $2, must_change_password = false WHERE id = $1', [id, hash]);
  return endSessionsOf(db, id, keepSession);
}

/** `sealed` is the encrypted secret (auth/totp-crypto.ts); `step` the time-step of the code that proved it, now used. */
export async function setTotpSecret(db: Queryable, userId: number, sealed: string, step: number): Promise<void> {
  await db.query('UPDATE users SET totp_secret = $2, totp_enabled_at = now(), totp_last_step = $3 WHERE id = $1', [userId, sealed, step]);
}

/** Stored TOTP secrets not yet encrypted (from before migration 0027). */
export async function plainTotpSecrets(db: Queryable): Promise<{ id: number; totp_secret: string }[]> {
  return (await db.query(`SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE 'enc1:%'`)).rows;
}

/** Replaces a plain secret by its sealed form, unless something else changed it meanwhile. */
export async function sealTotpSecret(db: Queryable, userId: number, plain: string, sealed: string): Promise<void> {
  await db.query('UPDATE users SET totp_secret = $3 WHERE id = $1 AND totp_secret = $2', [userId, plain, sealed]);
}

/**
 * Marks a TOTP time-step used, atomically: true only if it is later than every step accepted
 * before, so one code is good once, in one session, whichever process sees it first.
 */
export async function useTotpStep(db: Queryable, userId: number, step: number): Promise<boolean> {
  const r = await db.query('UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)', [
    userId,
    step,
  ]);
  return r.rowCount === 1;
}

// Recovery codes: single use, stored as HMAC-SHA256 (auth/totp-crypto.ts).
export async function replaceRecoveryCodes(db: Queryable, userId: number, hashes: string[]): Promise<void> {
  await db.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
  await db.query('INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])', [userId, hashes]);
}

/** true once per code: the first use marks it. */
export async function useRecoveryCode(db: Queryable, userId: number, hash: string): Promise<boolean> {
  const r = await db.query('UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL', [
    userId,
    hash,
  ]);
  return r.rowCount === 1;
}

export async function recoveryCodesLeft(db: Queryable, userId: number): Promise<number> {
  return Number((await db.query('SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId])).rows[0].count);
}

export async function markSignedIn(db: Queryable, userId: number): Promise<void> {
  await db.query('UPDATE users SET last_signin_at = now() WHERE id = $1', [userId]);
}

export async function memberExists(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM members WHERE id = $1', [id])).rowCount === 1;
}

// Sessions: the cookie holds a random secret; only its sha256 is stored. `now` is the portal's clock.
export async function insertSession(
  db: Queryable,
  s: { idHash: string; userId: number; csrf: string; hours: number; secondFactorOk: boolean; now: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, second_factor_ok)
     VALUES ($1, $2, $3, $6, $6, $6::timestamptz + make_interval(hours => $4), $5)`,
    [s.idHash, s.userId, s.csrf, s.hours, s.secondFactorOk, s.now],
  );
}

export interface SessionRow {
  user: UserRow;
  csrf: string;
  secondFactorOk: boolean;
}

/**
 * The session's user if the session is neither past its absolute end (expires_at) nor idle
 * longer than `idleMinutes`, and the account is active; each use moves its idle clock on.
 */
export async function sessionUser(db: Queryable, idHash: string, now: Date, idleMinutes: number): Promise<SessionRow | undefined> {
  const r = await db.query(
    `UPDATE sessions s SET last_seen_at = $2 FROM users u
      WHERE s.id_hash = $1 AND u.id = s.user_id AND u.active
        AND s.expires_at > $2 AND s.last_seen_at > $2::timestamptz - make_interval(mins => $3)
      RETURNING s.csrf_token, s.second_factor_ok, to_jsonb(u) AS u`,
    [idHash, now, idleMinutes],
  );
  const row = r.rows[0];
  return row && { user: row.u, csrf: row.csrf_token, secondFactorOk: row.second_factor_ok };
}

/** The second factor passed: the session gets a new id (and CSRF token) so the pre-TOTP cookie is worth nothing. */
export async function passSecondFactor(db: Queryable, idHash: string, newIdHash: string, newCsrf: string): Promise<boolean> {
  const r = await db.query(
    'UPDATE sessions SET id_hash = $2, csrf_token = $3, second_factor_ok = true, totp_failures = 0 WHERE id_hash = $1',
    [idHash, newIdHash, newCsrf],
  );
  return r.rowCount === 1;
}

/** One more wrong code in a pending session; the count so far. */
export async function countTotpFailure(db: Queryable, idHash: string): Promise<number> {
  const r = await db.query('UPDATE sessions SET totp_failures = totp_failures + 1 WHERE id_hash = $1 RETURNING totp_failures', [idHash]);
  return r.rows[0]?.totp_failures ?? Number.MAX_SAFE_INTEGER;
}

export async function deleteSession(db: Queryable, idHash: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE id_hash = $1 OR expires_at < now()', [idHash]);
}

/** Ends every session of a user (but `keep`, when given); how many ended. */
export async function endSessionsOf(db: Queryable, userId: number, keep: string | null = null): Promise<number> {
  const r = await db.query('DELETE FROM sessions WHERE user_id = $1 AND id_hash IS DISTINCT FROM $2', [userId, keep]);
  return r.rowCount ?? 0;
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
