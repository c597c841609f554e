import type { Mail } from './mailer';
import { t, type Lang } from '@deliveryline/shared';
import { formatJst } from './due-date';

export type MailLanguage = 'ja' | 'en' | 'both';

export interface BatchMailFacts {
  /** null in a preview, before the batch exists */
  batchId: number | null;
  memberName: string;
  campaignName: string;
  listId: number;
  round: number | null;
  entries: number;
  tlp: string;
  dueAt: Date | null;
  portalUrl: string;
  /** the source's name, or null when the source is anonymous (then only the campaign is named) */
  sourceName?: string | null;
  /** the member's language: `both` (the default) puts Japanese first, then English */
  language?: MailLanguage;
  /** entries marked as relapses (the member had already notified an earlier observation) */
  relapses?: number;
}

export interface ReminderFacts extends BatchMailFacts {
  open: number;
  downloaded: boolean;
  overdue: boolean;
}

const tlpOf = (f: BatchMailFacts) => `TLP:${f.tlp.toUpperCase()}`;
const linkOf = (f: BatchMailFacts) => `${f.portalUrl.replace(/\/$/, '')}/batches${f.batchId == null ? '' : `/${f.batchId}`}`;
const dueOf = (f: BatchMailFacts) => (f.dueAt ? formatJst(f.dueAt) : '—');

const num = (n: number, lang: Lang) => n.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');
const roundOf = (f: BatchMailFacts, lang: Lang) => (f.round == null ? '' : t(lang, 'mail.round', { round: f.round }));

/** The batch's facts, one line each, in one language (words from the catalog: shared/src/i18n/mail.ts). */
function facts(f: BatchMailFacts, lang: Lang): string[] {
  return [
    t(lang, 'mail.fact.campaign', { campaign: f.campaignName, round: roundOf(f, lang), listId: f.listId }),
    ...(f.sourceName ? [t(lang, 'mail.fact.source', { source: f.sourceName })] : []),
    t(lang, 'mail.fact.entries', { n: num(f.entries, lang) }),
    ...(f.relapses ? [t(lang, 'mail.fact.relapses', { n: num(f.relapses, lang) })] : []),
    t(lang, 'mail.fact.tlp', { tlp: tlpOf(f) }),
    t(lang, 'mail.fact.due', { due: dueOf(f) }),
    t(lang, 'mail.fact.link', { link: linkOf(f) }),
  ];
}

type Part = (lang: Lang) => { subject: string; lines: string[] };

function compose(f: BatchMailFacts, to: string[], part: Part, kind: string): Mail {
  const lang = f.language ?? 'both';
  const tlp = tlpOf(f);
  const one = (l: Lang) => [
    `[${tlp}]`,
    t(l, 'mail.greeting', { member: f.memberName }),
    '',
    ...part(l).lines,
    '',
    t(l, 'mail.noEntries', { tlp }),
  ];
  const body = lang === 'both' ? [...one('ja'), '', '----', ...one('en')] : one(lang);
  const subject = lang === 'both' ? `${part('ja').subject} / ${part('en').subject}` : part(lang).subject;
  return {
    to,
    subject: `[${tlp}] ${subject}`,
    text: [...body, '', '-- deliveryline'].join('\n'),
    headers: { 'X-Deliveryline-Kind': kind, ...(f.batchId == null ? {} : { 'X-Deliveryline-Batch': String(f.batchId) }) },
  };
}

/** The message that a batch is ready. It names counts, the TLP, the due date and a link, never the entries. */
export function batchReadyMail(f: BatchMailFacts, to: string[]): Mail {
  return compose(
    f,
    to,
    (lang) => ({
      subject: t(lang, 'mail.ready.subject', { campaign: f.campaignName, round: roundOf(f, lang), n: f.entries }),
      lines: [t(lang, 'mail.ready.intro'), ...facts(f, lang), '', t(lang, 'mail.ready.ask')],
    }),
    'ready',
  );
}

/** A reminder: the batch is not downloaded yet, or entries lack an outcome near or past the due date. */
export function reminderMail(f: ReminderFacts, to: string[]): Mail {
  const why = (lang: Lang) =>
    !f.downloaded
      ? t(lang, 'mail.reminder.notDownloaded')
      : t(lang, f.overdue ? 'mail.reminder.overdue' : 'mail.reminder.dueSoon', { n: num(f.open, lang) });
  return compose(
    f,
    to,
    (lang) => ({
      subject: t(lang, 'mail.reminder.subject', { campaign: f.campaignName, round: roundOf(f, lang), n: f.open }),
      lines: [why(lang), ...facts(f, lang), '', t(lang, 'mail.reminder.ask')],
    }),
    'reminder',
  );
}
