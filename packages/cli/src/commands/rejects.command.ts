import type { Command } from 'commander';
import { audit, csvLine, getList, listRejects } from '@deliveryline/shared';
import { print, intArg, CliError } from '../cli-context';
import { withUser } from '../cli-user';
import { writeAll } from '../write-all';
import { encodeCsv } from '@deliveryline/ingest';
import { textFormat } from './returned.command';

export function register(program: Command) {
  program
    .command('rejects <list>')
    .description('the rows refused while reading a list, with row, line and reason (CSV; --json for JSON)')
    .option('--json', 'JSON array of { row, line, reason, message, raw }')
    .option('--format <f>', 'csv (UTF-8), excel (UTF-8 with BOM) or sjis (Shift_JIS)', 'csv')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (listArg: string, o: { json?: boolean; format: string; out?: string }) => {
      const listId = intArg('LIST')(listArg);
      const format = textFormat(o.format);
      await withUser('read', async (ctx, user) => {
        if (!(await getList(ctx.pool, listId))) throw new CliError(`list ${listId} does not exist`);
        const rows = await listRejects(ctx.pool, listId);
        await audit(ctx.pool, {
          actor: user.actor,
          action: 'list.rejects.read',
          object: `list:${listId}`,
          details: { format: o.json ? 'json' : format, rows: rows.length },
        });
        if (o.json) {
          print(rows);
          return;
        }
        await writeAll(
          encodeCsv(
            (function* () {
              yield csvLine(['row', 'line', 'reason', 'message', 'raw']);
              for (const x of rows) yield csvLine([x.row, x.line, x.reason, x.message, x.raw], new Set([0, 1]));
            })(),
            format,
          ),
          o.out,
        );
      });
    });
}
