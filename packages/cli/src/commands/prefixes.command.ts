import fs from 'node:fs';
import type { Command } from 'commander';
import { checkRegistry, exportPrefixes, formatCheck, importPrefixes, parseDate } from '@deliveryline/router';
import { withContext, print, say, CliError } from '../cli-context';
import { withUser } from '../cli-user';

export function register(program: Command) {
  const prefixes = program.command('prefixes').description("the members' address space over time");
  prefixes
    .command('import <file>')
    .description(
      'add, move or end holdings from a CSV: member_id,cidr[,valid_from,valid_to] (IPv4 and IPv6; empty dates = open; see docs/routing.md)',
    )
    .option('--dry-run', 'show what would change and change nothing')
    .option('--json', 'machine output')
    .action(async (file: string, o: { json?: boolean; dryRun?: boolean }) => {
      const r = await withUser(o.dryRun ? 'read' : 'write', (ctx, user) =>
        importPrefixes(ctx.pool, file, { dryRun: o.dryRun, actor: user.actor }),
      );
      if (o.json) return void print({ added: r.added, closed: r.closed, unchanged: r.unchanged, dryRun: r.dryRun, changes: r.lines });
      for (const l of r.lines) say(`  ${l}`);
      say(
        `${r.dryRun ? 'dry run, nothing written — would be ' : ''}prefixes: ${r.added} added, ${r.closed} closed, ${r.unchanged} unchanged`,
      );
    });
  prefixes
    .command('export')
    .description('write the registry as a prefix CSV (the import format) to stdout or --out')
    .option('--at <date>', 'only the holdings valid at this moment (YYYY-MM-DD = 00:00 JST, or ISO 8601)')
    .option('--out <file>', 'write to this file')
    .action(async (o: { at?: string; out?: string }) => {
      const at = o.at ? parseDate(o.at) : null;
      if (at === 'bad') throw new CliError(`--at "${o.at}" is not a date; write YYYY-MM-DD or ISO 8601`);
      const csv = await withContext((ctx) => exportPrefixes(ctx.pool, at));
      if (o.out) {
        fs.writeFileSync(o.out, csv);
        say(`prefixes: ${csv.split('\n').length - 2} rows written to ${o.out}`);
      } else process.stdout.write(csv);
    });
  prefixes
    .command('check')
    .description(
      'data-quality report: nested prefixes of other members, changed hands, members without contacts or prefixes, expired prefixes still receiving entries',
    )
    .option('--json', 'machine output')
    .action(async (o: { json?: boolean }) => {
      const c = await withContext((ctx) => checkRegistry(ctx.pool));
      if (o.json) print(c);
      else process.stdout.write(formatCheck(c) + '\n');
    });
}
