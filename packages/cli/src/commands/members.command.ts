import type { Command } from 'commander';
import { importMembers } from '@deliveryline/router';
import { withContext, print, say } from '../cli-context';

export function register(program: Command) {
  const members = program.command('members').description('member ISPs');
  members
    .command('import <file>')
    .description('add or update members from a CSV: member_id,name,contact_email[,active] (several addresses separated by ;)')
    .option('--json', 'machine output')
    .action(async (file: string, o: { json?: boolean }) => {
      const r = await withContext((ctx) => importMembers(ctx.pool, file));
      if (o.json) print(r);
      else say(`members: ${r.inserted} added, ${r.updated} updated`);
    });
}
