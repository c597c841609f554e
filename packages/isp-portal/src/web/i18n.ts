import type { Lang } from '@deliveryline/shared';

/** The catalog lives in shared (packages/shared/src/i18n): the portal, e-mails, report and CLI read the same words. */
export { t, hasText, codeText, failureText, LANGS, CATALOG, type Lang } from '@deliveryline/shared';

/** The cookie wins; otherwise the first of ja/en the browser lists; Japanese by default. */
export function pickLang(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  if (cookie === 'ja' || cookie === 'en') return cookie;
  const prefs = (acceptLanguage ?? '').split(',').map((p) => p.trim().toLowerCase().split(';')[0]);
  for (const p of prefs) {
    if (p.startsWith('ja')) return 'ja';
    if (p.startsWith('en')) return 'en';
  }
  return 'ja';
}
