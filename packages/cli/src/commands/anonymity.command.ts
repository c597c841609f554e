import type { Command } from 'commander';
import { setSourceAnonymous } from '@deliveryline/shared';
import { say, CliError } from '../cli-context';
import { withUser } from '../cli-user';

export function register(program: Command) {
  program
    .command('anonymity <source> <on|off>')
    .description("keep a source's name from members (on: e-mails, exports and webhooks name the campaign only); audit event")
    .action(async (source: string, mode: string, _o: unknown) => {
      if (mode !== 'on' && mode !== 'off') throw new CliError(`say on or off, not "${mode}"`);
      await withUser('write', (ctx, user) => setSourceAnonymous(ctx.pool, source, mode === 'on', user.actor));
      say(`source ${source}: ${mode === 'on' ? 'anonymous: its name never reaches a member' : 'named in messages to members'}`);
    });
}
