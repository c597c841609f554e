import type { Queryable } from '@deliveryline/shared';

/** One counter of failed sign-in attempts: `account:<e-mail>` or `address:<ip>` (migration 0027). */
export interface ThrottleRow {
  key: string;
  failures: number;
  window_start: Date;
  last_failure_at: Date;
  locked_until: Date | null;
}

/**
 * The counters for `keys`, locked for the rest of the transaction (created empty when missing),
 * so concurrent attempts on one account or from one address are counted one after the other.
 */
export async function lockThrottleRows(tx: Queryable, keys: string[], now: Date): Promise<Map<string, ThrottleRow>> {
  const sorted = [...keys].sort(); // one lock order: no deadlock between two attempts
  await tx.query(
    `INSERT INTO signin_throttle (key, failures, window_start, last_failure_at)
     SELECT k, 0, $2, $2 FROM unnest($1::text[]) k ON CONFLICT (key) DO NOTHING`,
    [sorted, now],
  );
  const r = await tx.query('SELECT * FROM signin_throttle WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE', [sorted]);
  return new Map(r.rows.map((row: ThrottleRow) => [row.key, row]));
}

export async function saveThrottleRow(tx: Queryable, row: ThrottleRow): Promise<void> {
  await tx.query('UPDATE signin_throttle SET failures = $2, window_start = $3, last_failure_at = $4, locked_until = $5 WHERE key = $1', [
    row.key,
    row.failures,
    row.window_start,
    row.last_failure_at,
    row.locked_until,
  ]);
}

/** A counter starts again (a successful sign-in, a coordinator's unlock); true if it held a lock still running at `now`. */
export async function clearThrottle(db: Queryable, key: string, now: Date): Promise<boolean> {
  const r = await db.query('DELETE FROM signin_throttle WHERE key = $1 RETURNING locked_until > $2 AS locked', [key, now]);
  return r.rows[0]?.locked === true;
}

/** An attempt counted in advance turned out good: one failure less, and the lock it set (`undoLock`) lifted. */
export async function forgiveOne(db: Queryable, key: string, undoLock: boolean): Promise<void> {
  await db.query(
    'UPDATE signin_throttle SET failures = greatest(failures - 1, 0), locked_until = CASE WHEN $2 THEN NULL ELSE locked_until END WHERE key = $1',
    [key, undoLock],
  );
}

/** Counters nobody has failed on since `before` and no lock holds any more. */
export async function pruneThrottle(db: Queryable, before: Date, now: Date): Promise<void> {
  await db.query('DELETE FROM signin_throttle WHERE last_failure_at < $1 AND (locked_until IS NULL OR locked_until < $2)', [before, now]);
}

/** The accounts locked at `now` (e-mail → until). */
export async function lockedAccounts(db: Queryable, now: Date): Promise<Map<string, Date>> {
  const r = await db.query(`SELECT key, locked_until FROM signin_throttle WHERE key LIKE 'account:%' AND locked_until > $1`, [now]);
  return new Map(r.rows.map((x: ThrottleRow) => [x.key.slice('account:'.length), x.locked_until!]));
}
