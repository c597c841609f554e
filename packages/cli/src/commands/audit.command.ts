import type { Command } from 'commander';
import { verifyAudit } from '@deliveryline/shared';
import { withContext, print, say } from '../cli-context';

export function register(program: Command) {
  const a = program.command('audit').description('the audit log (a hash chain)');
  a.command('verify')
    .description('recompute the chain; exits 1 and names the first bad event when a row was edited, inserted or deleted')
    .option('--json', 'machine output')
    .action(async (o: { json?: boolean }) => {
      const v = await withContext((ctx) => verifyAudit(ctx.pool));
      if (o.json) print(v);
      else if (v.ok) say(`audit log intact: ${v.events} events`);
      else say(`audit log BROKEN at event ${v.brokenAt!.id}: ${v.brokenAt!.reason} (${v.events} events checked)`);
      if (!v.ok) process.exitCode = 1;
    });
}
