import type { FastifyInstance } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { AppContext } from '@deliveryline/shared';
import { HttpError, forbidden, sendError } from './errors';

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
    createBullBoard({ queues: Object.values(ctx.queues.queues).map((q) => new BullMQAdapter(q)), serverAdapter });
    await scope.register(serverAdapter.registerPlugin(), { prefix: '/admin/queues' });
  });
}
