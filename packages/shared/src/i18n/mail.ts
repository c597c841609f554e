/**
 * The words of the e-mails members receive (a batch is ready, a reminder) and of the report's
 * handling line per TLP level; `{name}` takes a value. Japanese first, then English, as in every
 * part of the catalog.
 */
export const MAIL = {
  'mail.greeting': ['{member} ご担当者様', 'To the contacts of {member},'],
  'mail.noEntries': [
    '本メールにはエントリそのものは含まれていません。{tlp} に従って取り扱ってください。',
    'This message does not contain the entries. Handle it according to {tlp}.',
  ],
  'mail.round': [' 第{round}回', ', round {round}'],
  'mail.fact.campaign': ['  キャンペーン: {campaign}{round}（リスト {listId}）', '  Campaign: {campaign}{round} (list {listId})'],
  'mail.fact.source': ['  提供元: {source}', '  Source: {source}'],
  'mail.fact.entries': ['  件数: {n} 件', '  Entries: {n}'],
  'mail.fact.relapses': ['  うち再感染（以前に注意喚起済みのアドレス）: {n} 件', '  Relapses (addresses you had already notified): {n}'],
  'mail.fact.tlp': ['  取扱区分: {tlp}', '  Sharing: {tlp}'],
  'mail.fact.due': ['  対応期限: {due}（営業日で計算）', '  Due: {due} (counted in Japanese business days)'],
  'mail.fact.link': ['  取得先: {link}', '  Download: {link}'],
  'mail.ready.subject': ['感染端末情報 {campaign}{round}: {n} 件', 'New batch: {campaign}{round}, {n} entries'],
  'mail.ready.intro': ['感染端末情報の新しいバッチをお届けします。', 'A new batch of infected-host entries is ready for you.'],
  'mail.ready.ask': [
    'ポータルにサインインしてダウンロードし、期限までに各件の対応結果をご報告ください。',
    'Sign in to the portal to download it, and report an outcome for each entry by the due date.',
  ],
  'mail.reminder.subject': [
    '【リマインド】感染端末情報 {campaign}{round}: 未報告 {n} 件',
    'Reminder: {campaign}{round}, {n} entries without outcome',
  ],
  'mail.reminder.notDownloaded': ['このバッチはまだダウンロードされていません。', 'This batch has not been downloaded yet.'],
  'mail.reminder.overdue': [
    '対応期限を過ぎていますが、{n} 件の対応結果が未報告です。',
    'The due date has passed and {n} entries still have no outcome.',
  ],
  'mail.reminder.dueSoon': [
    '対応期限が近づいています。{n} 件の対応結果が未報告です。',
    'The due date is near and {n} entries still have no outcome.',
  ],
  'mail.reminder.ask': [
    'ポータルから対応結果をご報告ください。すでにご対応済みの場合は本メールを破棄してください。',
    'Please report the outcomes in the portal. If you already have, please disregard this message.',
  ],
} as const;
