import type { Command } from 'commander';
import { setSourceAnonymous } from '@deliveryline/shared';
import { withContext, say, CliError } from '../cli-context';

export function register(program: Command) {
  program
    .command('anonymity <source> <on|off>')
    .description("keep a source's name from members (on: e-mails, exports and webhooks name the campaign only); audit event")
    .option('--by <user>', 'who changes it (audit log)', 'cli')
    .action(async (source: string, mode: string, o: { by: string }) => {
      if (mode !== 'on' && mode !== 'off') throw new CliError(`say on or off, not "${mode}"`);
      await withContext((ctx) => setSourceAnonymous(ctx.pool, source, mode === 'on', o.by));
      say(`source ${source}: ${mode === 'on' ? 'anonymous: its name never reaches a member' : 'named in messages to members'}`);
    });
}
