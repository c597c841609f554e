import path from 'node:path';
import type { Command } from 'commander';
import {
  both,
  CheckpointFileError,
  env,
  readCheckpointFile,
  takeAuditCheckpoint,
  verifyAudit,
  writeCheckpointFile,
  type AuditProblem,
} from '@deliveryline/shared';
import { withContext, print, say, CliError } from '../cli-context';

/** One problem as a line in both languages (catalog: audit.problem.*). */
export function problemText(p: AuditProblem): string {
  return both(`audit.problem.${p.kind}`, { id: p.id, from: p.missing?.[0] ?? '?', to: p.missing?.[1] ?? '?', at: p.checkpointAt ?? '' });
}

/** The folder `pnpm start` writes checkpoints into (AUDIT_CHECKPOINT_DIR). */
export const checkpointDir = () => env().AUDIT_CHECKPOINT_DIR ?? path.join(env().dataDir, 'audit-checkpoints');

export function register(program: Command) {
  const a = program.command('audit').description('the audit log (a keyed hash chain with signed checkpoints: docs/audit.md)');
  a.command('verify')
    .description(
      'recompute the whole chain; exits 1 and lists every bad event (edited, inserted, deleted, bad MAC, missing after a checkpoint)',
    )
    .option('--checkpoint <file...>', 'checkpoint files kept outside the database (dline audit checkpoint): shows deleted newest events')
    .option('--json', 'machine output')
    .action(async (o: { json?: boolean; checkpoint?: string[] }) => {
      const checkpoints = (o.checkpoint ?? []).map((f) => {
        try {
          return readCheckpointFile(f);
        } catch (err) {
          throw err instanceof CheckpointFileError ? new CliError(err.message) : err;
        }
      });
      const v = await withContext((ctx) => verifyAudit(ctx.pool, { checkpoints }));
      if (o.json) print(v);
      else {
        const vars = { events: v.events, legacy: v.legacy, checkpoints: v.checkpoints, problems: v.problems.length };
        say(both(v.ok ? 'audit.intact' : 'audit.broken', vars));
        for (const p of v.problems) say(`  ${problemText(p)}`);
        if (v.legacy > 0) say(both('audit.legacyNote'));
      }
      if (!v.ok) process.exitCode = 1;
    });
  a.command('checkpoint')
    .description("sign the chain's head {last id, last hash, count, at} and write it to a file to keep outside the database")
    .option('--out <file>', `the file to write (default: a new file in AUDIT_CHECKPOINT_DIR, ./data/audit-checkpoints)`)
    .option('--json', 'machine output')
    .action(async (o: { out?: string; json?: boolean }) => {
      const r = await withContext(async (ctx) => {
        const v = await verifyAudit(ctx.pool);
        if (!v.ok) return { refused: v };
        const cp = await takeAuditCheckpoint(ctx.pool);
        return { refused: undefined, cp, file: o.out ? writeCheckpointFile(o.out, cp) : writeCheckpointFile(checkpointDir(), cp, true) };
      });
      if (r.refused) {
        say(both('audit.checkpoint.refused', { cmd: 'dline audit verify' }));
        for (const p of r.refused.problems) say(`  ${problemText(p)}`);
        process.exitCode = 1;
        return;
      }
      const { cp, file } = r as Required<typeof r>;
      if (o.json) print({ ...cp, file });
      else say(both('audit.checkpoint.written', { file, lastId: cp!.lastId, count: cp!.count }));
    });
}
