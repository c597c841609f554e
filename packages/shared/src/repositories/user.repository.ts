import type { Queryable } from '../db/pool';
import { normalEmail } from '../domain/email';

/** A portal user's role and whether the account is active, by e-mail (any case or width); undefined for no such user. */
export async function userStandingByEmail(db: Queryable, email: string): Promise<{ role: string; active: boolean } | undefined> {
  return (await db.query('SELECT role, active FROM users WHERE email = $1', [normalEmail(email)])).rows[0];
}
