import type { Command } from 'commander';
import { approveList, ListDecisionError } from '@deliveryline/shared';
import { intArg, CliError, print, say } from '../cli-context';
import { withUser } from '../cli-user';

export function register(program: Command) {
  program
    .command('approve <list>')
    .description('release a list that waits in awaiting_approval; the approver must not be its uploader (audit event)')
    .option('--json', 'machine output: { listId, approvedBy }')
    .action(async (listArg: string, o: { json?: boolean }) => {
      const listId = intArg('LIST')(listArg);
      await withUser('write', async (ctx, user) => {
        try {
          await approveList(ctx, listId, { userId: user.id, email: user.email, actor: user.actor });
        } catch (err) {
          if (err instanceof ListDecisionError) throw new CliError(`${err.message} [${err.code}]`);
          throw err;
        }
        if (o.json) print({ listId, approvedBy: user.email });
        else say(`list ${listId} approved by ${user.email}; its batches are being released (see: dline batches --list ${listId})`);
      });
    });
}
