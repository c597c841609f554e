import type { Mail } from './mailer';

export interface BatchMailFacts {
  batchId: number;
  memberName: string;
  campaignName: string;
  listId: number;
  round: number | null;
  entries: number;
  tlp: string;
  dueAt: Date | null;
  portalUrl: string;
}

const jst = (d: Date) =>
  new Intl.DateTimeFormat('ja-JP', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d) + ' JST';

/** One message, Japanese first, then English. It names counts and a link, never the entries. */
export function batchReadyMail(f: BatchMailFacts, to: string[]): Mail {
  const tlp = `TLP:${f.tlp.toUpperCase()}`;
  const link = `${f.portalUrl.replace(/\/$/, '')}/batches/${f.batchId}`;
  const round = f.round == null ? '' : ` 第${f.round}回`;
  const roundEn = f.round == null ? '' : `, round ${f.round}`;
  const due = f.dueAt ? jst(f.dueAt) : '—';
  const text = [
    `[${tlp}]`,
    `${f.memberName} ご担当者様`,
    '',
    `感染端末情報の新しいバッチをお届けします。`,
    `  キャンペーン: ${f.campaignName}${round}（リスト ${f.listId}）`,
    `  件数: ${f.entries.toLocaleString('ja-JP')} 件`,
    `  対応期限: ${due}`,
    `  取得先: ${link}`,
    '',
    `ポータルにサインインしてダウンロードし、各件の対応結果をご報告ください。`,
    `本メールにはエントリそのものは含まれていません。${tlp} に従って取り扱ってください。`,
    '',
    '----',
    `[${tlp}]`,
    `To the contacts of ${f.memberName},`,
    '',
    `A new batch of infected-host entries is ready for you.`,
    `  Campaign: ${f.campaignName}${roundEn} (list ${f.listId})`,
    `  Entries: ${f.entries.toLocaleString('en-US')}`,
    `  Due: ${due}`,
    `  Download: ${link}`,
    '',
    `Sign in to the portal to download it, and report an outcome for each entry.`,
    `This message does not contain the entries. Handle it according to ${tlp}.`,
    '',
    '-- deliveryline',
  ].join('\n');
  return {
    to,
    subject: `[${tlp}] 感染端末情報 ${f.campaignName}${round}: ${f.entries} 件 / New batch: ${f.campaignName}${roundEn}, ${f.entries} entries`,
    text,
    headers: { 'X-Deliveryline-Batch': String(f.batchId) },
  };
}
