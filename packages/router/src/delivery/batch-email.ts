import type { Mail } from './mailer';
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

function jaFacts(f: BatchMailFacts): string[] {
  const round = f.round == null ? '' : ` 第${f.round}回`;
  return [
    `  キャンペーン: ${f.campaignName}${round}（リスト ${f.listId}）`,
    ...(f.sourceName ? [`  提供元: ${f.sourceName}`] : []),
    `  件数: ${f.entries.toLocaleString('ja-JP')} 件`,
    ...(f.relapses ? [`  うち再感染（以前に注意喚起済みのアドレス）: ${f.relapses.toLocaleString('ja-JP')} 件`] : []),
    `  取扱区分: ${tlpOf(f)}`,
    `  対応期限: ${dueOf(f)}（営業日で計算）`,
    `  取得先: ${linkOf(f)}`,
  ];
}

function enFacts(f: BatchMailFacts): string[] {
  const round = f.round == null ? '' : `, round ${f.round}`;
  return [
    `  Campaign: ${f.campaignName}${round} (list ${f.listId})`,
    ...(f.sourceName ? [`  Source: ${f.sourceName}`] : []),
    `  Entries: ${f.entries.toLocaleString('en-US')}`,
    ...(f.relapses ? [`  Relapses (addresses you had already notified): ${f.relapses.toLocaleString('en-US')}`] : []),
    `  Sharing: ${tlpOf(f)}`,
    `  Due: ${dueOf(f)} (counted in Japanese business days)`,
    `  Download: ${linkOf(f)}`,
  ];
}

function compose(
  f: BatchMailFacts,
  to: string[],
  parts: { subjectJa: string; subjectEn: string; ja: string[]; en: string[] },
  kind: string,
): Mail {
  const lang = f.language ?? 'both';
  const tlp = tlpOf(f);
  const ja = [
    `[${tlp}]`,
    `${f.memberName} ご担当者様`,
    '',
    ...parts.ja,
    '',
    `本メールにはエントリそのものは含まれていません。${tlp} に従って取り扱ってください。`,
  ];
  const en = [
    `[${tlp}]`,
    `To the contacts of ${f.memberName},`,
    '',
    ...parts.en,
    '',
    `This message does not contain the entries. Handle it according to ${tlp}.`,
  ];
  const body = lang === 'ja' ? ja : lang === 'en' ? en : [...ja, '', '----', ...en];
  const subject = lang === 'ja' ? parts.subjectJa : lang === 'en' ? parts.subjectEn : `${parts.subjectJa} / ${parts.subjectEn}`;
  return {
    to,
    subject: `[${tlp}] ${subject}`,
    text: [...body, '', '-- deliveryline'].join('\n'),
    headers: { 'X-Deliveryline-Kind': kind, ...(f.batchId == null ? {} : { 'X-Deliveryline-Batch': String(f.batchId) }) },
  };
}

/** The message that a batch is ready. It names counts, the TLP, the due date and a link, never the entries. */
export function batchReadyMail(f: BatchMailFacts, to: string[]): Mail {
  const roundJa = f.round == null ? '' : ` 第${f.round}回`;
  const roundEn = f.round == null ? '' : `, round ${f.round}`;
  return compose(
    f,
    to,
    {
      subjectJa: `感染端末情報 ${f.campaignName}${roundJa}: ${f.entries} 件`,
      subjectEn: `New batch: ${f.campaignName}${roundEn}, ${f.entries} entries`,
      ja: [
        '感染端末情報の新しいバッチをお届けします。',
        ...jaFacts(f),
        '',
        'ポータルにサインインしてダウンロードし、期限までに各件の対応結果をご報告ください。',
      ],
      en: [
        'A new batch of infected-host entries is ready for you.',
        ...enFacts(f),
        '',
        'Sign in to the portal to download it, and report an outcome for each entry by the due date.',
      ],
    },
    'ready',
  );
}

/** A reminder: the batch is not downloaded yet, or entries lack an outcome near or past the due date. */
export function reminderMail(f: ReminderFacts, to: string[]): Mail {
  const roundJa = f.round == null ? '' : ` 第${f.round}回`;
  const roundEn = f.round == null ? '' : `, round ${f.round}`;
  const whyJa = !f.downloaded
    ? 'このバッチはまだダウンロードされていません。'
    : f.overdue
      ? `対応期限を過ぎていますが、${f.open.toLocaleString('ja-JP')} 件の対応結果が未報告です。`
      : `対応期限が近づいています。${f.open.toLocaleString('ja-JP')} 件の対応結果が未報告です。`;
  const whyEn = !f.downloaded
    ? 'This batch has not been downloaded yet.'
    : f.overdue
      ? `The due date has passed and ${f.open.toLocaleString('en-US')} entries still have no outcome.`
      : `The due date is near and ${f.open.toLocaleString('en-US')} entries still have no outcome.`;
  return compose(
    f,
    to,
    {
      subjectJa: `【リマインド】感染端末情報 ${f.campaignName}${roundJa}: 未報告 ${f.open} 件`,
      subjectEn: `Reminder: ${f.campaignName}${roundEn}, ${f.open} entries without outcome`,
      ja: [whyJa, ...jaFacts(f), '', 'ポータルから対応結果をご報告ください。すでにご対応済みの場合は本メールを破棄してください。'],
      en: [whyEn, ...enFacts(f), '', 'Please report the outcomes in the portal. If you already have, please disregard this message.'],
    },
    'reminder',
  );
}
