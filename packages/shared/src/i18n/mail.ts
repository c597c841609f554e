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
  'mail.locked.subject': ['[deliveryline] サインインを一時停止しました', '[deliveryline] Sign-in to your account is paused'],
  'mail.locked.body': [
    '{email} のアカウントで、サインイン（パスワードまたは確認コード）の失敗が {failures} 回続いたため、{until} までサインインを停止しました。\n最後の試行の送信元: {ip}\n\nご自身の操作であれば、時間をおいてからもう一度お試しください。心当たりがない場合は、パスワードを変更し、コーディネーターにご連絡ください。',
    'Sign-in to the account {email} failed {failures} times in a row (password or verification code), so it is paused until {until}.\nThe last attempt came from: {ip}\n\nIf this was you, try again later. If it was not, change your password and tell a coordinator.',
  ],
  'mail.recovery.subject': ['[deliveryline] 回復コードが使われました', '[deliveryline] A recovery code was used'],
  'mail.recovery.body': [
    '{email} のアカウントで、確認コードの代わりに回復コードが使われました（{at}、送信元: {ip}）。未使用の回復コードは残り {left} 個です。\n\n心当たりがない場合は、すぐにパスワードを変更し、ポータルの「アカウント」で回復コードを作り直して、コーディネーターにご連絡ください。',
    "A recovery code was used in place of a verification code for the account {email} ({at}, from {ip}). {left} unused recovery codes are left.\n\nIf this was not you, change your password now, make new recovery codes on the portal's Account page, and tell a coordinator.",
  ],
  'mail.changed.subject': ['[deliveryline] サインインの設定が変わりました', '[deliveryline] Your sign-in settings changed'],
  'mail.changed.body': [
    '{email} のアカウントで、{change}（{at}、送信元: {ip}）。\n\n心当たりがない場合は、すぐにコーディネーターにご連絡ください。',
    'For the account {email}, {change} ({at}, from {ip}).\n\nIf this was not you, tell a coordinator at once.',
  ],
  'mail.changed.password': ['パスワードが変更されました', 'the password was changed'],
  'mail.changed.totp': ['二要素認証が有効になりました', 'two-factor sign-in was turned on'],
  'mail.changed.recovery': [
    '回復コードが作り直されました（以前のコードは使えません）',
    'new recovery codes were made (the old ones no longer work)',
  ],
} as const;
