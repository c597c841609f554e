import type { Queryable } from '@deliveryline/shared';
import { NON_ROUTABLE, loadMembers, loadHoldings, registryVersion, parseIp, parseIpWords, type MemberRow } from '@deliveryline/shared';
import { LpmEngine, type PrefixInput } from '../lpm/lpm';
import { parseCidr } from './cidr';

export type RouteDecision =
  { state: 'delivered'; memberId: string } | { state: 'returned'; reason: 'no_member' | 'member_inactive' | 'non_routable' };

/** The registry's cidr text is canonical (PostgreSQL checked it), so the network's words come from parseIp, no BigInt. */
function prefixInput(cidr: string, value: number, from: number, to: number): PrefixInput {
  const slash = cidr.indexOf('/');
  const ip = parseIp(cidr.slice(0, slash));
  const length = Number(cidr.slice(slash + 1));
  if (ip.ok && (ip.family === 6) === cidr.includes(':')) {
    return { value, family: ip.family, words: ip.family === 4 ? [ip.v4] : ip.words, length, validFrom: from, validTo: to };
  }
  const c = parseCidr(cidr); // IPv4-mapped IPv6 and anything unusual
  if (!c.ok) throw new Error(`registry holds a bad prefix ${cidr}: ${c.message}`);
  return { value, family: c.family, words: c.words, length: c.length, validFrom: from, validTo: to };
}

const SPECIAL = new LpmEngine(NON_ROUTABLE.map((n, i) => prefixInput(n.cidr, i, -Infinity, Infinity)));

function jstToday(): string {
  return new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 10);
}

/** The registry at one version, compiled for lookups: built once, shared by every chunk. */
export class Matcher {
  constructor(
    readonly version: number,
    readonly engine: LpmEngine,
    readonly members: MemberRow[],
    /** YYYY-MM-DD (JST) of the build: a member whose left_on has come is inactive */
    readonly today: string = jstToday(),
  ) {}

  /** one decision object per member, made on first use (decisions are shared and frozen) */
  private readonly deliveredTo: RouteDecision[] = [];

  /** Routes one entry given the canonical IP text and the observation time in epoch ms. */
  route(ipText: string, t: number): RouteDecision {
    const ip = parseIpWords(ipText);
    if (!ip.ok) return NON_ROUTABLE_DECISION;
    if (ip.family === 4) return this.route4(ip.v4, t);
    const [a, b, c, d] = ip.words;
    if (SPECIAL.lookup6(a, b, c, d, 0) >= 0) return NON_ROUTABLE_DECISION;
    return this.decision(this.engine.lookup6(a, b, c, d, t));
  }

  /** Routes an IPv4 address given as its 32-bit value (the route chunk parses it from COPY bytes). */
  route4(v4: number, t: number): RouteDecision {
    if (SPECIAL.lookup4(v4, 0) >= 0) return NON_ROUTABLE_DECISION;
    return this.decision(this.engine.lookup4(v4, t));
  }

  private decision(hit: number): RouteDecision {
    if (hit < 0) return NO_MEMBER_DECISION;
    const m = this.members[hit];
    if (!m.active || (m.left_on !== null && m.left_on <= this.today)) return MEMBER_INACTIVE_DECISION;
    return (this.deliveredTo[hit] ??= Object.freeze({ state: 'delivered', memberId: m.id }));
  }
}

const NON_ROUTABLE_DECISION: RouteDecision = Object.freeze({ state: 'returned', reason: 'non_routable' });
const NO_MEMBER_DECISION: RouteDecision = Object.freeze({ state: 'returned', reason: 'no_member' });
const MEMBER_INACTIVE_DECISION: RouteDecision = Object.freeze({ state: 'returned', reason: 'member_inactive' });

export async function buildMatcher(db: Queryable): Promise<Matcher> {
  const version = await registryVersion(db);
  const members = await loadMembers(db);
  const index = new Map(members.map((m, i) => [m.id, i]));
  const prefixes = (await loadHoldings(db)).map((p) => prefixInput(p.cidr, index.get(p.member_id)!, p.from_ms, p.to_ms));
  return new Matcher(version, new LpmEngine(prefixes), members);
}

/** Rebuilds only when the registry version moved. */
export class MatcherCache {
  private current?: Matcher;
  private building?: Promise<Matcher>;
  async get(db: Queryable): Promise<Matcher> {
    const version = await registryVersion(db);
    if (this.current?.version === version && this.current.today === jstToday()) return this.current;
    this.building ??= buildMatcher(db).finally(() => (this.building = undefined));
    this.current = await this.building;
    return this.current;
  }
}
