import { Secret, TOTP } from 'otpauth';

const PERIOD = 30;
const make = (secret: string, label = 'deliveryline') =>
  new TOTP({ issuer: 'deliveryline', label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) });

export const newTotpSecret = () => new Secret({ size: 20 }).base32;
export const totpUri = (secret: string, email: string) => make(secret, email).toString();

/**
 * The time-step (30-second period since 1970) a code belongs to, ±1 step of clock drift
 * accepted; null for a wrong code. The caller makes the step single-use (useTotpStep).
 */
export function totpStep(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = make(secret).validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD) + delta;
}

/** The code an authenticator shows now, or `ahead` periods later (tests: a fresh, not yet used step). */
export const currentTotp = (secret: string, ahead = 0) => make(secret).generate({ timestamp: Date.now() + ahead * PERIOD * 1000 });
