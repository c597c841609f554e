import {
  audit,
  closePrefix,
  insertPrefix,
  loadMembers,
  loadPrefixes,
  lockPrefixImport,
  withTransaction,
  type Pool,
} from '@deliveryline/shared';
import { parseCidr } from './cidr';
import { ImportError, parseDate, readCsv, requireColumns, type RowError } from './import';
import { describeChange, planPrefixes, type Change, type PlannedRow } from './prefix-plan';

export interface PrefixImportResult {
  added: number;
  closed: number;
  unchanged: number;
  changes: Change[];
  lines: string[];
  dryRun: boolean;
}

/** Reads and checks a prefix CSV row by row; throws ImportError with every bad row. */
function readPrefixRows(file: string, members: Set<string>): PlannedRow[] {
  const { header, rows } = readCsv(file);
  requireColumns(file, header, ['member_id', 'cidr']);
  const errors: RowError[] = [];
  const good: PlannedRow[] = [];
  for (const { line, rec } of rows) {
    const before = errors.length;
    if (!members.has(rec.member_id))
      errors.push({
        line,
        field: 'member_id',
        code: 'member.unknown',
        message: `unknown member "${rec.member_id}" (add it with dline members import first)`,
      });
    const c = parseCidr(rec.cidr);
    if (!c.ok) errors.push({ line, field: 'cidr', code: c.code, message: c.message });
    const from = parseDate(rec.valid_from ?? '');
    const to = parseDate(rec.valid_to ?? '');
    if (from === 'bad')
      errors.push({
        line,
        field: 'valid_from',
        code: 'date.invalid',
        message: `"${rec.valid_from}" is not a date (YYYY-MM-DD or ISO 8601)`,
      });
    if (to === 'bad')
      errors.push({ line, field: 'valid_to', code: 'date.invalid', message: `"${rec.valid_to}" is not a date (YYYY-MM-DD or ISO 8601)` });
    if (from instanceof Date && to instanceof Date && from >= to)
      errors.push({ line, field: 'valid_to', code: 'date.order', message: 'valid_to must be after valid_from' });
    if (errors.length === before && c.ok)
      good.push({ line, member: rec.member_id, cidr: c.text, from: from as Date | null, to: to as Date | null });
  }
  if (errors.length) throw new ImportError(file, errors);
  return good;
}

/**
 * `member_id,cidr[,valid_from,valid_to]` (a bare date means 00:00 JST; empty = open). Plans the
 * changes against the registry (prefix-plan.ts), refuses the whole file on any error, else applies
 * them in one transaction with one audit event per change. With dryRun nothing is written.
 */
export async function importPrefixes(
  pool: Pool,
  file: string,
  opts: { actor?: string; dryRun?: boolean } = {},
): Promise<PrefixImportResult> {
  return withTransaction(pool, async (tx) => {
    // one import at a time, so the plan still holds when it is applied
    await lockPrefixImport(tx);
    const members = new Set((await loadMembers(tx)).map((m) => m.id));
    const rows = readPrefixRows(file, members);
    const plan = planPrefixes(await loadPrefixes(tx), rows);
    if (plan.errors.length) throw new ImportError(file, plan.errors);
    const result: PrefixImportResult = {
      added: plan.changes.filter((c) => c.kind === 'add').length,
      closed: plan.changes.filter((c) => c.kind === 'close').length,
      unchanged: plan.unchanged,
      changes: plan.changes,
      lines: plan.changes.map(describeChange),
      dryRun: !!opts.dryRun,
    };
    if (opts.dryRun) return result;
    const actor = opts.actor ?? 'cli';
    // closes first: a move frees the block before its new holder is added
    for (const c of [...plan.changes].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'close' ? -1 : 1))) {
      if (c.kind === 'close') {
        await closePrefix(tx, c.id, c.to);
        await audit(tx, {
          actor,
          action: 'prefix.close',
          object: `prefix:${c.id}`,
          details: { member: c.member, cidr: c.cidr, valid_to: c.to, was: c.oldTo, reason: c.reason, file, line: c.line },
        });
      } else {
        const id = await insertPrefix(tx, { member_id: c.member, cidr: c.cidr, valid_from: c.from, valid_to: c.to });
        await audit(tx, {
          actor,
          action: 'prefix.add',
          object: `prefix:${id}`,
          details: { member: c.member, cidr: c.cidr, valid_from: c.from, valid_to: c.to, file, line: c.line },
        });
      }
    }
    return result;
  });
}
