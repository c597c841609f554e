import type { Command } from 'commander';
import { importMembers } from '@deliveryline/router';
import { print, say } from '../cli-context';
import { withUser } from '../cli-user';

export function register(program: Command) {
  const members = program.command('members').description('member ISPs');
  members
    .command('import <file>')
    .description(
      'add or update members from a CSV: member_id,name,contact_email[,active,joined_on,left_on,language] (several addresses separated by ;)',
    )
    .option('--dry-run', 'show what would change and change nothing')
    .option('--json', 'machine output')
    .action(async (file: string, o: { json?: boolean; dryRun?: boolean }) => {
      const r = await withUser(o.dryRun ? 'read' : 'write', (ctx, user) =>
        importMembers(ctx.pool, file, { dryRun: o.dryRun, actor: user.actor }),
      );
      if (o.json) return void print({ ...r, dryRun: !!o.dryRun });
      for (const c of r.changes) say(`  ${c}`);
      say(
        `${o.dryRun ? 'dry run, nothing written — would be ' : ''}members: ${r.inserted} added, ${r.updated} updated, ${r.unchanged} unchanged`,
      );
    });
}
