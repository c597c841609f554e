import type { FastifyInstance, FastifyRequest } from 'fastify';
import { audit, type AppContext } from '@deliveryline/shared';

declare module 'fastify' {
  interface FastifyRequest {
    /** entries in a GET /api/v1 list view's answer (set before it is serialised) */
    listCount: number | null;
  }
}

/** Paths that are neither API nor pages: assets, health, metrics, the API docs. */
const NOT_AUDITED = /^\/(assets\/|healthz|readyz|metrics|docs|favicon)/;

/** Entries in an answer such as `{ batches: [...] }`: the lengths of its top-level arrays, or null when it has none. */
function countOf(payload: unknown): number | null {
  if (Array.isArray(payload)) return payload.length;
  if (payload === null || typeof payload !== 'object') return null;
  let n: number | null = null;
  for (const v of Object.values(payload)) if (Array.isArray(v)) n = (n ?? 0) + v.length;
  return n;
}

/**
 * Audited reads and refusals (docs/audit.md), one insert per request and no other query:
 * - `api.read` {method, path, count}: a GET /api/v1 answer that lists batches, lists, entries, …
 * - `file.read` {method, path, query}: a file answered as a download (returned entries, rejects,
 *   exports) by the API or a page; batch files are `batch.download` events of their own
 * - `access.refused` {method, path, status}: a 401, 403 or 404 to a signed-in or token caller (or to
 *   a bearer token that matched nobody) on the API or a page.
 * The actor is the caller's (`user:<id>`, `token:<id>`), or `anonymous` for an unknown token.
 */
export function installAccessAudit(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('listCount', null);
  app.addHook('preSerialization', async (req, reply, payload) => {
    if (req.method === 'GET' && req.url.startsWith('/api/v1/') && reply.statusCode === 200) req.listCount = countOf(payload);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const e = accessEvent(req, reply.statusCode, String(reply.getHeader('content-disposition') ?? ''));
    if (!e) return;
    await audit(ctx.pool, e).catch((err: Error) => req.log.error({ err }, 'access audit failed'));
  });
}

function accessEvent(req: FastifyRequest, status: number, disposition: string) {
  const [path, query = ''] = req.url.split('?');
  if (NOT_AUDITED.test(path.slice(0, 20))) return null;
  const bearer = req.headers.authorization?.startsWith('Bearer ') ?? false;
  if (req.caller && req.listCount !== null && status === 200)
    return { actor: req.caller.actor, action: 'api.read', object: null, details: { method: req.method, path, count: req.listCount } };
  if (req.caller && status === 200 && disposition.startsWith('attachment') && !path.endsWith('/download'))
    return { actor: req.caller.actor, action: 'file.read', object: null, details: { method: req.method, path, query } };
  if ((req.caller || bearer) && (status === 401 || status === 403 || status === 404))
    return {
      actor: req.caller?.actor ?? 'anonymous',
      action: 'access.refused',
      object: null,
      details: { method: req.method, path, status },
    };
  return null;
}
