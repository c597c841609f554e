import type { Command } from 'commander';
import { listMisrouted, resolveMisrouted } from '@deliveryline/router';
import { withContext, print, say, intArg } from '../cli-context';
import { withUser } from '../cli-user';

export function register(program: Command) {
  const misrouted = program
    .command('misrouted')
    .description('entries a member reported not_our_address, back with the coordinator, and where the registry routes them now')
    .option('--list <id>', 'only this list', intArg('LIST'))
    .option('--json', 'machine output')
    .action(async (o: { list?: number; json?: boolean }) => {
      const rows = await withContext((ctx) => listMisrouted(ctx, o.list ?? null));
      if (o.json) return void print(rows);
      for (const r of rows) {
        const now =
          r.now.state === 'delivered'
            ? r.now.memberId === r.member_id
              ? `still ${r.member_id} (fix the registry or return it)`
              : `now ${r.now.memberId}`
            : `now returned: ${r.now.reason}`;
        process.stdout.write(
          `list ${r.list_id} entry ${r.entry_id} ${r.ip} observed ${new Date(r.observed_at).toISOString()}: ${r.member_id} says not ours; ${now}\n`,
        );
      }
      say(`${rows.length} misrouted entr${rows.length === 1 ? 'y' : 'ies'}`);
    });
  for (const action of ['reroute', 'return'] as const) {
    misrouted
      .command(action)
      .description(
        action === 'reroute'
          ? 'move the misrouted entries the registry now gives to another member (after fixing the registry); their batches are announced'
          : 'return the misrouted entries with reason not_our_address (delivered/returned counters follow)',
      )
      .option('--list <id>', 'only this list', intArg('LIST'))
      .option('--json', 'machine output')
      .action(async (o: { list?: number; json?: boolean }) => {
        const r = await withUser('write', (ctx, user) => resolveMisrouted(ctx, action, o.list ?? null, user.actor));
        if (o.json) return void print(r);
        for (const m of r.moved) say(`  entry ${m.entry_id}: ${m.from} -> ${m.to}`);
        say(
          action === 'reroute'
            ? `${r.moved.length} moved, ${r.unchanged.length} left (the registry still routes them to the same member or returns them)`
            : `${r.returned} returned (not_our_address)`,
        );
      });
  }
}
