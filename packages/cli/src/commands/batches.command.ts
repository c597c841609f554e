import fs from 'node:fs';
import type { Command } from 'commander';
import { listBatches, getBatch, batchEntries, csvLine } from '@deliveryline/shared';
import { withContext, print, intArg, CliError } from '../cli-context';

const jst = (d: Date) => new Date(d.getTime() + 9 * 3_600_000).toISOString().replace('Z', '+09:00');

export function register(program: Command) {
  program
    .command('batches')
    .description('the batches made for members, one per member per list')
    .option('--list <id>', 'only this list', intArg('--list'))
    .option('--member <id>', 'only this member')
    .option('--json', 'machine output: [{ batchId, listId, memberId, entries, ... }]')
    .action(async (o: { list?: number; member?: string; json?: boolean }) => {
      const rows = await withContext((ctx) => listBatches(ctx.pool, { listId: o.list, memberId: o.member }));
      if (o.json) {
        print(rows);
        return;
      }
      for (const b of rows) process.stdout.write(`${b.batchId}\tlist ${b.listId}\t${b.memberId}\t${b.entries} entries\t${b.state}\tdue ${b.dueAt ?? '-'}\n`);
    });

  program
    .command('export <batch>')
    .description("a batch's entries, as the member downloads them (CSV; --json for JSON)")
    .option('--json', 'JSON array of { entryId, ip, port, observedAt, malware }')
    .option('--bom', 'CSV with a UTF-8 BOM, for Excel')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (batchArg: string, o: { json?: boolean; bom?: boolean; out?: string }) => {
      const id = intArg('BATCH')(batchArg);
      await withContext(async (ctx) => {
        const batch = await getBatch(ctx.pool, id);
        if (!batch) throw new CliError(`batch ${id} does not exist (see: dline batches)`);
        const out = o.out ? fs.createWriteStream(o.out) : process.stdout;
        const write = (s: string) => new Promise<void>((res) => (out.write(s) ? res() : out.once('drain', () => res())));
        let first = true;
        if (o.json) await write('[');
        else await write((o.bom ? '\uFEFF' : '') + csvLine(['entry_id', 'ip', 'port', 'observed_at_jst', 'observed_at_utc', 'malware', 'campaign', 'round', 'tlp']));
        for await (const page of batchEntries(ctx.pool, batch)) {
          let s = '';
          for (const e of page) {
            if (o.json) {
              s += (first ? '\n  ' : ',\n  ') + JSON.stringify({ entryId: e.entryId, ip: e.ip, port: e.port, observedAt: e.observedAt.toISOString(), malware: e.malware });
            } else {
              s += csvLine([e.entryId, e.ip, e.port, jst(e.observedAt), e.observedAt.toISOString(), e.malware, batch.campaignName, batch.round, `TLP:${batch.tlp.toUpperCase()}`], new Set([0, 2, 7]));
            }
            first = false;
          }
          await write(s);
        }
        if (o.json) await write(first ? ']\n' : '\n]\n');
        if (o.out) await new Promise((r) => (out as fs.WriteStream).end(r));
      });
    });
}
