import crypto from 'node:crypto';

/**
 * Webhook signature, Stripe-style so receivers know the pattern: header
 * `X-Deliveryline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp inside the MAC lets a receiver refuse replays (we suggest a 5-minute window).
 */
export const SIGNATURE_HEADER = 'X-Deliveryline-Signature';

export function signWebhook(secret: string, body: string, at: Date = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  const mac = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

/** What a receiver does; used by our tests and offered to members as reference code. */
export function verifyWebhook(secret: string, body: string, header: string, now: Date = new Date(), toleranceSec = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isFinite(t) || !parts.v1 || Math.abs(now.getTime() / 1000 - t) > toleranceSec) return false;
  const want = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const got = Buffer.from(parts.v1, 'hex');
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}
