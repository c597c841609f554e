import type { OutcomeFigures, Queryable } from '@deliveryline/shared';
import { rate } from '@deliveryline/shared';
import { campaignReport, type CampaignReport } from './repositories/report.repository';
import { downloadTimes, memberCounts, outcomeTimes, type MemberCountsRow, type MemberTimeRow } from './repositories/member.repository';
import { spread, weightedPercentiles, type Spread } from './percentile';
import { campaignInfo, notifiedByDay, returnsByReason, type DayCount, type ReasonCount } from './repositories/series.repository';

export type StatsRole = 'coordinator' | 'member' | 'source' | 'viewer';
export interface StatsScope {
  role: StatsRole;
  memberId?: string;
  sourceId?: string;
}

/**
 * Peers are shown to a member only when at least this many OTHER members have figures: with
 * fewer, a median and quartiles come close to naming each value.
 */
export const PEER_MIN = 5;

export interface TimeFigures {
  /** how many batches (download) or entries (outcome) the times are over */
  n: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

/** A member's figures: counts, one count per outcome of OUTCOMES, rates and times. */
export interface MemberFigures extends OutcomeFigures {
  memberId: string;
  name: string;
  batches: number;
  delivered: number;
  reported: number;
  /** delivered − reported */
  unhandled: number;
  notifyRate: number | null;
  overdueBatches: number;
  overdueEntries: number;
  downloadedBatches: number;
  toFirstDownload: TimeFigures;
  toOutcome: TimeFigures;
}

/** The other members, as numbers only: how many, and the quartiles of each figure. */
export interface PeerFigures {
  members: number;
  delivered: Spread;
  reported: Spread;
  notified: Spread;
  unhandled: Spread;
  notifyRate: Spread;
  overdueEntries: Spread;
  toFirstDownloadMedianSeconds: Spread;
  toOutcomeMedianSeconds: Spread;
}

export interface CampaignStats {
  role: StatsRole;
  campaign: { id: string; name: string; tlp: string; from: string | null; to: string | null };
  generatedAt: string;
  table: CampaignReport;
  /** coordinators only: every member by name */
  members?: MemberFigures[];
  /** a member: its own figures */
  own?: MemberFigures | null;
  /** a member: the others, anonymous (null when fewer than PEER_MIN) */
  peers?: PeerFigures | null;
  notifiedByDay: DayCount[];
  returnsByReason: ReasonCount[];
}

export class StatsError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

function times(rows: MemberTimeRow[]): TimeFigures {
  const [medianSeconds, p90Seconds] = weightedPercentiles(
    rows.map((r) => ({ v: r.seconds, w: r.weight })),
    [0.5, 0.9],
  );
  return { n: rows.reduce((s, r) => s + r.weight, 0), medianSeconds, p90Seconds };
}

function byMember(rows: MemberTimeRow[]): Map<string, MemberTimeRow[]> {
  const m = new Map<string, MemberTimeRow[]>();
  for (const r of rows) m.set(r.memberId, [...(m.get(r.memberId) ?? []), r]);
  return m;
}

/** Every member's figures in the campaign (or one member's): counts from the summaries, times exact. */
export async function memberFigures(
  db: Queryable,
  campaignId: string,
  opts: { memberId?: string; at?: Date } = {},
): Promise<MemberFigures[]> {
  const [counts, dl, oc] = await Promise.all([
    memberCounts(db, campaignId, opts.at ?? new Date(), opts.memberId),
    downloadTimes(db, campaignId, opts.memberId),
    outcomeTimes(db, campaignId, opts.memberId),
  ]);
  const dlm = byMember(dl);
  const ocm = byMember(oc);
  return counts.map((c: MemberCountsRow) => ({
    ...c,
    unhandled: c.delivered - c.reported,
    notifyRate: rate(c.notified, c.delivered),
    toFirstDownload: times(dlm.get(c.memberId) ?? []),
    toOutcome: times(ocm.get(c.memberId) ?? []),
  }));
}

export function peerFigures(others: MemberFigures[]): PeerFigures | null {
  if (others.length < PEER_MIN) return null;
  const s = (f: (m: MemberFigures) => number | null) => spread(others.map(f));
  return {
    members: others.length,
    delivered: s((m) => m.delivered),
    reported: s((m) => m.reported),
    notified: s((m) => m.notified),
    unhandled: s((m) => m.unhandled),
    notifyRate: s((m) => m.notifyRate),
    overdueEntries: s((m) => m.overdueEntries),
    toFirstDownloadMedianSeconds: s((m) => m.toFirstDownload.medianSeconds),
    toOutcomeMedianSeconds: s((m) => m.toOutcome.medianSeconds),
  };
}

function checkScope(scope: StatsScope): void {
  if (scope.role === 'member' && !scope.memberId)
    throw new StatsError('stats.scope', "a member scope needs memberId; pass the signed-in user's member_id");
  if (scope.role === 'source' && !scope.sourceId)
    throw new StatsError('stats.scope', "a source scope needs sourceId; pass the signed-in user's source_id");
  if (!['coordinator', 'member', 'source', 'viewer'].includes(scope.role))
    throw new StatsError('stats.scope', `unknown role "${scope.role}"; use coordinator, member, source or viewer`);
}

/**
 * The one entry point for dashboards, the API, reports and the CLI: the campaign's figures as
 * the caller may see them. Coordinators: everything, members by name. A member: the totals, its
 * own row and the others only as anonymous quartiles. A source: totals of its own lists. A
 * viewer: totals. Call it with the unscoped pool: the scope argument does the scoping (the
 * row-level-security role would hide the other members' batches the peer figures need).
 */
export async function campaignStats(
  db: Queryable,
  campaignId: string,
  scope: StatsScope,
  opts: { at?: Date } = {},
): Promise<CampaignStats> {
  checkScope(scope);
  const sourceId = scope.role === 'source' ? scope.sourceId : undefined;
  // every query at once: on a busy database the round trips, not the (millisecond) queries, dominate
  const wantMembers = scope.role === 'coordinator' || scope.role === 'member';
  const [info, table, days, reasons, all] = await Promise.all([
    campaignInfo(db, campaignId, sourceId),
    campaignReport(db, campaignId, { sourceId }),
    notifiedByDay(db, campaignId, sourceId),
    returnsByReason(db, campaignId, sourceId),
    wantMembers ? memberFigures(db, campaignId, { at: opts.at }) : Promise.resolve([]),
  ]);
  if (!info)
    throw new StatsError(
      'campaign.not_found',
      `campaign "${campaignId}" does not exist; see the campaign ids on the lists page or in dline report`,
    );
  const out: CampaignStats = {
    role: scope.role,
    campaign: { id: info.id, name: info.name, tlp: info.tlp, from: info.from?.toISOString() ?? null, to: info.to?.toISOString() ?? null },
    generatedAt: (opts.at ?? new Date()).toISOString(),
    table,
    notifiedByDay: days,
    returnsByReason: reasons,
  };
  if (scope.role === 'coordinator') out.members = all;
  if (scope.role === 'member') {
    out.own = all.find((m) => m.memberId === scope.memberId) ?? null;
    out.peers = peerFigures(all.filter((m) => m.memberId !== scope.memberId));
  }
  return out;
}
