import type { Command } from 'commander';
import { approveList, ListDecisionError } from '@deliveryline/shared';
import { withContext, intArg, CliError, print, say } from '../cli-context';

export function register(program: Command) {
  program
    .command('approve <list>')
    .description('release a list that waits in awaiting_approval; the approver must not be its uploader (audit event)')
    .requiredOption('--by <user>', 'the approving coordinator (name or e-mail)')
    .option('--json', 'machine output: { listId, approvedBy }')
    .action(async (listArg: string, o: { by: string; json?: boolean }) => {
      const listId = intArg('LIST')(listArg);
      await withContext(async (ctx) => {
        try {
          await approveList(ctx, listId, o.by);
        } catch (err) {
          if (err instanceof ListDecisionError) throw new CliError(`${err.message} [${err.code}]`);
          throw err;
        }
        if (o.json) print({ listId, approvedBy: o.by });
        else say(`list ${listId} approved by ${o.by}; its batches are being released (see: dline batches --list ${listId})`);
      });
    });
}
