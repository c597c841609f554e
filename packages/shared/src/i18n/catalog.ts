import { TERMS } from './terms';
import { CODES } from './codes';
import { UI } from './ui';
import { PAGES } from './pages';
import { MAIL } from './mail';
import { CLI } from './cli';

export type Lang = 'ja' | 'en';
export const LANGS: readonly Lang[] = ['ja', 'en'];

/**
 * The one label catalog: every word a person reads in the portal, the e-mails, the report (HTML,
 * PDF) and the CLI's tables, in Japanese and English. Keys are stable; codes are keys too
 * (`code.ip.invalid`, `reason.no_member`, `outcome.notified`, `state.released`). The glossary
 * (docs/glossary.md) is `TERMS`.
 */
/** The parts, for the test that no key is in two of them. */
export const CATALOG_PARTS = { TERMS, CODES, UI, PAGES, MAIL, CLI } as const;

export const CATALOG: Readonly<Record<string, readonly [ja: string, en: string]>> = {
  ...TERMS,
  ...CODES,
  ...UI,
  ...PAGES,
  ...MAIL,
  ...CLI,
};

/** The text for a key; `{name}` takes vars.name. An unknown key comes back as itself (the crawl test finds those). */
export function t(lang: Lang, key: string, vars: Record<string, unknown> = {}): string {
  const pair = CATALOG[key];
  const s = pair ? pair[lang === 'ja' ? 0 : 1] : key;
  return s.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

export const hasText = (key: string): boolean => key in CATALOG;

/** A text in both languages at once, Japanese first (`ja / en`): plain-text output read by either. */
export const both = (key: string, vars: Record<string, unknown> = {}): string => `${t('ja', key, vars)} / ${t('en', key, vars)}`;

/** A code's text (`code.<code>`), or undefined when the catalog has none. */
export function codeText(lang: Lang, code: string): string | undefined {
  return hasText(`code.${code}`) ? t(lang, `code.${code}`) : undefined;
}

/**
 * A list's stored failure ("file.bad_zip: the zip file is …" from ingest, "routing failed: …" from
 * the router) as its code, the text for that code, and the original detail (English).
 */
export function failureText(lang: Lang, failure: string): { code: string; text: string; detail: string } {
  const m = /^([a-z_]+\.[a-z_]+): ([\s\S]*)$/.exec(failure);
  if (m && hasText(`code.${m[1]}`)) return { code: m[1], text: t(lang, `code.${m[1]}`), detail: m[2] };
  if (failure.startsWith('routing failed')) return { code: 'routing', text: t(lang, 'code.routing'), detail: failure };
  return { code: 'unknown', text: t(lang, 'code.unknown'), detail: failure };
}

/** Words that stay ASCII in Japanese text: file columns and values people type, units, names of standards. */
export const ASCII_ALLOWED =
  /\b(entry_id|outcome|notified_at|channel|note|member_id|cidr|valid_from|valid_to|name|contact_email|MAX_ROWS|CSV|TSV|JSON|ZIP|Excel|xlsx|xls|gzip|TLP|API|TOTP|URL|HTTP|MiB|IPv4|IPv6|IP|ID|JST|Webhook|deliveryline|utf-8|shift_jis|euc-jp|utf-16le|Asia\/Tokyo|https?|e\.g)\b/g;
