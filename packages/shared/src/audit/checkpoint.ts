import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { withTransaction, type Pool } from '../db/pool';
import { signCheckpoint } from '../domain/audit-chain';
import { auditKey } from './audit-key';
import { readAuditHead, type SignedCheckpoint } from './audit-log';

/**
 * Signed checkpoints of the audit chain's head (docs/audit.md): {last id, last hash, count, legacy,
 * at} signed with HMAC-SHA256 under a key derived from AUDIT_KEY. The file a coordinator keeps away
 * from the database is what shows that the newest events were deleted; the audit_checkpoints row is
 * a convenience copy that `verifyAudit` also checks.
 */
export async function takeAuditCheckpoint(pool: Pool, key: Buffer = auditKey()): Promise<SignedCheckpoint> {
  return withTransaction(pool, async (tx) => {
    const head = await readAuditHead(tx);
    const cp = { ...head, signature: signCheckpoint(key, head) };
    await tx.query(`INSERT INTO audit_checkpoints (last_id, last_hash, count, legacy, at, signature) VALUES ($1, $2, $3, $4, $5, $6)`, [
      cp.lastId,
      cp.lastHash,
      cp.count,
      cp.legacy,
      cp.at,
      cp.signature,
    ]);
    return cp;
  });
}

const FileSchema = z.object({
  kind: z.literal('deliveryline-audit-checkpoint'),
  scheme: z.literal('hmac-sha256'),
  lastId: z.number().int().min(0),
  lastHash: z.string().regex(/^[0-9a-f]{64}$/),
  count: z.number().int().min(0),
  legacy: z.number().int().min(0),
  at: z.string(),
  signature: z.string().regex(/^[0-9a-f]{64}$/),
});

export class CheckpointFileError extends Error {}

/** Writes a checkpoint as JSON to `target` (a file, or a folder: then named by its id and time); returns the file. */
export function writeCheckpointFile(target: string, cp: SignedCheckpoint, asDir = false): string {
  const file = asDir ? path.join(target, `audit-checkpoint-${cp.lastId}-${cp.at.replace(/[:.]/g, '')}.json`) : target;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const body = { kind: 'deliveryline-audit-checkpoint', scheme: 'hmac-sha256', ...cp };
  fs.writeFileSync(file, JSON.stringify(body, null, 2) + '\n', { mode: 0o644 });
  return file;
}

/** Reads a checkpoint file; a file that is not one says which and why. */
export function readCheckpointFile(file: string): SignedCheckpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CheckpointFileError(`${file}: ${(err as Error).message}`);
  }
  const r = FileSchema.safeParse(raw);
  if (!r.success)
    throw new CheckpointFileError(
      `${file}: not an audit checkpoint (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
    );
  const { lastId, lastHash, count, legacy, at, signature } = r.data;
  return { lastId, lastHash, count, legacy, at, signature };
}

/**
 * Takes a checkpoint into `dir` now and every `minutes` (0: never) while the log has grown since the
 * last one; `pnpm start` runs it (docs/audit.md). Returns a stop function.
 */
export function checkpointPeriodically(
  pool: Pool,
  dir: string,
  minutes: number,
  log: { info(m: string): void; error(m: string): void },
): () => void {
  if (minutes <= 0) return () => undefined;
  let lastId = -1;
  const once = async () => {
    try {
      const head = (await pool.query('SELECT coalesce(max(id), 0)::float8 AS id FROM audit_events')).rows[0].id as number;
      if (head === lastId) return;
      const cp = await takeAuditCheckpoint(pool);
      lastId = cp.lastId;
      log.info(`audit checkpoint: ${writeCheckpointFile(dir, cp, true)} (event ${cp.lastId}, ${cp.count} events)`);
    } catch (err) {
      log.error(`audit checkpoint failed: ${(err as Error).message}`);
    }
  };
  void once();
  const timer = setInterval(() => void once(), minutes * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
