import type { Command } from 'commander';
import { audit, getList, returnedJson, markReturnsSent, ListDecisionError } from '@deliveryline/shared';
import { encodeCsv, returnedRows, TEXT_FORMATS, type TextFormat } from '@deliveryline/ingest';
import { intArg, CliError, print, say } from '../cli-context';
import { withUser } from '../cli-user';
import { writeAll } from '../write-all';

export function register(program: Command) {
  program
    .command('returned <list>')
    .description(
      "the list's returned entries in the source's own columns, plus return_reason (CSV); --mark-sent records that they went back",
    )
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--format <f>', 'csv (UTF-8), excel (UTF-8 with BOM) or sjis (Shift_JIS, as Japanese offices send)', 'csv')
    .option('--bom', 'the same as --format excel')
    .option('--json', 'JSON array of { row, ip, port, observedAtJst, observedAtUtc, malware, returnReason }')
    .option(
      '--mark-sent',
      'record that the returned entries were given back to the source (list → returned_sent, audit event); writes no file',
    )
    .option('--note <text>', 'a note for the audit log (with --mark-sent)')
    .action(
      async (listArg: string, o: { out?: string; bom?: boolean; format: string; json?: boolean; markSent?: boolean; note?: string }) => {
        const listId = intArg('LIST')(listArg);
        const format = textFormat(o.bom ? 'excel' : o.format);
        await withUser(o.markSent ? 'write' : 'read', async (ctx, user) => {
          if (o.markSent) {
            try {
              const r = await markReturnsSent(ctx, listId, user.actor, o.note);
              if (o.json) print({ listId, state: 'returned_sent', returned: r.returned });
              else say(`list ${listId}: ${r.returned} returned entries marked as sent to the source`);
            } catch (err) {
              if (err instanceof ListDecisionError) throw new CliError(err.message);
              throw err;
            }
            return;
          }
          const l = await getList(ctx.pool, listId);
          if (!l) throw new CliError(`list ${listId} does not exist`);
          if (!['routed', 'awaiting_approval', 'released', 'returned_sent'].includes(l.state))
            throw new CliError(`list ${listId} is ${l.state}; returns are known once it is routed`);
          // reading returned entries is sensitive: who read which list, in which form
          await audit(ctx.pool, {
            actor: user.actor,
            action: 'list.returned.read',
            object: `list:${listId}`,
            details: { format: o.json ? 'json' : format },
          });
          await writeAll(o.json ? returnedJson(ctx.pool, listId) : encodeCsv(returnedRows(ctx.pool, listId), format), o.out);
        });
      },
    );
}

export function textFormat(f: string): TextFormat {
  if (!(TEXT_FORMATS as readonly string[]).includes(f)) throw new CliError(`--format ${f}: use ${TEXT_FORMATS.join(', ')}`);
  return f as TextFormat;
}
