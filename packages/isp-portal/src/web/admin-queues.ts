import type { FastifyInstance } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { AppContext } from '@deliveryline/shared';
import { HttpError, forbidden, sendError } from './errors';

/**
 * bull-board's adapter; with the queues in PostgreSQL its Redis panel gets a description of where
 * they are instead of Redis INFO (which that backend has not).
 */
class QueueAdapter extends BullMQAdapter {
  constructor(
    queue: AppContext['queues']['queues']['ingest'],
    private readonly ctx: AppContext,
  ) {
    super(queue);
  }
  override async getRedisInfo(): Promise<string> {
    if (this.ctx.queues.backend === 'redis') return super.getRedisInfo();
    return [
      `redis_version:${this.ctx.queues.where}`,
      'redis_mode:postgres',
      `tcp_port:0`,
      `uptime_in_seconds:${Math.round(process.uptime())}`,
      'used_memory:0',
      'total_system_memory:0',
      'mem_fragmentation_ratio:0',
      'connected_clients:0',
      'blocked_clients:0',
    ].join('\r\n');
  }
}

/** bull-board at /admin/queues, in its own plugin scope whose hook lets coordinators only in. */
export async function installAdminQueues(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => {
      if (!req.caller || req.caller.pending) {
        if (req.url === '/admin/queues' || req.url === '/admin/queues/') return reply.redirect(`/signin?next=/admin/queues`, 303);
        return sendError(req, reply, new HttpError(401, 'unauthenticated'));
      }
      // answered here, not thrown: bull-board installs its own error handler in this scope
      if (req.caller.role !== 'coordinator') return sendError(req, reply, forbidden());
    });
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath('/admin/queues');
    createBullBoard({ queues: Object.values(ctx.queues.queues).map((q) => new QueueAdapter(q, ctx)), serverAdapter });
    await scope.register(serverAdapter.registerPlugin(), { prefix: '/admin/queues' });
  });
}
