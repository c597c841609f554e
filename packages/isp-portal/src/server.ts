import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from '@deliveryline/shared';

/** The HTTP server. Health first; pages and the API build on it. */
export async function buildServer(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: ctx.env.MAX_UPLOAD_BYTES });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, string> = {};
    try {
      await ctx.pool.query('SELECT 1');
      checks.postgres = 'ok';
    } catch (err) {
      checks.postgres = (err as Error).message;
    }
    try {
      await ctx.queues.connection.ping();
      checks.redis = 'ok';
    } catch (err) {
      checks.redis = (err as Error).message;
    }
    const ok = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ok ? 200 : 503).send({ ok, checks });
  });
  return app;
}
