import type { Command } from 'commander';
import { audit, listBatches, getBatch, batchCsv, batchJson, notAnnouncedBatches, stopBatchNotice } from '@deliveryline/shared';
import { withContext, print, say, intArg, CliError } from '../cli-context';
import { withUser } from '../cli-user';
import { writeAll } from '../write-all';

export function register(program: Command) {
  const batches = program
    .command('batches')
    .description('the batches made for members, one per member per list (state ready → notified → downloaded → closed)')
    .option('--list <id>', 'only this list', intArg('--list'))
    .option('--member <id>', 'only this member')
    .option(
      '--not-announced',
      'only batches of released lists whose notice has not gone out (retried every NOTIFY_RETRY_MINUTES until sent or stopped)',
    )
    .option(
      '--json',
      'machine output: [{ batchId, listId, memberId, entries, state, dueAt, notifiedAt, firstDownloadedAt, closedAt, relapses, open }]; with --not-announced [{ batchId, listId, memberId, notifyFailedAt, lastResponse, attempts, stoppedAt, stoppedBy }]',
    )
    .action(async (o: { list?: number; member?: string; json?: boolean; notAnnounced?: boolean }) => {
      if (o.notAnnounced) {
        const all = await withContext((ctx) => notAnnouncedBatches(ctx.pool));
        const rows = all.filter(
          (b) => (o.list === undefined || b.listId === o.list) && (o.member === undefined || b.memberId === o.member),
        );
        if (o.json) {
          print(rows);
          return;
        }
        for (const b of rows) {
          const state = b.stoppedAt
            ? `stopped by ${b.stoppedBy}`
            : b.notifyFailedAt
              ? `failed, retrying (last: ${b.lastResponse ?? '-'})`
              : 'on its way';
          process.stdout.write(`${b.batchId}\tlist ${b.listId}\t${b.memberId}\t${b.attempts} attempts\t${state}\n`);
        }
        if (!rows.length) say('every batch of a released list has been announced');
        return;
      }
      const rows = await withContext((ctx) => listBatches(ctx.pool, { listId: o.list, memberId: o.member }));
      if (o.json) {
        print(rows);
        return;
      }
      for (const b of rows) {
        process.stdout.write(
          `${b.batchId}\tlist ${b.listId}\t${b.memberId}\t${b.entries} entries\t${b.open} open\t${b.relapses} relapses\t${b.state}\tdue ${b.dueAt ?? '-'}\n`,
        );
      }
    });

  batches
    .command('stop-notice <batch>')
    .description("stops retrying a batch's notice that keeps failing (the batch stays; download and outcomes work as before); audit event")
    .option('--json', 'machine output: { batchId, stoppedBy }')
    .action(async (batchArg: string, o: { json?: boolean }) => {
      const id = intArg('BATCH')(batchArg);
      const by = await withUser('write', async (ctx, user) => {
        if (!(await stopBatchNotice(ctx.pool, id, user.email, user.actor))) {
          throw new CliError(
            `batch ${id} has no notice to stop: it does not exist, was announced, or was stopped already (see: dline batches --not-announced)`,
          );
        }
        return user.email;
      });
      if (o.json) print({ batchId: id, stoppedBy: by });
      else say(`batch ${id}: its notice will not be tried again`);
    });

  program
    .command('export <batch>')
    .description("a batch's entries, as the member downloads them (CSV; --json for JSON); streamed, any size")
    .option('--json', 'JSON array of { entryId, ip, port, observedAtJst, observedAtUtc, malware, campaign, round, tlp, relapse }')
    .option('--bom', 'CSV with a UTF-8 BOM, for Excel')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (batchArg: string, o: { json?: boolean; bom?: boolean; out?: string }) => {
      const id = intArg('BATCH')(batchArg);
      await withUser('read', async (ctx, user) => {
        const batch = await getBatch(ctx.pool, id);
        if (!batch) throw new CliError(`batch ${id} does not exist (see: dline batches)`);
        await audit(ctx.pool, {
          actor: user.actor,
          action: 'batch.export',
          object: `batch:${id}`,
          details: { format: o.json ? 'json' : o.bom ? 'csv-bom' : 'csv' },
        });
        // The coordinator's export does not count as the member's download: the state stays.
        await writeAll(o.json ? batchJson(ctx.pool, batch) : batchCsv(ctx.pool, batch, { bom: o.bom }), o.out);
      });
    });
}
