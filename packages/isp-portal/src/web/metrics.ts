import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { QUEUES, notAnnouncedCount, workerCount, type AppContext } from '@deliveryline/shared';
import { listsByState } from '../repositories/lists.repository';

/**
 * /metrics for Prometheus: requests by route and status, queue depths and workers, lists by state. A
 * registry per server (not prom-client's global one) so tests can build several servers.
 */
export function installMetrics(app: FastifyInstance, ctx: AppContext, token?: string): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'deliveryline_portal_' });
  const requests = new Counter({
    name: 'deliveryline_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'deliveryline_http_request_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'],
    registers: [registry],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  });
  new Gauge({
    name: 'deliveryline_queue_jobs',
    help: 'jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const q of QUEUES) {
        const counts = await ctx.queues.queues[q].getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: q, state }, n);
      }
    },
  });
  new Gauge({
    name: 'deliveryline_queue_workers',
    help: "workers listening per queue (this database's only)",
    labelNames: ['queue', 'backend'],
    registers: [registry],
    async collect() {
      for (const q of QUEUES) this.set({ queue: q, backend: ctx.queues.backend }, await workerCount(ctx.queues, q));
    },
  });
  new Gauge({
    name: 'deliveryline_lists',
    help: 'lists by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await listsByState(ctx.pool)) this.set({ state: r.state }, r.n);
    },
  });
  new Gauge({
    name: 'deliveryline_batches_not_announced',
    help: 'batches of released lists whose notice has not gone out (retrying or stopped)',
    registers: [registry],
    async collect() {
      this.set(await notAnnouncedCount(ctx.pool));
    },
  });
  app.addHook('onResponse', async (req, reply) => {
    const r = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route: r, status: String(reply.statusCode) });
    duration.observe({ method: req.method, route: r }, reply.elapsedTime / 1000);
  });
  // figures about every member's work: only for the scraper that holds METRICS_TOKEN (compared in constant time)
  const expected = token ? crypto.createHash('sha256').update(`Bearer ${token}`).digest() : null;
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    const sent = crypto
      .createHash('sha256')
      .update(String(req.headers.authorization ?? ''))
      .digest();
    if (!expected)
      return reply.code(404).send({ error: { code: 'metrics.closed', message: 'set METRICS_TOKEN to open /metrics to a scraper' } });
    if (!crypto.timingSafeEqual(sent, expected))
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: { code: 'metrics.token', message: 'send Authorization: Bearer <METRICS_TOKEN>' } });
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
