import { asPortal } from '@deliveryline/shared/testing';
import type { FastifyInstance } from 'fastify';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, type Mailer } from '@deliveryline/router';
import { CATALOG } from '@deliveryline/shared';
import { ASCII_ALLOWED } from '@deliveryline/shared';
import { buildServer } from './server';
import { buildWorld, type World } from './testing/portal-world';
import { listen, type Req, type Res } from './testing/http-client';

/**
 * Every page in Japanese shows Japanese: the crawler follows every link a role can reach from
 * its start page and checks the text a person reads (data people gave, marked translate="no",
 * aside) for English sentences of the catalog, runs of English words, and raw keys or codes.
 */
const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };
const ACTORS = ['coordinator', 'memberA', 'sourceA', 'viewer'] as const;

/** The text a person reads on a page: no head, scripts, attributes, or elements marked as data (translate="no"). */
export function readableText(body: string): string {
  let s = body.replace(/<head>[\s\S]*?<\/head>/, '').replace(/<script[\s\S]*?<\/script>/g, '');
  for (let i = 0; i < 5; i++) s = s.replace(/<(\w+)\b[^>]*\btranslate="no"[^>]*>(?:(?!<\1\b)[\s\S])*?<\/\1>/g, ' ');
  return s
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z#0-9]+;/g, ' ')
    .replace(/\s+/g, ' ');
}

const englishSentences = Object.values(CATALOG)
  .map(([, en]) => en)
  .filter((en) => /^[A-Za-z][^{}]*\s[^{}]*[A-Za-z]/.test(en) && en.length >= 10 && !/[^\x00-\x7F–—…→×÷‹›«»]/.test(en));

export function problemsIn(text: string): string[] {
  const out: string[] = [];
  const plain = text.replace(ASCII_ALLOWED, ' ');
  for (const en of englishSentences) if (plain.includes(en)) out.push(`English text: "${en}"`);
  for (const m of plain.matchAll(/\b[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,}){2,}\b/g)) out.push(`English words: "${m[0]}"`);
  for (const m of plain.matchAll(/\b[a-z]+(?:[._][a-z]+)+\b/g)) out.push(`raw key or code: "${m[0]}"`);
  return out;
}

describe('every page in Japanese, as each role reaches it', () => {
  let w: World;
  let server: FastifyInstance;
  let send: (r: Req) => Promise<Res>;

  beforeAll(async () => {
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    server = await buildServer(asPortal(w.ctx), {
      mailer,
      settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 1000 },
    });
    send = (await listen(server)).send;
  });
  afterAll(async () => {
    await server?.close();
    await w?.close();
  });

  it('finds English in a page that has some (the check itself works)', () => {
    expect(problemsIn(readableText('<main><p>受領数</p><p>Not found. Check the address.</p></main>'))).toContain(
      'English text: "Not found. Check the address."',
    );
    expect(problemsIn(readableText('<main><td>state.released</td><td>no_member</td></main>'))).toHaveLength(2);
    expect(problemsIn(readableText('<main><span translate="no">Alpha ISP of the north</span> 協力先</main>'))).toEqual([]);
  });

  it.each(ACTORS)('%s: no untranslated key or English sentence on any page', async (actor) => {
    const headers = { authorization: `Bearer ${w.users[actor].token}`, 'accept-language': 'ja' };
    const start = (await send({ url: '/', headers })).headers.get('location') ?? '/';
    const queue = [start, '/account', '/batches/999999999'];
    const seen = new Set<string>();
    const found: string[] = [];
    while (queue.length && seen.size < 120) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await send({ url, headers: { ...headers, accept: 'text/html' } });
      if (!String(res.headers.get('content-type')).startsWith('text/html')) continue;
      expect({ url, status: res.statusCode < 500 }).toEqual({ url, status: true });
      for (const p of problemsIn(readableText(res.body))) found.push(`${url}: ${p}`);
      for (const m of res.body.matchAll(/href="(\/[^"#]*)"/g)) {
        const href = m[1].replace(/&amp;/g, '&');
        if (/^\/(api|docs|admin|assets|lang|signout)\b/.test(href) || /format=|\/download/.test(href)) continue;
        if (!seen.has(href)) queue.push(href);
      }
    }
    expect(seen.size).toBeGreaterThan(2);
    expect(found).toEqual([]);
  });
});
