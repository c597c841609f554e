import type { FastifyReply } from 'fastify';
import type { Safe } from '../web/html';
import { page } from '../web/html';
import type { RouteCall } from '../web/route-table';

/** Renders a page for the caller in its language; the path marks the active menu item. */
export function render(
  c: RouteCall<unknown, unknown, unknown>,
  title: string,
  body: Safe,
  o: { status?: number; flash?: { kind: 'ok' | 'error'; text: string } | null } = {},
): FastifyReply {
  // After a form post the language link must lead back to a page, not to the POST's URL.
  let path = c.req.url;
  if (c.req.method !== 'GET') {
    try {
      const ref = new URL(String(c.req.headers.referer ?? ''));
      path = ref.host === c.req.headers.host ? ref.pathname + ref.search : '/';
    } catch {
      path = '/';
    }
  }
  return c.reply
    .code(o.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(page({ lang: c.lang, title, caller: c.caller, path, flash: o.flash }, body));
}
