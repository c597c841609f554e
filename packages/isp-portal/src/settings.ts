import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import { z } from 'zod';
import type { AppContext } from '@deliveryline/shared';
import { ROLES, type Role } from './auth/caller';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const count = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);

/** Names proxy-addr (Fastify's trustProxy) knows besides addresses and CIDRs. */
const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function proxyEntryOk(s: string): boolean {
  if (PROXY_NAMES.includes(s)) return true;
  const [addr, bits, ...rest] = s.split('/');
  const v = net.isIP(addr);
  if (!v || rest.length) return false;
  if (bits === undefined) return true;
  if (/^\d+$/.test(bits)) return Number(bits) <= (v === 4 ? 32 : 128);
  return v === 4 && net.isIPv4(bits); // 10.0.0.0/255.0.0.0
}

/**
 * The portal's own settings. They belong in shared's env.ts with the rest; until they move
 * there (asked for), this is the one place the portal reads them, parsed once with zod. The
 * table in packages/isp-portal/README.md lists them with their defaults.
 */
export const PortalSettingsSchema = z.object({
  /** the roles in PORTAL_TOTP_ROLES must add a TOTP second factor before they can use the portal or an API token */
  PORTAL_REQUIRE_TOTP: bool.default('false'),
  /** who PORTAL_REQUIRE_TOTP covers, comma-separated */
  PORTAL_TOTP_ROLES: z
    .string()
    .default('coordinator')
    .transform((s) =>
      s
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    )
    .refine((rs) => rs.length > 0 && rs.every((r) => (ROLES as readonly string[]).includes(r)), `roles are ${ROLES.join(', ')}`),
  /** cookies carry `Secure`; defaults to on when PUBLIC_URL is https */
  PORTAL_COOKIE_SECURE: bool.optional(),
  /** absolute session lifetime: sign in again after this many hours, however active */
  PORTAL_SESSION_HOURS: count(24 * 30, 12),
  /** idle timeout: a session unused for this many minutes ends */
  PORTAL_SESSION_IDLE_MINUTES: count(24 * 60, 30),
  /** requests per client address per minute to /signin and /signin/totp, per process (a flood guard in memory) */
  PORTAL_SIGNIN_PER_MINUTE: count(10000, 30),
  /** failed attempts (password or TOTP) on one account that are free; from the next one on, each waits 2^n seconds */
  PORTAL_SIGNIN_FREE_FAILURES: count(100, 5),
  /** the longest back-off wait, seconds */
  PORTAL_SIGNIN_BACKOFF_MAX_SECONDS: count(86400, 300),
  /** failed attempts on one account within the window that lock it */
  PORTAL_SIGNIN_LOCK_FAILURES: count(1000, 10),
  /** how long a lock lasts unless a coordinator unlocks the account, minutes */
  PORTAL_SIGNIN_LOCK_MINUTES: count(24 * 60, 15),
  /** the window failures are counted in, minutes (a quiet window starts the count again) */
  PORTAL_SIGNIN_WINDOW_MINUTES: count(24 * 60, 15),
  /** failed attempts from one client address within the window (across all accounts) before it must wait for the window to pass */
  PORTAL_SIGNIN_ADDRESS_FAILURES: count(100000, 50),
  /** wrong TOTP codes one pending session may send before it is ended */
  PORTAL_TOTP_SESSION_FAILURES: count(100, 5),
  /** proxies whose X-Forwarded-For is believed: addresses, CIDRs, or loopback/linklocal/uniquelocal; unset: none */
  TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((s) =>
      (s ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .refine((ps) => ps.every(proxyEntryOk), 'give addresses or CIDRs (10.0.0.0/8, ::1), comma-separated'),
  /** 32 bytes, hex (64 digits) or base64, that encrypt TOTP secrets; unset: DATA_DIR/totp.key, made once */
  TOTP_KEY: z
    .string()
    .optional()
    .refine((s) => s === undefined || parseKey(s) !== null, 'give 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)'),
  /** the bearer token Prometheus sends for /metrics; without it /metrics answers nobody */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN needs at least 16 characters').optional(),
});

export interface SigninLimits {
  freeFailures: number;
  backoffMaxSeconds: number;
  lockFailures: number;
  lockSeconds: number;
  windowSeconds: number;
  addressFailures: number;
  totpSessionFailures: number;
}

export interface PortalSettings {
  requireTotp: boolean;
  totpRoles: readonly Role[];
  cookieSecure: boolean;
  sessionHours: number;
  sessionIdleMinutes: number;
  signinPerMinute: number;
  limits: SigninLimits;
  /** Fastify's trustProxy: false, or the proxies named in TRUSTED_PROXIES */
  trustedProxies: string[];
  /** AES-256-GCM key for TOTP secrets (and, derived, the recovery codes' HMAC) */
  totpKey: Buffer;
  /** unset: /metrics is closed */
  metricsToken?: string;
  /** the clock sign-in limits and sessions read (ms); tests move it instead of sleeping */
  clock?: () => number;
}

function limitsOf(d: z.infer<typeof PortalSettingsSchema>): SigninLimits {
  return {
    freeFailures: d.PORTAL_SIGNIN_FREE_FAILURES,
    backoffMaxSeconds: d.PORTAL_SIGNIN_BACKOFF_MAX_SECONDS,
    lockFailures: d.PORTAL_SIGNIN_LOCK_FAILURES,
    lockSeconds: d.PORTAL_SIGNIN_LOCK_MINUTES * 60,
    windowSeconds: d.PORTAL_SIGNIN_WINDOW_MINUTES * 60,
    addressFailures: d.PORTAL_SIGNIN_ADDRESS_FAILURES,
    totpSessionFailures: d.PORTAL_TOTP_SESSION_FAILURES,
  };
}

/** The limits with every setting at its default (tests start from these). */
export const DEFAULT_LIMITS: SigninLimits = limitsOf(PortalSettingsSchema.parse({}));

function parseKey(s: string): Buffer | null {
  const v = s.trim();
  const b = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(v) ? Buffer.from(v, 'base64') : null;
  return b && b.length === 32 ? b : null;
}

/**
 * TOTP_KEY, or for the embedded and development setups a key made once in DATA_DIR/totp.key
 * (mode 600, base64). Several processes starting at once agree: the first creates the file, the
 * others read it. Back the file up with the database: without it the stored secrets cannot be read.
 */
export function totpKeyFrom(value: string | undefined, dataDir: string): Buffer {
  if (value) return parseKey(value)!;
  const file = path.join(dataDir, 'totp.key');
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const key = parseKey(fs.readFileSync(file, 'utf8'));
  if (!key) throw new Error(`Invalid configuration: ${file} does not hold a 32-byte key (base64); set TOTP_KEY or restore the file`);
  return key;
}

export function portalSettings(ctx: Pick<AppContext, 'env'>, source: NodeJS.ProcessEnv = process.env): PortalSettings {
  const r = PortalSettingsSchema.safeParse(source);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`Invalid configuration: ${i.path.join('.')}=${JSON.stringify(source[String(i.path[0])] ?? '')}: ${i.message}`);
  }
  const d = r.data;
  return {
    requireTotp: d.PORTAL_REQUIRE_TOTP,
    totpRoles: d.PORTAL_TOTP_ROLES as Role[],
    cookieSecure: d.PORTAL_COOKIE_SECURE ?? ctx.env.publicUrl.startsWith('https:'),
    sessionHours: d.PORTAL_SESSION_HOURS,
    sessionIdleMinutes: d.PORTAL_SESSION_IDLE_MINUTES,
    signinPerMinute: d.PORTAL_SIGNIN_PER_MINUTE,
    limits: limitsOf(d),
    trustedProxies: d.TRUSTED_PROXIES,
    totpKey: totpKeyFrom(d.TOTP_KEY, ctx.env.dataDir),
    metricsToken: d.METRICS_TOKEN,
  };
}
