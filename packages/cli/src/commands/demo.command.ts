import path from 'node:path';
import type { Command } from 'commander';
import { audit, submitList, env, ensureCoordinator, DuplicateListError } from '@deliveryline/shared';
import { campaignReport } from '@deliveryline/reports';
import { importMembers, importPrefixes } from '@deliveryline/router';
import { withContext, ensurePipelineWorkers, say } from '../cli-context';
import { waitForList } from '../wait-list';
import { GOZ, VAWTRAK, writeRegistry, writeRounds } from '../demo/replay';
import { renderTable } from './report.command';

/** The demo's coordinator (no password: it cannot sign in to the portal). */
export const DEMO_USER = 'demo@deliveryline.invalid';

export function register(program: Command) {
  program
    .command('demo')
    .description('load a demo registry, replay GOZ- and VAWTRAK-like campaigns through the pipeline, print the tables')
    .action(async () => {
      const dir = path.join(env().dataDir, 'demo');
      const reg = writeRegistry(dir, 16);
      await withContext(async (ctx) => {
        // the demo acts as a named coordinator of its own, as every command does (docs/audit.md)
        const demo = await ensureCoordinator(ctx.pool, DEMO_USER, 'デモ / demo');
        const actor = `user:${demo.id}`;
        if (demo.created)
          await audit(ctx.pool, {
            actor: 'bootstrap',
            action: 'user.add',
            object: actor,
            details: { email: DEMO_USER, role: 'coordinator' },
          });
        await importMembers(ctx.pool, reg.membersCsv, { actor });
        await importPrefixes(ctx.pool, reg.prefixesCsv, { actor });
        const workers = await ensurePipelineWorkers(ctx);
        try {
          for (const spec of [GOZ, VAWTRAK]) {
            const files = writeRounds(dir, spec);
            for (const [i, file] of files.entries()) {
              let listId: number;
              try {
                listId = await submitList(ctx, {
                  path: file,
                  sourceId: spec.source,
                  campaignId: spec.id,
                  round: i + 1,
                  uploadedBy: actor,
                });
              } catch (err) {
                if (!(err instanceof DuplicateListError)) throw err;
                say(`${path.basename(file)}: already loaded as list ${err.firstListId}`);
                continue;
              }
              say(`${path.basename(file)}: list ${listId} uploaded`);
              const f = await waitForList(ctx, listId, { drainDeliver: true });
              say(`  list ${listId}: ${f.state}, ${f.received} received, ${f.delivered} delivered, ${f.returned} returned`);
            }
            process.stdout.write('\n' + renderTable(await campaignReport(ctx.pool, spec.id)) + '\n');
          }
          say(
            `\nbatch e-mails: ${ctx.env.SMTP_URL ? 'sent via ' + ctx.env.SMTP_URL : 'written to ' + path.join(ctx.env.dataDir, 'outbox')}`,
          );
          say('try: pnpm dline batches --list 1   |   pnpm dline export <batch>   |   pnpm dline returned 1');
        } finally {
          await Promise.all(workers.map((w) => w.close()));
        }
      });
    });
}
