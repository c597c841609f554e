import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ping, type AppContext } from '@deliveryline/shared';
import { mailerFromEnv, type Mailer } from '@deliveryline/router';
import { portalSettings, type PortalSettings } from './settings';
import { installCallerResolution } from './auth/resolve-caller';
import { sealPlainTotpSecrets } from './auth/second-factor';
import { installErrorHandlers } from './web/errors';
import { installMetrics } from './web/metrics';
import { installAccessAudit } from './web/access-audit';
import { installAdminQueues } from './web/admin-queues';
import { registerRoutes } from './web/route-table';
import { CSS, UPLOAD_JS } from './web/assets';
import { ROUTES } from './routes';

/**
 * The HTTP server: pages for every role, the REST API under /api/v1, OpenAPI at /docs,
 * /metrics, bull-board at /admin/queues. Every page and API route comes from ROUTES (see
 * routes.ts), where each declares who may call it.
 */
export async function buildServer(
  ctx: AppContext,
  opts: { settings?: Partial<PortalSettings>; mailer?: Mailer } = {},
): Promise<FastifyInstance> {
  // settings given (tests) override those read from the environment, one by one
  const settings: PortalSettings = { ...portalSettings(ctx), ...opts.settings };
  const mailer = opts.mailer ?? mailerFromEnv(ctx.env);
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    bodyLimit: 32 * 1024 * 1024, // JSON and CSV outcome reports; list files go through multipart with their own limit
    // X-Forwarded-For is believed only from the proxies in TRUSTED_PROXIES: otherwise any client
    // could name its own address and step round the per-address sign-in limit
    trustProxy: settings.trustedProxies.length ? settings.trustedProxies : false,
  });
  const sealed = await sealPlainTotpSecrets(ctx.pool, settings.totpKey);
  if (sealed) ctx.log.info({ sealed }, 'plain TOTP secrets from before migration 0027 encrypted with TOTP_KEY');
  // zod checks every request inside the route wrapper (after authorisation); the JSON schemas
  // handed to Fastify exist for the OpenAPI document only.
  app.setValidatorCompiler(() => () => true);
  // raw bytes: an outcome file is decoded like a list (Shift_JIS from Excel included), never as UTF-8 up front
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'buffer', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) =>
    done(null, body),
  );
  if (!opts.mailer) app.addHook('onClose', async () => mailer.close());
  installErrorHandlers(app, ctx.log);
  await app.register(cookie);
  await app.register(formbody);
  await app.register(multipart, { limits: { fileSize: ctx.env.MAX_UPLOAD_BYTES, files: 1, fields: 20 } });
  app.decorate('dlMaxUpload', ctx.env.MAX_UPLOAD_BYTES); // the upload bound named in "too large" messages
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, c) => Object.assign(new Error('rate limited'), { statusCode: c.statusCode }),
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'deliveryline API',
        version: '1',
        description: 'Bearer API tokens (create them on /account). Errors: {"error":{"code","message"}}.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'dl_session' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  installCallerResolution(app, ctx, settings);
  installAccessAudit(app, ctx);
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin').header('x-frame-options', 'DENY');
    if (
      String(reply.getHeader('content-type') ?? '').startsWith('text/html') &&
      !_req.url.startsWith('/docs') &&
      !_req.url.startsWith('/admin/queues')
    ) {
      reply.header(
        'content-security-policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
      );
    }
    return payload;
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks: Record<string, string> = {};
    try {
      await ping(ctx.pool);
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
  app.get('/assets/portal.css', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css').header('cache-control', 'public, max-age=3600').send(CSS),
  );
  app.get('/assets/upload.js', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript').header('cache-control', 'public, max-age=3600').send(UPLOAD_JS),
  );
  installMetrics(app, ctx, settings.metricsToken);
  registerRoutes(app, { ctx, settings, mailer }, ROUTES);
  await installAdminQueues(app, ctx);
  return app;
}
