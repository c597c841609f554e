import type { FastifyInstance } from 'fastify';

export interface Res {
  statusCode: number;
  body: string;
  rawPayload: Buffer;
  headers: Headers;
  cookies: { name: string; value: string; httpOnly: boolean; sameSite?: string }[];
  json(): any;
}

export interface Req {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  /** an object is sent as a form (urlencoded) unless a JSON content type or an API path asks for JSON */
  payload?: unknown;
}

/**
 * Tests talk to the server over a real socket on 127.0.0.1:0. (fastify's inject pulls in
 * light-my-request, whose `cookie` dependency is ESM-only and cannot load under jest's CJS.)
 */
export async function listen(app: FastifyInstance): Promise<{ base: string; send(r: Req): Promise<Res> }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${addr.port}`;
  return {
    base,
    async send(r: Req): Promise<Res> {
      const headers: Record<string, string> = { ...(r.headers ?? {}) };
      if (r.cookies)
        headers.cookie = Object.entries(r.cookies)
          .map(([k, v]) => `${k}=${v}`)
          .join('; ');
      let body: string | undefined;
      if (typeof r.payload === 'string') body = r.payload;
      else if (r.payload !== undefined) {
        const json = r.url.startsWith('/api/') || headers['content-type']?.includes('json');
        headers['content-type'] ??= json ? 'application/json' : 'application/x-www-form-urlencoded';
        body = json ? JSON.stringify(r.payload) : new URLSearchParams(r.payload as Record<string, string>).toString();
      }
      const res = await fetch(base + r.url, { method: r.method ?? 'GET', headers, body, redirect: 'manual' });
      const rawPayload = Buffer.from(await res.arrayBuffer());
      const cookies = res.headers.getSetCookie().map((c) => {
        const [nv, ...attrs] = c.split(';').map((s) => s.trim());
        const i = nv.indexOf('=');
        const sameSite = attrs.find((a) => /^samesite=/i.test(a))?.split('=')[1];
        return { name: nv.slice(0, i), value: nv.slice(i + 1), httpOnly: attrs.some((a) => /^httponly$/i.test(a)), sameSite };
      });
      const text = rawPayload.toString('utf8');
      return { statusCode: res.status, body: text, rawPayload, headers: res.headers, cookies, json: () => JSON.parse(text) };
    },
  };
}
