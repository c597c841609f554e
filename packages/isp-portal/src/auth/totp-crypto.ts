import crypto from 'node:crypto';

/**
 * TOTP secrets at rest: AES-256-GCM under TOTP_KEY, a fresh 96-bit IV each time, the user id as
 * associated data (a sealed secret copied to another user's row does not open). Stored as
 * `enc1:` + base64url(iv ‖ tag ‖ ciphertext). A value without the prefix is a plain secret from
 * before migration 0027; the portal seals those when it starts and when it reads one.
 */
const PREFIX = 'enc1:';

export const isSealed = (stored: string) => stored.startsWith(PREFIX);

export function sealSecret(key: Buffer, userId: number, plain: string): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(`user:${userId}`));
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return PREFIX + Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64url');
}

/** The plain secret; throws when the key is not the one it was sealed with (or the value was altered). */
export function openSecret(key: Buffer, userId: number, stored: string): string {
  if (!isSealed(stored)) return stored;
  const b = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  const d = crypto.createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
  d.setAAD(Buffer.from(`user:${userId}`));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
}

// Recovery codes: 12 characters from 32 without look-alikes (60 bits), shown as XXXX-XXXX-XXXX.
const ABC = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const RECOVERY_CODES = 10;

export function newRecoveryCodes(n = RECOVERY_CODES): string[] {
  return Array.from({ length: n }, () =>
    Array.from(crypto.randomBytes(12), (b) => ABC[b % 32])
      .join('')
      .replace(/(.{4})(?!$)/g, '$1-'),
  );
}

/** What a person types, as compared: case, spaces and hyphens do not matter. */
export const normalRecoveryCode = (s: string) => s.toUpperCase().replace(/[\s-]/g, '');
export const looksLikeRecoveryCode = (s: string) => /^[A-Z2-9]{12}$/.test(normalRecoveryCode(s));

/** HMAC-SHA256 under a key derived from TOTP_KEY: the stored hashes cannot be tried offline without the key. */
export function recoveryHash(key: Buffer, userId: number, code: string): string {
  const sub = Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), 'deliveryline recovery codes', 32));
  return crypto
    .createHmac('sha256', sub)
    .update(`${userId}:${normalRecoveryCode(code)}`)
    .digest('hex');
}
