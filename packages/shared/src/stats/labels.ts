/** Everything a reader sees in the figures, in Japanese and English (T-ISAC-J's own terms first). */
export type Lang = 'ja' | 'en';

const L = {
  received: ['受領数', 'received'],
  delivered: ['送付数', 'delivered'],
  returned: ['返却数', 'returned'],
  handlingRate: ['対応率', 'handling rate'],
  rejected: ['不正行', 'rejected'],
  duplicates: ['重複', 'duplicates'],
  notified: ['注意喚起済', 'notified'],
  notIdentified: ['契約者特定不可', 'not identified'],
  unhandled: ['未対応', 'unhandled'],
  notifyRate: ['注意喚起率', 'notify rate'],
  reported: ['報告済', 'reported'],
  round: ['第{n}回', 'round {n}'],
  list: ['リスト {n}', 'list {n}'],
  total: ['合計', 'total'],
  member: ['協力先', 'member'],
  batches: ['バッチ数', 'batches'],
  overdue: ['期限超過', 'overdue'],
  overdueBatches: ['期限超過バッチ', 'overdue batches'],
  toDownload: ['公開→初回ダウンロード', 'release → first download'],
  toOutcome: ['公開→結果報告', 'release → outcome'],
  median: ['中央値', 'median'],
  p90: ['90パーセンタイル', 'p90'],
  q1: ['第1四分位', 'lower quartile'],
  q3: ['第3四分位', 'upper quartile'],
  hours: ['時間', 'hours'],
  entries: ['件数', 'entries'],
  day: ['日付', 'day'],
  chartRounds: ['回ごとの受領・送付・返却', 'Received, delivered and returned by round'],
  chartNotified: ['注意喚起済の累計（公開日から）', 'Cumulative notified since release'],
  chartTimes: ['協力先ごとの所要時間（中央値・90パーセンタイル）', 'Time per member (median, p90)'],
  chartReasons: ['返却理由', 'Returns by reason'],
  othersMedian: ['他の協力先（中央値）', 'other members (median)'],
  you: ['自組織', 'you'],
  reportTitle: ['感染端末通知 実施報告', 'Infected-host notification: campaign report'],
  campaign: ['キャンペーン', 'campaign'],
  period: ['観測期間', 'observation period'],
  generated: ['作成日時', 'generated'],
  tlpNote: ['この文書の取り扱い: ', 'Handling of this document: '],
  perMember: ['協力先ごとの状況', 'Per member'],
  peers: ['他の協力先（匿名・四分位）', 'Other members (anonymous quartiles)'],
  definitions: ['定義', 'Definitions'],
  noData: ['データなし', 'no data'],
  'reason.no_member': ['該当協力先なし', 'no member'],
  'reason.member_inactive': ['協力先休止中', 'member inactive'],
  'reason.non_routable': ['ルーティング不能アドレス', 'non-routable address'],
  'reason.not_our_address': ['協力先のアドレスでない', 'not the member\'s address'],
  'reason.unknown': ['不明', 'unknown'],
} as const satisfies Record<string, readonly [string, string]>;

export type LabelKey = keyof typeof L;

export function label(lang: Lang, key: LabelKey, vars: Record<string, string | number> = {}): string {
  const s: string = L[key][lang === 'ja' ? 0 : 1];
  return s.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

export function reasonLabel(lang: Lang, reason: string): string {
  const key = `reason.${reason}`;
  return key in L ? label(lang, key as LabelKey) : reason;
}

export const DEFINITIONS: Record<Lang, string[]> = {
  ja: [
    '受領数 = 送付数 + 返却数、対応率 = 送付数 ÷ 受領数',
    '結果は各エントリの最新の報告で数える。注意喚起率 = 注意喚起済 ÷ 送付数、未対応 = 送付数 − 報告済',
    '率は整数の件数から小数第1位まで（四捨五入）',
  ],
  en: [
    'received = delivered + returned; handling rate = delivered ÷ received',
    'An entry counts under its latest reported outcome. notify rate = notified ÷ delivered; unhandled = delivered − reported',
    'Rates to one decimal, rounded half up from exact counts',
  ],
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
