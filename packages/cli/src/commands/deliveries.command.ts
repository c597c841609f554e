import type { Command } from 'commander';
import { deliveryAttempts } from '@deliveryline/shared';
import { withContext, print, intArg } from '../cli-context';

export function register(program: Command) {
  program
    .command('deliveries')
    .description("every e-mail and webhook attempt for batches, with the server's answer (sent/failed, final)")
    .option('--batch <id>', 'only this batch', intArg('--batch'))
    .option('--list <id>', 'only this list', intArg('--list'))
    .option('--failed', 'only failed attempts')
    .option(
      '--json',
      'machine output: [{ batchId, listId, memberId, channel, kind, attempt, recipients, status, final, response, messageId, at }]',
    )
    .action(async (o: { batch?: number; list?: number; failed?: boolean; json?: boolean }) => {
      const rows = await withContext((ctx) => deliveryAttempts(ctx.pool, { batchId: o.batch, listId: o.list, failedOnly: o.failed }));
      if (o.json) {
        print(rows);
        return;
      }
      for (const d of rows) {
        process.stdout.write(
          `${d.at}\tbatch ${d.batchId}\t${d.memberId}\t${d.channel}/${d.kind}\t#${d.attempt}\t${d.status}${d.final ? ' (final)' : ''}\t${d.recipients.join(';')}\t${d.response ?? ''}\n`,
        );
      }
    });
}
