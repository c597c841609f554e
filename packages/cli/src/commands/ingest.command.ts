import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { submitList, DuplicateListError, FileTooLargeError } from '@deliveryline/shared';
import { print, say, intArg, idArg, CliError } from '../cli-context';
import { withUser } from '../cli-user';
import { waitAndReport } from '../wait-list';
// the option checks alone, not the ingest package's worker and readers
import { prepareIngestOptions } from '@deliveryline/ingest';

interface Opts {
  source: string;
  campaign: string;
  round?: number;
  profile?: string;
  timezone?: string;
  encoding?: string;
  tlp?: string;
  wait?: boolean;
  json?: boolean;
}

export function register(program: Command) {
  program
    .command('ingest <file>')
    .description('upload a list of infected terminals; with --wait, return when it is routed and print its counters')
    .requiredOption('--source <id>', 'who sent the list (e.g. jpcert, mpd); created on first use', idArg('--source', 'jpcert'))
    .requiredOption('--campaign <id>', 'the operation it belongs to (e.g. goz-2014); created on first use', idArg('--campaign', 'goz-2014'))
    .option('--round <n>', 'delivery round within the campaign', intArg('--round'))
    .option(
      '--profile <name|file.json>',
      "column profile: generic, shadowserver, one of the source's, or a JSON file to save as the source's (default: chosen from the header)",
    )
    .option('--timezone <tz>', 'time zone of timestamps without an offset (e.g. Asia/Tokyo, +09:00, UTC)')
    .option('--encoding <enc>', 'text encoding: utf-8, shift_jis (cp932), euc-jp, utf-16le (default: detected)')
    .option('--tlp <label>', "sharing label: clear, green, amber, amber+strict, red (default: the campaign's)")
    .option('--wait', 'wait until the list is routed and released')
    .option('--json', 'machine output on stdout')
    .action(async (file: string, o: Opts) => {
      await withUser('write', async (ctx, user) => {
        let listId: number;
        try {
          if (!fs.existsSync(file)) throw new CliError(`${file}: no such file`);
          const checked = await prepareIngestOptions(ctx.pool, {
            sourceId: o.source,
            profile: o.profile,
            encoding: o.encoding,
            timezone: o.timezone,
          }).catch((err: Error) => {
            throw new CliError(err.message);
          });
          listId = await submitList(ctx, {
            path: path.resolve(file),
            sourceId: o.source,
            campaignId: o.campaign,
            round: o.round ?? null,
            ...checked,
            tlp: o.tlp,
            uploadedBy: user.actor,
          });
        } catch (err) {
          if (err instanceof CliError) throw err;
          if (err instanceof DuplicateListError || err instanceof FileTooLargeError) throw new CliError(err.message);
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${file}: no such file`);
          throw err;
        }
        if (!o.wait) {
          if (o.json) print({ listId, state: 'uploaded' });
          else say(`list ${listId} uploaded; follow it with: dline report --campaign ${o.campaign}`);
          return;
        }
        await waitAndReport(ctx, listId, { json: o.json, extra: { listId, campaignId: o.campaign, sourceId: o.source } });
      });
    });
}
