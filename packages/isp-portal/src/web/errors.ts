import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@deliveryline/shared';
import { hasText, t, type Lang } from './i18n';
import { html, page } from './html';

/** An error a person should read: a stable code (also the i18n key `error.<code>`) and values for it. */
export class HttpError extends Error {
  constructor(
    public status: number,
    public code: string,
    public vars: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

export const notFound = () => new HttpError(404, 'not_found');
export const forbidden = () => new HttpError(403, 'forbidden');

const isApi = (req: FastifyRequest) => req.url.startsWith('/api/');

export function messageOf(lang: Lang, e: HttpError): string {
  return hasText(`error.${e.code}`) ? t(lang, `error.${e.code}`, e.vars) : String(e.vars.detail ?? e.code);
}

export function sendError(req: FastifyRequest, reply: FastifyReply, e: HttpError): FastifyReply {
  const lang = req.lang ?? 'en';
  const message = messageOf(lang, e);
  reply.code(e.status);
  if (isApi(req) || !(req.headers.accept ?? '').includes('text/html')) {
    return reply.type('application/json').send({ error: { code: e.code, message, ...(e.vars.rows ? { rows: e.vars.rows } : {}) } });
  }
  return reply.type('text/html').send(
    page(
      { lang, title: `${e.status}`, caller: req.caller, path: req.url },
      html`<div class="card">
        <p>${message}</p>
        <p><a href="/">${t(lang, 'common.back')}</a></p>
      </div>`,
    ),
  );
}

/** Fastify's own errors (body too large, bad JSON, rate limit) and ours; never a stack trace to the client. */
export function installErrorHandlers(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof HttpError) return sendError(req, reply, err);
    const status = err.statusCode ?? 500;
    if (status === 413 || err.code === 'FST_REQ_FILE_TOO_LARGE' || err.code === 'FST_FILES_LIMIT') {
      return sendError(
        req,
        reply,
        new HttpError(413, 'upload.too_large', {
          max: (req.server as unknown as { dlMaxUpload?: number }).dlMaxUpload ?? req.server.initialConfig.bodyLimit,
        }),
      );
    }
    if (status === 429) return sendError(req, reply, new HttpError(429, 'rate_limited'));
    if (status >= 400 && status < 500) return sendError(req, reply, new HttpError(status, 'request.invalid', { detail: err.message }));
    const ref = crypto.randomBytes(4).toString('hex');
    log.error({ err, ref, url: req.url }, 'request failed');
    return sendError(req, reply, new HttpError(500, 'internal', { ref }));
  });
  app.setNotFoundHandler((req, reply) => sendError(req, reply, notFound()));
}
