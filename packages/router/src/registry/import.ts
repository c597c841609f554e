import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { withTransaction, type Pool } from '@deliveryline/shared';
import { parseCidr } from './cidr';

export interface RowError {
  line: number;
  field: string;
  message: string;
}

export class ImportError extends Error {
  constructor(public file: string, public errors: RowError[]) {
    super(`${file}: ${errors.length} row(s) refused, nothing imported:\n` +
      errors.slice(0, 50).map((e) => `  line ${e.line}, ${e.field}: ${e.message}`).join('\n') +
      (errors.length > 50 ? `\n  … and ${errors.length - 50} more` : ''));
  }
}

function readCsv(file: string): { header: string[]; rows: { line: number; rec: Record<string, string> }[] } {
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const records: string[][] = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true });
  const header = (records[0] ?? []).map((h) => h.toLowerCase());
  return {
    header,
    rows: records.slice(1).map((r, i) => ({ line: i + 2, rec: Object.fromEntries(header.map((h, k) => [h, r[k] ?? ''])) })),
  };
}

const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

/** `member_id,name,contact_email[,active]`; several addresses separated by `;` or spaces. Upserts. */
export async function importMembers(pool: Pool, file: string): Promise<{ inserted: number; updated: number }> {
  const { header, rows } = readCsv(file);
  for (const need of ['member_id', 'name']) if (!header.includes(need)) throw new ImportError(file, [{ line: 1, field: need, message: `the header has no "${need}" column` }]);
  const errors: RowError[] = [];
  const seen = new Set<string>();
  const good = rows.flatMap(({ line, rec }) => {
    const id = rec.member_id;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) errors.push({ line, field: 'member_id', message: `"${id}" is not a valid id (letters, digits, _ . -)` });
    else if (seen.has(id)) errors.push({ line, field: 'member_id', message: `"${id}" appears twice` });
    seen.add(id);
    if (!rec.name) errors.push({ line, field: 'name', message: 'the name is empty' });
    const emails = (rec.contact_email ?? rec.contact_emails ?? '').split(/[;\s]+/).filter(Boolean);
    for (const e of emails) if (!EMAIL.test(e)) errors.push({ line, field: 'contact_email', message: `"${e}" is not an e-mail address` });
    const activeText = (rec.active ?? '').toLowerCase();
    if (activeText && !['true', 'false', '1', '0', 'yes', 'no'].includes(activeText)) errors.push({ line, field: 'active', message: `"${rec.active}" is not true or false` });
    return [{ id, name: rec.name, emails, active: activeText ? ['true', '1', 'yes'].includes(activeText) : true }];
  });
  if (errors.length) throw new ImportError(file, errors);
  return withTransaction(pool, async (tx) => {
    let inserted = 0, updated = 0;
    for (const m of good) {
      const r = await tx.query(
        `INSERT INTO members (id, name, contact_emails, active) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, contact_emails = EXCLUDED.contact_emails,
           active = EXCLUDED.active, updated_at = now()
         RETURNING (xmax = 0) AS inserted`, [m.id, m.name, m.emails, m.active]);
      if (r.rows[0].inserted) inserted++;
      else updated++;
    }
    return { inserted, updated };
  });
}

function parseDate(v: string): Date | null | 'bad' {
  if (!v) return null;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00+09:00` : v);
  return Number.isNaN(d.getTime()) ? 'bad' : d;
}

/**
 * `member_id,cidr[,valid_from,valid_to]` (dates: ISO 8601; a bare date means 00:00 JST; empty = open).
 * Adds prefixes; an identical row that is already there is left alone. All or nothing.
 */
export async function importPrefixes(pool: Pool, file: string): Promise<{ inserted: number; unchanged: number }> {
  const { header, rows } = readCsv(file);
  for (const need of ['member_id', 'cidr']) if (!header.includes(need)) throw new ImportError(file, [{ line: 1, field: need, message: `the header has no "${need}" column` }]);
  const members = new Set((await pool.query('SELECT id FROM members')).rows.map((r) => r.id as string));
  const errors: RowError[] = [];
  const good: { line: number; member: string; cidr: string; from: Date | null; to: Date | null }[] = [];
  for (const { line, rec } of rows) {
    const before = errors.length;
    if (!members.has(rec.member_id)) errors.push({ line, field: 'member_id', message: `unknown member "${rec.member_id}" (import members first)` });
    const c = parseCidr(rec.cidr);
    if (!c.ok) errors.push({ line, field: 'cidr', message: c.message });
    const from = parseDate(rec.valid_from ?? '');
    const to = parseDate(rec.valid_to ?? '');
    if (from === 'bad') errors.push({ line, field: 'valid_from', message: `"${rec.valid_from}" is not a date` });
    if (to === 'bad') errors.push({ line, field: 'valid_to', message: `"${rec.valid_to}" is not a date` });
    if (from instanceof Date && to instanceof Date && from >= to) errors.push({ line, field: 'valid_to', message: 'valid_to must be after valid_from' });
    if (errors.length === before && c.ok) good.push({ line, member: rec.member_id, cidr: c.text, from: from as Date | null, to: to as Date | null });
  }
  if (errors.length) throw new ImportError(file, errors);
  return withTransaction(pool, async (tx) => {
    let inserted = 0, unchanged = 0;
    for (const p of good) {
      const same = await tx.query(
        `SELECT 1 FROM prefixes WHERE member_id = $1 AND cidr = $2 AND valid_from = COALESCE($3, '-infinity'::timestamptz)
            AND valid_to = COALESCE($4, 'infinity'::timestamptz)`, [p.member, p.cidr, p.from, p.to]);
      if (same.rowCount) {
        unchanged++;
        continue;
      }
      try {
        await tx.query('SAVEPOINT p');
        await tx.query(
          `INSERT INTO prefixes (member_id, cidr, valid_from, valid_to)
           VALUES ($1, $2, COALESCE($3, '-infinity'::timestamptz), COALESCE($4, 'infinity'::timestamptz))`, [p.member, p.cidr, p.from, p.to]);
        await tx.query('RELEASE SAVEPOINT p');
        inserted++;
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT p');
        if ((err as { code?: string }).code === '23P01') {
          const other = await tx.query(
            `SELECT member_id, valid_from, valid_to FROM prefixes WHERE cidr = $1 AND tstzrange(valid_from, valid_to) && tstzrange(COALESCE($2, '-infinity'::timestamptz), COALESCE($3, 'infinity'::timestamptz)) LIMIT 1`,
            [p.cidr, p.from, p.to]);
          const o = other.rows[0];
          errors.push({ line: p.line, field: 'cidr', message: `${p.cidr} is already held by ${o?.member_id ?? 'another member'} over an overlapping time` });
        } else throw err;
      }
    }
    if (errors.length) throw new ImportError(file, errors);
    return { inserted, unchanged };
  });
}
