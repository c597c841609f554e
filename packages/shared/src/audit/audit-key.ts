import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, env, type Env } from '../env';

/** The key file used when AUDIT_KEY is unset, beside the embedded database. */
export const auditKeyFile = (e: Pick<Env, 'dataDir'>) => path.join(e.dataDir, 'audit.key');

/**
 * The audit log's MAC key: AUDIT_KEY, or (unset, outside production with an external database) a
 * random key made once in `<dataDir>/audit.key` with mode 600 and read from there afterwards.
 */
export function resolveAuditKey(e: Pick<Env, 'AUDIT_KEY' | 'DATABASE_URL' | 'NODE_ENV' | 'dataDir'>): Buffer {
  if (e.AUDIT_KEY) return Buffer.from(e.AUDIT_KEY, 'utf8');
  if (e.DATABASE_URL && e.NODE_ENV === 'production')
    throw new ConfigError(
      'AUDIT_KEY is not set: in production with an external DATABASE_URL every process needs the same key (docs/audit.md)',
    );
  const file = auditKeyFile(e);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(e.dataDir, { recursive: true });
    try {
      // 'wx': when two processes start at once, the first one's key wins and the other reads it
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const key = fs.readFileSync(file, 'utf8').trim();
  if (key.length < 32)
    throw new ConfigError(`${file}: the audit key there is shorter than 32 characters; set AUDIT_KEY or remove the file`);
  return Buffer.from(key, 'utf8');
}

let cached: Buffer | undefined;
/** The key of this process (read once). */
export function auditKey(): Buffer {
  cached ??= resolveAuditKey(env());
  return cached;
}
