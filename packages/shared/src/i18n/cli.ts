/**
 * The words of the command line's tables (`dline report --members`) and of a test send's banner.
 * `dline prefixes check` uses the portal's `check.*` words. Plain text meant for both languages
 * at once is written `ja / en` by its caller (`both`).
 */
export const CLI = {
  'cli.members.member': ['協力先', 'member'],
  'cli.members.delivered': ['送付数', 'delivered'],
  'cli.members.reported': ['報告済', 'reported'],
  'cli.members.notified': ['注意喚起済', 'notified'],
  'cli.members.unhandled': ['未対応', 'unhandled'],
  'cli.members.notifyRate': ['注意喚起率', 'notify rate'],
  'cli.members.overdue': ['期限超過', 'overdue'],
  'cli.members.dlMedian': ['DL中央値h', 'dl med h'],
  'cli.members.dlP90': ['DL p90 h', 'dl p90 h'],
  'cli.members.outcomeMedian': ['報告中央値h', 'out med h'],
  'cli.members.outcomeP90': ['報告p90 h', 'out p90 h'],
  'test.banner': ['テスト送信', 'TEST'],
  'test.wouldGoTo': ['本来の宛先', 'this message would go to'],
  'test.noContact': ['連絡先なし', 'no contact'],
  'db.migrated': ['マイグレーションを適用しました: {files}', 'migrations applied: {files}'],
  'db.pending': [
    'データベースに未適用のマイグレーション（{files}）がありますが、この接続のロール（{role}）では適用できません。所有者として適用してください（DATABASE_OWNER_URL を設定するか、管理者の DATABASE_URL で {cmd} を実行）',
    "the database needs migrations ({files}) that this connection's role ({role}) may not apply: run them as the owner (set DATABASE_OWNER_URL, or run {cmd} with an administrator in DATABASE_URL)",
  ],
  'db.upToDate': ['データベースは最新です', 'the database is up to date'],
  'db.login': ['{role} はログインできます（パスワード設定: {password}）: {url}', '{role} may log in (password set: {password}): {url}'],
  'audit.intact': [
    '監査ログは正常です: {events} 件（うち鍵のない旧方式 {legacy} 件）、チェックポイント {checkpoints} 件と照合',
    'audit log intact: {events} events ({legacy} legacy-unkeyed), {checkpoints} checkpoints checked',
  ],
  'audit.broken': [
    '監査ログに問題があります: {problems} 件（{events} 件を検査、うち鍵のない旧方式 {legacy} 件、チェックポイント {checkpoints} 件）',
    'audit log BROKEN: {problems} problems ({events} events checked, {legacy} legacy-unkeyed, {checkpoints} checkpoints)',
  ],
  'audit.problem.edited': [
    'イベント {id}: 改変 — 内容が MAC と一致しません（書き込み後に変更された）',
    'event {id}: edited — its content does not match its MAC',
  ],
  'audit.problem.bad-mac': [
    'イベント {id}: MAC 不正 — 鍵なしで書かれたハッシュ、または鍵付きイベントの後の鍵なしイベント',
    'event {id}: bad MAC — its hash was made without the key, or it is an unkeyed event after keyed ones',
  ],
  'audit.problem.inserted': [
    'イベント {id}: 挿入 — 前後のイベントはこれを飛ばしてつながっています',
    'event {id}: inserted — the chain runs around it',
  ],
  'audit.problem.deleted': [
    'イベント {id}: つながりの切断 — 直前のイベント（ID {from}〜{to}）が削除されています',
    'event {id}: link broken — the events before it (ids {from}–{to}) were deleted',
  ],
  'audit.problem.link-broken': [
    'イベント {id}: つながりの切断 — 直前のイベントのハッシュを指していません',
    'event {id}: link broken — it does not link to the event before it',
  ],
  'audit.problem.unknown-alg': ['イベント {id}: 未知のハッシュ方式です', 'event {id}: its hash scheme is unknown to this version'],
  'audit.problem.missing-after-checkpoint': [
    'イベント {id}: チェックポイント後の欠落 — {at} のチェックポイントが含むイベントがありません（ID {from}〜{to}）',
    'event {id}: missing after checkpoint — the checkpoint of {at} covers it, but it is gone (ids {from}–{to})',
  ],
  'audit.problem.changed-since-checkpoint': [
    'イベント {id}: {at} のチェックポイントと一致しません（それまでのログが書き換えられた、または削除された）',
    'event {id}: does not match the checkpoint of {at} (the log up to it was rewritten or events were deleted)',
  ],
  'audit.problem.bad-checkpoint': [
    'イベント {id}: {at} のチェックポイントの署名が正しくありません（改ざん、または別の鍵）',
    'event {id}: the checkpoint of {at} has a bad signature (altered, or another key)',
  ],
  'audit.legacyNote': [
    '鍵のない旧方式（0026 以前）のイベントは誰でも再計算できます: それ以降のチェックポイントで守ってください',
    'legacy-unkeyed events (before 0026) can be recomputed by anyone: keep checkpoints from now on',
  ],
  'audit.checkpoint.written': [
    'チェックポイントを書きました: {file}（イベント {lastId} まで {count} 件）。データベースの外に保管してください',
    'checkpoint written: {file} (up to event {lastId}, {count} events); keep it away from the database',
  ],
  'audit.checkpoint.refused': [
    '監査ログに問題があるためチェックポイントを作りません（{cmd} で確認してください）',
    'the audit log does not verify, so no checkpoint was taken (see {cmd})',
  ],
  'cli.login.limited': [
    'サインインの試行が多すぎるため、{until} まで受け付けません（ポータルと同じ制限です）',
    'too many sign-in attempts: refused until {until} (the same limits as the portal)',
  ],
  'cli.login.needed': [
    'このコマンドはポータルの利用者として実行します: {login} でログインするか、ポータルで作った API トークンを DLINE_TOKEN に設定してください',
    'this command acts as a portal user: sign in with {login}, or set DLINE_TOKEN to an API token made in the portal',
  ],
  'cli.login.badToken': [
    '{where} のトークンは無効です（取り消された、または利用者が無効）: {login} で再度ログインしてください',
    'the token in {where} is not valid (revoked, or its user is disabled): sign in again with {login}',
  ],
  'cli.login.notCoordinator': [
    '{email} はコーディネーターではありません: このコマンドはコーディネーターだけが実行できます',
    '{email} is not a coordinator: only coordinators run this command',
  ],
  'cli.login.readOnly': [
    '{where} のトークンは読み取り専用です: 変更には書き込み権限のトークンが必要です',
    'the token in {where} is read-only: changes need a write token',
  ],
  'cli.login.failed': ['メールアドレスまたはパスワードが違います', 'wrong e-mail or password'],
  'cli.login.totpNeeded': [
    '{email} は二要素認証を使っています: --totp に認証アプリのコードを指定してください',
    '{email} uses a second factor: give the code from the authenticator app with --totp',
  ],
  'cli.login.done': [
    '{email} としてログインしました（トークンは {file} に保存、権限 600）',
    'signed in as {email} (token kept in {file}, mode 600)',
  ],
  'cli.login.password': ['パスワード', 'password'],
  'cli.logout.done': ['ログアウトしました（トークンを取り消し、{file} を削除）', 'signed out (token revoked, {file} removed)'],
  'cli.logout.none': ['ログインしていません', 'not signed in'],
} as const;
