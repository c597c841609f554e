import type { Command } from 'commander';
import { openBatches } from '@deliveryline/shared';
import { withContext, print } from '../cli-context';

export function register(program: Command) {
  program
    .command('overdue')
    .description('open batches that are past due or not downloaded yet, for the coordinator to follow up')
    .option('--all', 'every open (not closed) batch')
    .option(
      '--json',
      'machine output: [{ batchId, listId, memberId, memberName, state, entries, open, dueAt, firstDownloadedAt, lastRemindedAt, reminders, ... }]',
    )
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const now = new Date();
      const rows = await withContext((ctx) => openBatches(ctx.pool, { now, overdueOnly: !o.all }));
      if (o.json) {
        print(rows);
        return;
      }
      if (!rows.length) process.stderr.write('no overdue batches\n');
      for (const b of rows) {
        const late = b.dueAt && new Date(b.dueAt) < now ? 'OVERDUE' : 'due';
        const dl = b.firstDownloadedAt ? `downloaded ${b.firstDownloadedAt}` : 'not downloaded';
        process.stdout.write(
          `${b.batchId}\tlist ${b.listId}\t${b.memberId}\t${b.open}/${b.entries} open\t${late} ${b.dueAt ?? '-'}\t${dl}\treminders ${b.reminders}\n`,
        );
      }
    });
}
