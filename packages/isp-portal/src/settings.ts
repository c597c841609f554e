import { z } from 'zod';
import type { AppContext } from '@deliveryline/shared';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * The portal's own settings. They belong in shared's env.ts with the rest; until they move
 * there (asked for), this is the one place the portal reads them, parsed once with zod.
 */
export const PortalSettingsSchema = z.object({
  /** coordinators must add a TOTP second factor before they can use the portal */
  PORTAL_REQUIRE_TOTP: bool.default('false'),
  /** cookies carry `Secure`; defaults to on when PUBLIC_URL is https */
  PORTAL_COOKIE_SECURE: bool.optional(),
  PORTAL_SESSION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  /** sign-in attempts per address and account per minute */
  PORTAL_SIGNIN_PER_MINUTE: z.coerce.number().int().min(1).max(1000).default(10),
  /** the bearer token Prometheus sends for /metrics; without it /metrics answers nobody */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN needs at least 16 characters').optional(),
});

export interface PortalSettings {
  requireTotp: boolean;
  cookieSecure: boolean;
  sessionHours: number;
  signinPerMinute: number;
  /** unset: /metrics is closed */
  metricsToken?: string;
}

export function portalSettings(ctx: Pick<AppContext, 'env'>, source: NodeJS.ProcessEnv = process.env): PortalSettings {
  const r = PortalSettingsSchema.safeParse(source);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`Invalid configuration: ${i.path.join('.')}=${JSON.stringify(source[String(i.path[0])] ?? '')}: ${i.message}`);
  }
  return {
    requireTotp: r.data.PORTAL_REQUIRE_TOTP,
    cookieSecure: r.data.PORTAL_COOKIE_SECURE ?? ctx.env.publicUrl.startsWith('https:'),
    sessionHours: r.data.PORTAL_SESSION_HOURS,
    signinPerMinute: r.data.PORTAL_SIGNIN_PER_MINUTE,
    metricsToken: r.data.METRICS_TOKEN,
  };
}
