import type { Command } from 'commander';
import { listBatches, getBatch, batchCsv, batchJson } from '@deliveryline/shared';
import { withContext, print, intArg, CliError } from '../cli-context';
import { writeAll } from '../write-all';

export function register(program: Command) {
  program
    .command('batches')
    .description('the batches made for members, one per member per list (state ready → notified → downloaded → closed)')
    .option('--list <id>', 'only this list', intArg('--list'))
    .option('--member <id>', 'only this member')
    .option('--json', 'machine output: [{ batchId, listId, memberId, entries, state, dueAt, notifiedAt, firstDownloadedAt, closedAt, relapses, open }]')
    .action(async (o: { list?: number; member?: string; json?: boolean }) => {
      const rows = await withContext((ctx) => listBatches(ctx.pool, { listId: o.list, memberId: o.member }));
      if (o.json) {
        print(rows);
        return;
      }
      for (const b of rows) {
        process.stdout.write(`${b.batchId}\tlist ${b.listId}\t${b.memberId}\t${b.entries} entries\t${b.open} open\t${b.relapses} relapses\t${b.state}\tdue ${b.dueAt ?? '-'}\n`);
      }
    });

  program
    .command('export <batch>')
    .description("a batch's entries, as the member downloads them (CSV; --json for JSON); streamed, any size")
    .option('--json', 'JSON array of { entryId, ip, port, observedAtJst, observedAtUtc, malware, campaign, round, tlp, relapse }')
    .option('--bom', 'CSV with a UTF-8 BOM, for Excel')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (batchArg: string, o: { json?: boolean; bom?: boolean; out?: string }) => {
      const id = intArg('BATCH')(batchArg);
      await withContext(async (ctx) => {
        const batch = await getBatch(ctx.pool, id);
        if (!batch) throw new CliError(`batch ${id} does not exist (see: dline batches)`);
        // The coordinator's export does not count as the member's download: the state stays.
        await writeAll(o.json ? batchJson(ctx.pool, batch) : batchCsv(ctx.pool, batch, { bom: o.bom }), o.out);
      });
    });
}
