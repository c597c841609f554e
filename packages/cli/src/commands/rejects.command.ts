import type { Command } from 'commander';
import { csvLine, getList } from '@deliveryline/shared';
import { withContext, print, intArg, CliError } from '../cli-context';
import { writeAll } from '../write-all';

export function register(program: Command) {
  program
    .command('rejects <list>')
    .description('the rows refused while reading a list, with row, line and reason (CSV; --json for JSON)')
    .option('--json', 'JSON array of { row, line, reason, message, raw }')
    .action(async (listArg: string, o: { json?: boolean }) => {
      const listId = intArg('LIST')(listArg);
      await withContext(async (ctx) => {
        if (!(await getList(ctx.pool, listId))) throw new CliError(`list ${listId} does not exist`);
        const r = await ctx.pool.query('SELECT row_no, line_no, reason, message, raw FROM rejects WHERE list_id = $1 ORDER BY row_no', [listId]);
        const rows = r.rows.map((x) => ({ row: x.row_no, line: x.line_no, reason: x.reason, message: x.message, raw: x.raw }));
        if (o.json) {
          print(rows);
          return;
        }
        await writeAll((async function* () {
          yield csvLine(['row', 'line', 'reason', 'message', 'raw']);
          for (const x of rows) yield csvLine([x.row, x.line, x.reason, x.message, x.raw], new Set([0, 1]));
        })());
      });
    });
}
