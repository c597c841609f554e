import { normalEmail, type Pool } from '@deliveryline/shared';
import type { PortalSettings } from '../settings';
import { userByEmail, type UserRow } from '../repositories/identity.repository';
import { verifyPassword } from './secrets';
import { claimAttempt, succeeded, type Claim } from './signin-limits';
import { checkSecondFactor } from './second-factor';

export type CredentialCheck =
  | { ok: true; user: UserRow }
  | { ok: false; why: 'limited'; until: Date; claim: Claim & { ok: false } }
  /** `second-factor-needed`: the password was right and the code is still to come (the sign-in page asks for it next) */
  | { ok: false; why: 'password' | 'second-factor' | 'second-factor-needed'; user?: UserRow; claim: Claim & { ok: true } };

/**
 * E-mail, password and (when the user has one) the second factor in one step, under the same
 * limits as the portal's sign-in page (per account and per client, in PostgreSQL) and with the
 * same single-use codes: what `dline login` signs in with. `client` names where the attempt comes
 * from (the address key of the limits).
 */
export async function checkCredentials(
  pool: Pool,
  settings: Pick<PortalSettings, 'limits' | 'totpKey'>,
  a: { email: string; password: string; code?: string; client: string },
  now = new Date(),
): Promise<CredentialCheck> {
  const who = { email: normalEmail(a.email), ip: a.client };
  const claim = await claimAttempt(pool, settings.limits, who, now);
  if (!claim.ok) return { ok: false, why: 'limited', until: claim.until, claim };
  const user = await userByEmail(pool, who.email);
  if (!user || !(await verifyPassword(a.password, user.active ? user.password_hash : null)))
    return { ok: false, why: 'password', user, claim };
  if (user.totp_secret) {
    if (!a.code) {
      // the password was right: only its own attempt is taken back, the count of codes goes on
      await succeeded(pool, who, now, { full: false, claim });
      return { ok: false, why: 'second-factor-needed', user, claim };
    }
    if (!(await checkSecondFactor(pool, settings.totpKey, user, a.code)).ok) return { ok: false, why: 'second-factor', user, claim };
  }
  await succeeded(pool, who, now, { full: true, claim });
  return { ok: true, user };
}
