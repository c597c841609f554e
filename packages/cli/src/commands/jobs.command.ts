import type { Command } from 'commander';
import { QUEUES, reconcile, workerCount } from '@deliveryline/shared';
import { withContext, print, say } from '../cli-context';

export function register(program: Command) {
  const jobs = program.command('jobs').description('the queues: what is waiting, running and failed');
  jobs
    .command('status')
    .description('job counts and listening workers per queue, and where the queues are')
    .option('--json', 'machine output')
    .action(async (o: { json?: boolean }) => {
      const { where, rows } = await withContext(async (ctx) => ({
        where: ctx.queues.where,
        rows: await Promise.all(
          QUEUES.map(async (q) => {
            const c = await ctx.queues.queues[q].getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
            return {
              queue: q,
              waiting: c.waiting ?? 0,
              active: c.active ?? 0,
              delayed: c.delayed ?? 0,
              failed: c.failed ?? 0,
              completed: c.completed ?? 0,
              workers: await workerCount(ctx.queues, q),
            };
          }),
        ),
      }));
      if (o.json) print(rows);
      else {
        say(`queues in ${where}`);
        for (const r of rows)
          process.stdout.write(
            `${r.queue.padEnd(8)} waiting ${r.waiting}  active ${r.active}  delayed ${r.delayed}  failed ${r.failed}  workers ${r.workers}\n`,
          );
      }
    });
  jobs
    .command('failed')
    .description('jobs that used up their attempts, with their error')
    .option('--json', 'machine output')
    .action(async (o: { json?: boolean }) => {
      const rows = await withContext(async (ctx) => {
        const out = [];
        for (const q of QUEUES) {
          for (const j of await ctx.queues.queues[q].getFailed(0, 200)) {
            out.push({
              queue: q,
              id: j.id,
              name: j.name,
              data: j.data,
              attempts: j.attemptsMade,
              failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
              error: j.failedReason,
            });
          }
        }
        return out;
      });
      if (o.json) print(rows);
      else if (rows.length === 0) say('no failed jobs');
      else
        for (const r of rows)
          process.stdout.write(`${r.failedAt ?? '-'}  ${r.queue}/${r.name} ${r.id} after ${r.attempts} attempt(s): ${r.error}\n`);
    });
  jobs
    .command('reconcile')
    .description(
      'put back the next step of every list PostgreSQL says is unfinished whose job is gone, failed or done (after the queues lost their jobs), and notices due another try',
    )
    .action(async () => {
      const n = await withContext((ctx) => reconcile(ctx));
      say(`reconcile: ${n} job(s) put back; work already queued or running was left alone`);
    });
}
