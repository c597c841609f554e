import type { Command } from 'commander';
import { getList } from '@deliveryline/shared';
import { returnedRows } from '@deliveryline/ingest';
import { withContext, intArg, CliError } from '../cli-context';
import { writeAll } from '../write-all';

export function register(program: Command) {
  program
    .command('returned <list>')
    .description("the list's returned entries in the source's own columns, plus return_reason (CSV)")
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (listArg: string, o: { out?: string }) => {
      const listId = intArg('LIST')(listArg);
      await withContext(async (ctx) => {
        const l = await getList(ctx.pool, listId);
        if (!l) throw new CliError(`list ${listId} does not exist`);
        if (!['routed', 'awaiting_approval', 'released', 'returned_sent'].includes(l.state)) throw new CliError(`list ${listId} is ${l.state}; returns are known once it is routed`);
        await writeAll(returnedRows(ctx.pool, listId), o.out);
      });
    });
}
