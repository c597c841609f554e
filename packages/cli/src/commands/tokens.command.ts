import type { Command } from 'commander';
import { createToken, userByEmail } from '@deliveryline/isp-portal';
import { print, say, CliError } from '../cli-context';
import { withUser } from '../cli-user';

export function register(program: Command) {
  const tokens = program.command('tokens').description('API tokens for scripts (bearer tokens for /api/v1)');
  tokens
    .command('create')
    .description('create a token for a user; the token is printed once and stored only as a hash')
    .requiredOption('--user <email>', 'the user the token acts as (its role and organisation)')
    .requiredOption('--name <name>', 'what the token is for, e.g. "nightly download"')
    .option('--scope <read|write>', 'read: GET only; write: also upload and report', 'read')
    .option('--json', 'machine output')
    .action(async (o: { user: string; name: string; scope: string; json?: boolean }) => {
      if (o.scope !== 'read' && o.scope !== 'write') throw new CliError(`--scope must be read or write, not "${o.scope}"`);
      const t = await withUser('write', async (ctx, me) => {
        const u = await userByEmail(ctx.pool, o.user);
        if (!u || !u.active) throw new CliError(`no active user ${o.user} (add one with dline users add)`);
        return createToken(ctx.pool, { userId: u.id, name: o.name, scope: o.scope as 'read' | 'write', actor: me.actor });
      });
      if (o.json) print(t);
      else {
        say(`token ${t.id} created for ${o.user} (${o.scope}); it is shown only now:`);
        process.stdout.write(t.token + '\n');
      }
    });
}
