import type { Command } from 'commander';
import { getList, retryList, RetryRefused } from '@deliveryline/shared';
import { intArg, CliError, print, say } from '../cli-context';
import { withUser } from '../cli-user';
import { waitAndReport } from '../wait-list';
// the option checks alone, not the ingest package's worker and readers
import { prepareIngestOptions } from '@deliveryline/ingest';

interface Opts {
  timezone?: string;
  encoding?: string;
  profile?: string;
  wait?: boolean;
  json?: boolean;
}

export function register(program: Command) {
  program
    .command('retry <list>')
    .description(
      'run a failed list again from the stage it failed in (reading its file, or routing), once the cause is fixed; no new upload',
    )
    .option('--timezone <tz>', 'time zone of timestamps without an offset, for a list that failed on them (e.g. Asia/Tokyo)')
    .option('--encoding <enc>', 'text encoding of the file, for a list read with the wrong one')
    .option('--profile <name|file.json>', 'column profile, for a list whose columns were not recognised')
    .option('--wait', 'wait until the list is routed and released')
    .option('--json', 'machine output on stdout')
    .action(async (listArg: string, o: Opts) => {
      const listId = intArg('LIST')(listArg);
      await withUser('write', async (ctx, user) => {
        const list = await getList(ctx.pool, listId);
        if (!list) throw new CliError(`list ${listId} does not exist (see: dline report, or the portal's list page)`);
        const checked =
          o.timezone || o.encoding || o.profile
            ? await prepareIngestOptions(ctx.pool, {
                sourceId: list.source_id,
                profile: o.profile,
                encoding: o.encoding,
                timezone: o.timezone,
              }).catch((err: Error) => {
                throw new CliError(err.message);
              })
            : {};
        const { stage } = await retryList(ctx, listId, user.actor, checked).catch((err) => {
          throw err instanceof RetryRefused ? new CliError(err.message) : err;
        });
        if (!o.wait) {
          if (o.json) print({ listId, stage });
          else
            say(
              `list ${listId}: ${stage === 'parse' ? 'its file is read again' : 'its entries are routed again'}; follow it with: dline retry ${listId} --wait, or the portal`,
            );
          return;
        }
        say(`list ${listId}: ${stage === 'parse' ? 'reading its file again' : 'routing its entries again'}`);
        await waitAndReport(ctx, listId, { json: o.json, extra: { stage } });
      });
    });
}
