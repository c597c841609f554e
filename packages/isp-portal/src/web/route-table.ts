import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod/v4';
import type { AppContext } from '@deliveryline/shared';
import type { Caller, Role } from '../auth/caller';
import { safeEqual } from '../auth/secrets';
import type { Mailer } from '@deliveryline/router';
import type { PortalSettings } from '../settings';
import type { Lang } from './i18n';
import { HttpError, forbidden } from './errors';

/** What every handler may use; the mailer tells people about decisions (e.g. a refused list). */
export interface Deps {
  ctx: AppContext;
  settings: PortalSettings;
  mailer: Mailer;
}

export interface RouteCall<P, Q, B> {
  deps: Deps;
  ctx: AppContext;
  req: FastifyRequest;
  reply: FastifyReply;
  /** null only on public routes */
  caller: Caller;
  lang: Lang;
  params: P;
  query: Q;
  body: B;
}

type AnyZ = z.ZodType;

/**
 * One row of the route table. Authorisation is declared here (`roles`) and enforced in one
 * wrapper, never inside a handler; the isolation test walks this same table.
 */
export interface PortalRoute<P extends AnyZ = AnyZ, Q extends AnyZ = AnyZ, B extends AnyZ = AnyZ> {
  method: 'GET' | 'POST';
  url: string;
  kind: 'api' | 'page';
  roles: readonly Role[] | 'public';
  summary: string;
  params?: P;
  query?: Q;
  /** JSON or form body; multipart routes read their own body (and check CSRF themselves) */
  body?: B;
  multipart?: boolean;
  /** usable by a session still waiting for its second factor */
  allowPending?: boolean;
  rateLimit?: (d: Deps) => { max: number; timeWindow: string; hook: 'preHandler'; keyGenerator?: (req: FastifyRequest) => string };
  handler(c: RouteCall<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<unknown>;
}

export const route = <P extends AnyZ, Q extends AnyZ, B extends AnyZ>(r: PortalRoute<P, Q, B>) => r as unknown as PortalRoute;

const jsonSchema = (s: AnyZ | undefined) => {
  if (!s) return undefined;
  const j = z.toJSONSchema(s, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete j.$schema;
  return j;
};

/** The parameters a query schema names (an object schema's keys), or [] for a route that takes none. */
export function queryKeys(s: AnyZ | undefined): string[] | null {
  if (!s) return [];
  const shape = (s as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : null;
}

function parse<T extends AnyZ>(s: T | undefined, v: unknown, where: string): z.infer<T> {
  if (where === 'query' && v && typeof v === 'object') {
    // a parameter the address does not take is a mistake (a misspelt filter would silently show everything)
    const known = queryKeys(s);
    const unknown = known && Object.keys(v).filter((k) => !known.includes(k));
    if (unknown?.length)
      throw new HttpError(400, 'request.invalid', {
        detail: `query ${unknown[0]}: not a parameter here; expected ${known!.length ? known!.join(', ') : 'no parameters'}`,
      });
  }
  if (!s) return v as z.infer<T>;
  const r = s.safeParse(v ?? {});
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new HttpError(400, 'request.invalid', { detail: `${where} ${i.path.join('.') || ''}: ${i.message}`.replace(/ +:/, ':') });
}

/** Checks who may call, then CSRF on session POSTs, then parses; the handler runs last. */
export function authorize(r: PortalRoute, req: FastifyRequest, d: Deps): Caller | null {
  if (r.roles === 'public') return req.caller;
  const c = req.caller;
  if (!c) throw new HttpError(401, 'unauthenticated');
  if (c.pending && !r.allowPending)
    throw new HttpError(401, c.pending === 'totp' ? 'unauthenticated' : 'forbidden', { pending: c.pending });
  if (!r.roles.includes(c.role)) throw forbidden();
  if (r.method === 'POST') {
    if (c.via === 'token' && c.tokenScope !== 'write') throw new HttpError(403, 'token.read_only');
    if (c.via === 'session' && !r.multipart) checkCsrf(req, c);
  }
  void d;
  return c;
}

export function checkCsrf(req: FastifyRequest, c: Caller, fromBody?: string): void {
  const sent = fromBody ?? (req.headers['x-csrf-token'] as string | undefined) ?? (req.body as Record<string, string> | undefined)?._csrf;
  if (!c.csrf || !sent || !safeEqual(String(sent), c.csrf)) throw new HttpError(403, 'csrf');
}

export function registerRoutes(app: FastifyInstance, deps: Deps, routes: PortalRoute[]): void {
  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      config: r.rateLimit ? { rateLimit: r.rateLimit(deps) } : {},
      schema: Object.fromEntries(
        Object.entries({
          summary: r.summary,
          tags: [r.kind === 'api' ? 'api' : 'pages'],
          hide: r.kind !== 'api',
          params: jsonSchema(r.params),
          querystring: jsonSchema(r.query),
          body: r.multipart ? undefined : jsonSchema(r.body),
          consumes: r.multipart ? ['multipart/form-data'] : undefined,
          description: r.roles === 'public' ? 'public' : `roles: ${r.roles.join(', ')}`,
          security: r.roles === 'public' ? undefined : [{ bearer: [] }, { session: [] }],
        }).filter(([, v]) => v !== undefined),
      ),
      handler: async (req, reply) => {
        let caller: Caller | null;
        try {
          caller = authorize(r, req, deps);
        } catch (e) {
          if (r.kind === 'page' && e instanceof HttpError && e.status === 401) {
            const pending = e.vars.pending;
            const to =
              pending === 'totp'
                ? '/signin/totp'
                : pending === 'totp-setup'
                  ? '/account'
                  : pending === 'password'
                    ? '/account/password'
                    : `/signin?next=${encodeURIComponent(req.url)}`;
            return reply.redirect(to, 303);
          }
          throw e;
        }
        const params = parse(r.params, req.params, 'path');
        const query = parse(r.query, req.query, 'query');
        const body = r.multipart ? undefined : parse(r.body, req.body, 'body');
        return r.handler({ deps, ctx: deps.ctx, req, reply, caller: caller as Caller, lang: req.lang, params, query, body });
      },
    });
  }
}

export const id = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 53);
