import { audit, type Pool } from '@deliveryline/shared';

/** Where a notice that could not be sent is logged (the request's logger). */
type Log = { error: (obj: object, msg: string) => void };
import type { Mailer } from '@deliveryline/router';
import { t } from '../web/i18n';
import { fmtDate } from '../web/html';
import {
  plainTotpSecrets,
  recoveryCodesLeft,
  replaceRecoveryCodes,
  sealTotpSecret,
  useRecoveryCode,
  useTotpStep,
  userById,
  type UserRow,
} from '../repositories/identity.repository';
import { isSealed, looksLikeRecoveryCode, newRecoveryCodes, openSecret, recoveryHash, sealSecret } from './totp-crypto';
import { totpStep } from './totp';

/** Seals the plain TOTP secrets left from before migration 0027 (the portal does this when it starts); how many. */
export async function sealPlainTotpSecrets(pool: Pool, key: Buffer): Promise<number> {
  const rows = await plainTotpSecrets(pool);
  for (const r of rows) await sealTotpSecret(pool, Number(r.id), r.totp_secret, sealSecret(key, Number(r.id), r.totp_secret));
  return rows.length;
}

/** A user's TOTP secret in the clear, for checking a code; a plain one met here is sealed on the way. */
export async function totpSecretOf(pool: Pool, key: Buffer, u: Pick<UserRow, 'id' | 'totp_secret'>): Promise<string | null> {
  if (!u.totp_secret) return null;
  const id = Number(u.id);
  if (!isSealed(u.totp_secret)) await sealTotpSecret(pool, id, u.totp_secret, sealSecret(key, id, u.totp_secret));
  return openSecret(key, id, u.totp_secret);
}

/** Ten new recovery codes replace the old ones; returned once, stored as hashes only. */
export async function issueRecoveryCodes(pool: Pool, key: Buffer, userId: number): Promise<string[]> {
  const codes = newRecoveryCodes();
  await replaceRecoveryCodes(
    pool,
    userId,
    codes.map((c) => recoveryHash(key, userId, c)),
  );
  return codes;
}

export type SecondFactor = { ok: true; by: 'totp' | 'recovery' } | { ok: false; replay: boolean };

/**
 * Checks what a user typed at the second step: a 6-digit TOTP code (its time-step used at most
 * once, across sessions and processes) or one of the user's unused recovery codes (used up).
 */
export async function checkSecondFactor(
  pool: Pool,
  key: Buffer,
  u: Pick<UserRow, 'id' | 'totp_secret'>,
  typed: string,
): Promise<SecondFactor> {
  const code = typed.trim();
  const userId = Number(u.id);
  if (/^\d{6}$/.test(code)) {
    const secret = await totpSecretOf(pool, key, u);
    const step = secret ? totpStep(secret, code) : null;
    if (step === null) return { ok: false, replay: false };
    return (await useTotpStep(pool, userId, step)) ? { ok: true, by: 'totp' } : { ok: false, replay: true };
  }
  if (looksLikeRecoveryCode(code) && (await useRecoveryCode(pool, userId, recoveryHash(key, userId, code))))
    return { ok: true, by: 'recovery' };
  return { ok: false, replay: false };
}

const bilingual = (key: string, vars: Record<string, unknown>, lang: 'ja' | 'en' = 'ja') => {
  const v = (l: 'ja' | 'en') => ({
    ...vars,
    until: vars.until ? fmtDate(vars.until as Date, l) : '',
    at: vars.at ? fmtDate(vars.at as Date, l) : '',
    change: vars.change ? t(l, `mail.changed.${String(vars.change)}`) : '',
  });
  const [first, second] = lang === 'ja' ? (['ja', 'en'] as const) : (['en', 'ja'] as const);
  return {
    subject: `${t(first, `${key}.subject`, v(first))} / ${t(second, `${key}.subject`, v(second))}`,
    text: `${t(first, `${key}.body`, v(first))}\n\n----\n\n${t(second, `${key}.body`, v(second))}\n`,
  };
};

/**
 * Tells the account's owner, in both languages (theirs first), that its sign-in is locked or a
 * recovery code was used. Sent after the answer is decided and never awaited by it: a slow or
 * failing mail server neither delays the sign-in page nor tells an attacker anything.
 */
export function notifyAccount(
  mailer: Mailer,
  log: Log,
  u: Pick<UserRow, 'email' | 'language'>,
  kind: 'locked' | 'recovery' | 'changed',
  vars: Record<string, unknown>,
): Promise<void> {
  const m = bilingual(`mail.${kind}`, { email: u.email, ...vars }, u.language);
  return mailer.send({ to: [u.email], ...m, headers: { 'X-Deliveryline-Notice': `account.${kind}` } }).then(
    () => undefined,
    (err: unknown) => log.error({ err, kind }, 'account notice not sent'),
  );
}

/** The owner is told that their password or second factor changed (ASVS 2.2.3, 2.5.5). */
export async function notifyChange(
  pool: Pool,
  mailer: Mailer,
  log: Log,
  userId: number,
  change: 'password' | 'totp' | 'recovery',
  ip: string,
): Promise<void> {
  const u = await userById(pool, userId);
  if (u) void notifyAccount(mailer, log, u, 'changed', { change, ip, at: new Date() });
}

/** A recovery code was used: audited, and the owner told (how many are left). */
export async function recoveryCodeUsed(
  pool: Pool,
  mailer: Mailer,
  log: Log,
  u: Pick<UserRow, 'id' | 'email' | 'language'>,
  ip: string,
  actor: string,
): Promise<void> {
  const left = await recoveryCodesLeft(pool, Number(u.id));
  await audit(pool, { actor, action: 'user.recovery_code_used', object: `user:${u.id}`, details: { ip, left } });
  void notifyAccount(mailer, log, u, 'recovery', { ip, at: new Date(), left });
}
