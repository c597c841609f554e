import type { Command } from 'commander';
import { importPrefixes } from '@deliveryline/router';
import { withContext, print, say } from '../cli-context';

export function register(program: Command) {
  const prefixes = program.command('prefixes').description("the members' address space over time");
  prefixes
    .command('import <file>')
    .description('add prefixes from a CSV: member_id,cidr[,valid_from,valid_to] (IPv4 and IPv6; empty dates = open)')
    .option('--json', 'machine output')
    .action(async (file: string, o: { json?: boolean }) => {
      const r = await withContext((ctx) => importPrefixes(ctx.pool, file));
      if (o.json) print(r);
      else say(`prefixes: ${r.inserted} added, ${r.unchanged} already there`);
    });
}
