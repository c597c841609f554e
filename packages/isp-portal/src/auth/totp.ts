import { Secret, TOTP } from 'otpauth';

const make = (secret: string, label = 'deliveryline') =>
  new TOTP({ issuer: 'deliveryline', label, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });

export const newTotpSecret = () => new Secret({ size: 20 }).base32;
export const totpUri = (secret: string, email: string) => make(secret, email).toString();
/** ±1 step of clock drift is accepted */
export const checkTotp = (secret: string, code: string) =>
  /^\d{6}$/.test(code) && make(secret).validate({ token: code, window: 1 }) !== null;
export const currentTotp = (secret: string) => make(secret).generate();
