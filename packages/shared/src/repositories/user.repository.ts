import type { Queryable } from '../db/pool';

/** A portal user's role and whether the account is active, by e-mail (any case); undefined for no such user. */
export async function userStandingByEmail(db: Queryable, email: string): Promise<{ role: string; active: boolean } | undefined> {
  return (await db.query('SELECT role, active FROM users WHERE lower(email) = lower($1)', [email])).rows[0];
}
