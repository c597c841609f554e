import type { Command } from 'commander';
import { RerouteRefused, movedSince, reroute } from '@deliveryline/router';
import { print, say, intArg, CliError } from '../cli-context';
import { withUser } from '../cli-user';

export function register(program: Command) {
  program
    .command('route <list>')
    .description('route a list again after a registry change (only before it is released) and report what moved')
    .option('--wait', 'wait for the new routing to finish')
    .option('--json', 'machine output')
    .action(async (listArg: string, o: { wait?: boolean; json?: boolean }) => {
      const listId = intArg('LIST')(listArg);
      await withUser('write', async (ctx, user) => {
        const { run, before } = await reroute(ctx, listId, user.actor).catch((err) => {
          throw err instanceof RerouteRefused ? new CliError(err.message) : err;
        });
        say(`list ${listId}: routing run ${run} queued`);
        if (!o.wait) return;
        const { waitForList } = await import('../wait-list');
        const f = await waitForList(ctx, listId, { superviseWorkers: true });
        const moved = await movedSince(ctx, listId, before);
        if (o.json) print({ ...f, moved });
        else {
          say(`list ${listId}: delivered ${f.delivered}, returned ${f.returned}`);
          for (const [k, v] of Object.entries(moved)) say(`  moved ${v}: ${k}`);
          if (!Object.keys(moved).length) say('  nothing moved');
        }
        if (f.state === 'failed') {
          say(`list ${listId} failed: ${f.failure}`);
          process.exitCode = 2;
        }
      });
    });
}
