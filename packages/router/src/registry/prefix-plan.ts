/**
 * What a prefix CSV would change, decided before anything is written (the dry run prints it;
 * the import applies it). History is never overwritten: a row either matches a holding that is
 * already there, adds a holding, or closes one (sets the end of an open or later-ending holding).
 *
 * Per file row `member_id,cidr,valid_from,valid_to` against the registry:
 * - the same holding (member, cidr, from, to) is there → unchanged;
 * - the same member holds the same cidr from the same start with a later or open end → close it
 *   at the row's valid_to (how a holding is ended);
 * - the same member already holds the cidr over the whole window → unchanged (covered);
 * - another member holds the cidr open-ended from an earlier start → that holding is closed at the
 *   row's valid_from and the row is added: the block moved on that date;
 * - any other overlap with a holding of the registry or of another row of the file → refused.
 * Rows of one cidr are taken in order of valid_from, so a file may state a whole history.
 */
import type { PrefixRow } from '@deliveryline/shared';

export interface PlannedRow {
  line: number;
  member: string;
  cidr: string;
  from: Date | null;
  to: Date | null;
}

export type Change =
  | { kind: 'add'; line: number; member: string; cidr: string; from: Date | null; to: Date | null }
  | {
      kind: 'close';
      line: number;
      id: number;
      member: string;
      cidr: string;
      from: Date | null;
      to: Date;
      oldTo: Date | null;
      reason: 'ended' | 'moved';
    };

export interface PlanError {
  line: number;
  field: string;
  code: string;
  message: string;
}

export interface Plan {
  changes: Change[];
  unchanged: number;
  errors: PlanError[];
}

interface Holding {
  id?: number;
  line?: number;
  member: string;
  from: number;
  to: number;
  fromD: Date | null;
  toD: Date | null;
}

const ms = (d: Date | null, open: number) => (d ? d.getTime() : open);

/** A moment as the programme writes it: JST, `2026-01-01` when it is midnight, else ISO 8601 with +09:00. */
export function jst(d: Date | string): string {
  const s = new Date(new Date(d).getTime() + 9 * 3600_000).toISOString().replace('Z', '+09:00').replace('.000', '');
  return s.endsWith('T00:00:00+09:00') ? s.slice(0, 10) : s;
}
const day = (d: Date | null, open: string) => (d ? jst(d) : open);

export function planPrefixes(existing: PrefixRow[], rows: PlannedRow[]): Plan {
  const byCidr = new Map<string, Holding[]>();
  for (const p of existing) {
    const list = byCidr.get(p.cidr) ?? [];
    list.push({
      id: p.id,
      member: p.member_id,
      from: ms(p.valid_from, -Infinity),
      to: ms(p.valid_to, Infinity),
      fromD: p.valid_from,
      toD: p.valid_to,
    });
    byCidr.set(p.cidr, list);
  }
  const plan: Plan = { changes: [], unchanged: 0, errors: [] };
  const sorted = [...rows].sort((a, b) =>
    a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : ms(a.from, -Infinity) - ms(b.from, -Infinity) || a.line - b.line,
  );
  for (const r of sorted) {
    const from = ms(r.from, -Infinity),
      to = ms(r.to, Infinity);
    const held = byCidr.get(r.cidr) ?? [];
    byCidr.set(r.cidr, held);
    if (held.some((h) => h.member === r.member && h.from === from && h.to === to)) {
      plan.unchanged++;
      continue;
    }
    const sameStart = held.find((h) => h.id !== undefined && h.member === r.member && h.from === from && h.to > to);
    if (sameStart && r.to) {
      plan.changes.push({
        kind: 'close',
        line: r.line,
        id: sameStart.id!,
        member: r.member,
        cidr: r.cidr,
        from: sameStart.fromD,
        to: r.to,
        oldTo: sameStart.toD,
        reason: 'ended',
      });
      sameStart.to = to;
      sameStart.toD = r.to;
      continue;
    }
    if (held.some((h) => h.member === r.member && h.from <= from && to <= h.to)) {
      plan.unchanged++;
      continue;
    }
    const overlapping = held.filter((h) => h.from < to && from < h.to);
    const moved = overlapping.length === 1 && overlapping[0];
    if (moved && moved.id !== undefined && moved.member !== r.member && moved.to === Infinity && moved.from < from && r.from) {
      plan.changes.push({
        kind: 'close',
        line: r.line,
        id: moved.id,
        member: moved.member,
        cidr: r.cidr,
        from: moved.fromD,
        to: r.from,
        oldTo: null,
        reason: 'moved',
      });
      moved.to = from;
      moved.toD = r.from;
    } else if (overlapping.length) {
      const o = overlapping[0];
      const where = o.line ? `line ${o.line} of this file` : `the registry (row ${o.id})`;
      plan.errors.push({
        line: r.line,
        field: 'cidr',
        code: 'prefix.overlap',
        message:
          `${r.cidr} is held by ${o.member} from ${day(o.fromD, 'the beginning')} to ${day(o.toD, 'open end')} (${where}), ` +
          `overlapping this row; one prefix has one holder at a time: end that holding first (a valid_to) or start this row later`,
      });
      continue;
    }
    plan.changes.push({ kind: 'add', line: r.line, member: r.member, cidr: r.cidr, from: r.from, to: r.to });
    held.push({ line: r.line, member: r.member, from, to, fromD: r.from, toD: r.to });
  }
  plan.errors.sort((a, b) => a.line - b.line);
  return plan;
}

/** One line per change, for the dry run and the import's report. */
export function describeChange(c: Change): string {
  if (c.kind === 'add')
    return `line ${c.line}: add ${c.cidr} → ${c.member} from ${day(c.from, 'the beginning')} to ${day(c.to, 'open end')}`;
  return c.reason === 'moved'
    ? `line ${c.line}: close ${c.cidr} of ${c.member} at ${jst(c.to)} (the block moves to another member)`
    : `line ${c.line}: close ${c.cidr} of ${c.member} at ${jst(c.to)} (was ${day(c.oldTo, 'open end')})`;
}
