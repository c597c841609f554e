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
  'db.upToDate': ['データベースは最新です', 'the database is up to date'],
  'db.login': ['{role} はログインできます（パスワード設定: {password}）: {url}', '{role} may log in (password set: {password}): {url}'],
} as const;
