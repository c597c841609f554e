import { t, hasText, OUTCOME_FIGURES, outcomeLabelKey, TERMS, type Lang, type OutcomeFigureKey } from '@deliveryline/shared';

/**
 * The report's and charts' words come from the one catalog (`stats.*`, `reason.*`, and for an
 * outcome's count its `outcome.*` words; see docs/glossary.md).
 */
export type { Lang };

type StatsKey = Extract<keyof typeof TERMS, `stats.${string}`>;
export type LabelKey = (StatsKey extends `stats.${infer K}` ? K : never) | OutcomeFigureKey;

const OUTCOME_LABELS: ReadonlyMap<string, string> = new Map(OUTCOME_FIGURES.map((f) => [f.key, outcomeLabelKey(f.outcome)]));

export function label(lang: Lang, key: LabelKey | `reason.${string}`, vars: Record<string, string | number> = {}): string {
  if (key.startsWith('reason.')) return t(lang, key, vars);
  return t(lang, OUTCOME_LABELS.get(key) ?? `stats.${key}`, vars);
}

export function reasonLabel(lang: Lang, reason: string): string {
  return hasText(`reason.${reason}`) ? t(lang, `reason.${reason}`) : reason;
}

export const DEFINITIONS: Record<Lang, string[]> = {
  ja: [1, 2, 3].map((n) => t('ja', `stats.def.${n}`)),
  en: [1, 2, 3].map((n) => t('en', `stats.def.${n}`)),
};

export function fmtInt(n: number, lang: Lang): string {
  return n.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');
}

/** Seconds as hours with one decimal ("–" when unknown). */
export function fmtHours(s: number | null, lang: Lang): string {
  if (s == null) return '–';
  const h = (Math.round(s / 360) / 10).toFixed(1);
  return lang === 'ja' ? `${h}時間` : `${h} h`;
}
