import path from 'node:path';
import fs from 'node:fs';
import util from 'node:util';
import { z } from 'zod';
import { BIG_LIST_ENTRIES } from './db/own-table';

/** Walks up from this file to the folder holding pnpm-workspace.yaml: `./data` means the repo's data folder wherever a process starts. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `expected a URL starting with ${protocols.map((p) => p + '//').join(' or ')}`,
  );

export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  /** who applies migrations when the process's own role may not (docs/security.md); unset: DATABASE_URL's */
  DATABASE_OWNER_URL: url(['postgres:', 'postgresql:']).optional(),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(5439),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
    .default('dl'),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().default('deliveryline <noreply@deliveryline.invalid>'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.string().url().optional(),
  DATA_DIR: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ROUTE_CHUNK_SIZE: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  /** a list with more entries than this is first routed into a table of its own (0011) */
  ROUTE_OWN_TABLE_ABOVE: z.coerce.number().int().min(0).default(BIG_LIST_ENTRIES),
  /** bytes of decisions a route chunk gathers before handing them to COPY (small values only in tests) */
  ROUTE_OUT_BYTES: z.coerce
    .number()
    .int()
    .min(16)
    .max(1 << 30)
    .default(1 << 20),
  INGEST_COPY_CHUNK: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(512 * 1024 * 1024),
  MAX_ROWS: z.coerce.number().int().positive().default(5_000_000),
  MAX_FUTURE_SKEW_MINUTES: z.coerce.number().int().min(0).default(60),
  APPROVAL_REQUIRED: bool.default('false'),
  DEFAULT_DUE_DAYS: z.coerce.number().int().min(1).max(365).default(14),
  /** how long a worker stopping on SIGTERM lets its current job run before it ends anyway */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  JOB_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),

  // Sizes of the pipeline's windows, so tests can put rows across every boundary (keep the defaults in production)
  /** entries per sorted COPY window of the ingest; a list whose first window fills gets a table of its own */
  INGEST_SORT_WINDOW: z.coerce.number().int().min(1).max(10_000_000).default(BIG_LIST_ENTRIES),
  /** first capacity (rows) of the encoding thread's columns; unset = a window and an eighth */
  INGEST_THREAD_ROWS: z.coerce.number().int().min(1).max(10_000_000).optional(),
  /** a first release with more delivered entries than this writes its batch entries into a table of its own */
  RELEASE_OWN_TABLE_ABOVE: z.coerce.number().int().min(0).default(BIG_LIST_ENTRIES),
  /** bounds on hostile input and stuck work (docs/ingest.md "Bounds", docs/reliability.md) */
  INGEST_MAX_LINE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1 << 30)
    .default(1 << 20),
  XLSX_MAX_SHARED_STRINGS_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(128 << 20),
  XLSX_MAX_STYLES_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 << 20),
  INGEST_JOB_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  RECONCILE_MAX_REQUEUES: z.coerce.number().int().min(0).max(100).default(3),
  NOTIFY_RETRY_MINUTES: z.coerce.number().int().min(1).max(10_080).default(30),
  // queues: without REDIS_URL they live in the system's own PostgreSQL (schema bullmq); with it, in Redis
  // (empty counts as unset, so `REDIS_URL=${REDIS_URL:-}` in a compose file means PostgreSQL)
  REDIS_URL: z.preprocess((v) => (v === '' ? undefined : v), url(['redis:', 'rediss:']).optional()),
  CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
  /**
   * the audit log's MAC key (docs/audit.md): 32 characters or more, the same for every process of one
   * deployment, never stored in the database. Unset: a random key kept in `<dataDir>/audit.key`
   * (made once, mode 600), except in production with an external DATABASE_URL, where it must be set.
   */
  AUDIT_KEY: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(32, 'at least 32 characters').optional()),
  /** where `pnpm start` writes the audit log's signed checkpoints (default `<dataDir>/audit-checkpoints`) */
  AUDIT_CHECKPOINT_DIR: z.string().optional(),
  /** minutes between those checkpoints; 0 = none */
  AUDIT_CHECKPOINT_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
});

export type Env = z.infer<typeof EnvSchema> & { dataDir: string; publicUrl: string };

export class ConfigError extends Error {}

/** Parses the environment once; a bad setting names the variable and what it expects. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}=${JSON.stringify(source[String(i.path[0])] ?? '')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration (see .env.example):\n${lines.join('\n')}`);
  }
  const env = result.data;
  const dataDir = path.resolve(repoRoot(), env.DATA_DIR ?? 'data');
  return { ...env, dataDir, publicUrl: env.PUBLIC_URL ?? `http://localhost:${env.PORT}` };
}

/**
 * Reads `.env` in the working folder into process.env, once, without replacing what the
 * environment already sets (the environment wins). A line that does not parse stops the process
 * with the file and line.
 */
export function loadDotEnv(file = path.join(process.cwd(), '.env')): void {
  if (loaded.has(file) || !fs.existsSync(file)) return;
  loaded.add(file);
  const text = fs.readFileSync(file, 'utf8');
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    if (!/^(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/.test(t))
      throw new ConfigError(`${file}, line ${i + 1}: expected KEY=value, found ${JSON.stringify(t.slice(0, 60))}`);
  });
  for (const [k, v] of Object.entries(util.parseEnv(text))) if (process.env[k] === undefined) process.env[k] = v;
}
const loaded = new Set<string>();
// at load, so modules that read their setting once (the PDF printer's CHROMIUM_PATH) see .env too;
// not under jest, whose tests set what they need
if (process.env.JEST_WORKER_ID === undefined) loadDotEnv();

let cached: Env | undefined;
export function env(): Env {
  loadDotEnv();
  cached ??= parseEnv();
  return cached;
}
