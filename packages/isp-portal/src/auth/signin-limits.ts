import { normalEmail, withTransaction, type Pool } from '@deliveryline/shared';
import type { SigninLimits } from '../settings';
import {
  clearThrottle,
  forgiveOne,
  lockThrottleRows,
  pruneThrottle,
  saveThrottleRow,
  type ThrottleRow,
} from '../repositories/signin-throttle.repository';

export const accountKey = (email: string) => `account:${normalEmail(email)}`;
export const addressKey = (ip: string) => `address:${ip}`;

/** Why an attempt may not even be checked, and until when. */
export type Refusal = { why: 'locked' | 'wait' | 'address'; until: Date };
export type Claim = { ok: true; failures: number; locksNow: boolean } | ({ ok: false } & Refusal);

const plus = (d: Date, seconds: number) => new Date(d.getTime() + seconds * 1000);

/** Seconds to wait after `failures` failures: none while free, then 2, 4, 8 … up to the cap. */
export function backoffSeconds(l: SigninLimits, failures: number): number {
  if (failures < l.freeFailures) return 0;
  return Math.min(2 ** (failures - l.freeFailures + 1), l.backoffMaxSeconds);
}

/** A counter as it stands at `now`: an ended lock or a window past its end starts it again. */
function current(l: SigninLimits, row: ThrottleRow | undefined, key: string, now: Date): ThrottleRow {
  const fresh = { key, failures: 0, window_start: now, last_failure_at: now, locked_until: null };
  if (!row) return fresh;
  if (row.locked_until) return row.locked_until > now ? row : fresh;
  return plus(row.window_start, l.windowSeconds) <= now ? fresh : row;
}

/**
 * Claims one attempt (password or TOTP) for an account from a client address, before anything is
 * checked: a refusal when the account is locked or in its back-off wait, or the address has failed
 * too often across accounts; otherwise the attempt is counted as a failure right away (and
 * `succeeded` takes it back), so parallel guesses are counted one after the other and none slips
 * through between the check and the count. `locksNow`: if this attempt fails, the account is locked.
 * Accounts that do not exist are counted the same way: the answers do not tell which exist.
 */
export async function claimAttempt(pool: Pool, l: SigninLimits, who: { email: string; ip: string }, now: Date): Promise<Claim> {
  const ak = accountKey(who.email);
  const ik = addressKey(who.ip);
  const claim = await withTransaction(pool, async (tx): Promise<Claim> => {
    const rows = await lockThrottleRows(tx, [ak, ik], now);
    const acc = current(l, rows.get(ak), ak, now);
    const adr = current(l, rows.get(ik), ik, now);
    if (acc.locked_until) return { ok: false, why: 'locked', until: acc.locked_until };
    if (adr.failures >= l.addressFailures) return { ok: false, why: 'address', until: plus(adr.window_start, l.windowSeconds) };
    const wait = backoffSeconds(l, acc.failures);
    if (wait && plus(acc.last_failure_at, wait) > now) return { ok: false, why: 'wait', until: plus(acc.last_failure_at, wait) };
    acc.failures += 1;
    acc.last_failure_at = now;
    const locksNow = acc.failures >= l.lockFailures;
    if (locksNow) acc.locked_until = plus(now, l.lockSeconds);
    adr.failures += 1;
    adr.last_failure_at = now;
    await saveThrottleRow(tx, acc);
    await saveThrottleRow(tx, adr);
    return { ok: true, failures: acc.failures, locksNow };
  });
  if (claim.ok && claim.failures === 1) await pruneThrottle(pool, plus(now, -2 * (l.windowSeconds + l.lockSeconds)), now);
  return claim;
}

/**
 * The claimed attempt was good. Fully signed in (no second factor due, or it passed): the account's
 * count starts again. A password that passed with a TOTP code still to come only takes its own
 * attempt back (and the lock it would have set), so wrong codes keep counting across new
 * sign-ins: knowing the password does not buy fresh guesses at the code. The address is forgiven one.
 */
export async function succeeded(
  pool: Pool,
  who: { email: string; ip: string },
  now: Date,
  o: { full: boolean; claim: Claim },
): Promise<void> {
  if (o.full) await clearThrottle(pool, accountKey(who.email), now);
  else await forgiveOne(pool, accountKey(who.email), o.claim.ok && o.claim.locksNow);
  await forgiveOne(pool, addressKey(who.ip), false);
}

/** A coordinator unlocks an account; true if it was locked. */
export const unlockAccount = (pool: Pool, email: string, now: Date) => clearThrottle(pool, accountKey(email), now);
