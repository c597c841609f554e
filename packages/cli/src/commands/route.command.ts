import type { Command } from 'commander';
import { enqueue, withTransaction } from '@deliveryline/shared';
import { withContext, print, say, intArg, CliError } from '../cli-context';

export function register(program: Command) {
  program
    .command('route <list>')
    .description('route a list again after a registry change (only before it is released)')
    .option('--wait', 'wait for the new routing to finish')
    .option('--json', 'machine output')
    .action(async (listArg: string, o: { wait?: boolean; json?: boolean }) => {
      const listId = intArg('LIST')(listArg);
      await withContext(async (ctx) => {
        const run = await withTransaction(ctx.pool, async (tx) => {
          const l = (await tx.query('SELECT state, route_run FROM lists WHERE id = $1 FOR UPDATE', [listId])).rows[0];
          if (!l) throw new CliError(`list ${listId} does not exist`);
          if (!['routed', 'awaiting_approval', 'parsed', 'routing'].includes(l.state)) {
            throw new CliError(`list ${listId} is ${l.state}; only a list not yet released can be routed again`);
          }
          const next = l.route_run + 1;
          await tx.query(`UPDATE lists SET state = 'parsed', route_run = $2, updated_at = now() WHERE id = $1`, [listId, next]);
          return next;
        });
        const before = (await ctx.pool.query(`SELECT seq, member_id, state, reason FROM routes WHERE list_id = $1`, [listId])).rows;
        await enqueue(ctx.queues, 'router.route-list', { listId, run });
        say(`list ${listId}: routing run ${run} queued`);
        if (!o.wait) return;
        const { ensurePipelineWorkers } = await import('../cli-context');
        const { waitForList } = await import('../wait-list');
        const workers = await ensurePipelineWorkers(ctx);
        try {
          const f = await waitForList(ctx, listId, { drainDeliver: workers.length > 0 });
          const after = new Map((await ctx.pool.query(`SELECT seq, member_id, state, reason FROM routes WHERE list_id = $1`, [listId])).rows.map((x) => [x.seq, x]));
          const moved: Record<string, number> = {};
          for (const b of before) {
            const a = after.get(b.seq);
            const from = b.member_id ?? `returned:${b.reason}`;
            const to = a ? a.member_id ?? `returned:${a.reason}` : 'none';
            if (from !== to) moved[`${from} -> ${to}`] = (moved[`${from} -> ${to}`] ?? 0) + 1;
          }
          if (o.json) print({ ...f, moved });
          else {
            say(`list ${listId}: delivered ${f.delivered}, returned ${f.returned}`);
            for (const [k, v] of Object.entries(moved)) say(`  moved ${v}: ${k}`);
          }
        } finally {
          await Promise.all(workers.map((w) => w.close()));
        }
      });
    });
}
