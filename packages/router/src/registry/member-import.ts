import { audit, upsertMember, withTransaction, type MemberInput, type Pool } from '@deliveryline/shared';
import { ImportError, readCsv, requireColumns, type RowError } from './import';

const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;
const BOOL: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

/**
 * `member_id,name,contact_email[,active,joined_on,left_on,language]`; several addresses separated
 * by `;` or spaces; dates `YYYY-MM-DD`. A member with a `left_on` is inactive from that day.
 * Upserts, all or nothing; every added or changed member is an audit event with the fields before
 * and after, so the registry's history is in the audit log.
 */
export async function importMembers(
  pool: Pool,
  file: string,
  opts: { actor?: string; dryRun?: boolean } = {},
): Promise<{ inserted: number; updated: number; unchanged: number; changes: string[] }> {
  const { header, rows } = readCsv(file);
  requireColumns(file, header, ['member_id', 'name']);
  const errors: RowError[] = [];
  const seen = new Set<string>();
  const good: MemberInput[] = [];
  for (const { line, rec } of rows) {
    const id = rec.member_id;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id))
      errors.push({ line, field: 'member_id', code: 'member.bad_id', message: `"${id}" is not a valid id (letters, digits, _ . -)` });
    else if (seen.has(id)) errors.push({ line, field: 'member_id', code: 'member.duplicate', message: `"${id}" appears twice` });
    seen.add(id);
    if (!rec.name) errors.push({ line, field: 'name', code: 'member.no_name', message: 'the name is empty' });
    const emails = (rec.contact_email ?? rec.contact_emails ?? '').split(/[;\s]+/).filter(Boolean);
    for (const e of emails)
      if (!EMAIL.test(e))
        errors.push({ line, field: 'contact_email', code: 'member.bad_email', message: `"${e}" is not an e-mail address` });
    const activeText = (rec.active ?? '').toLowerCase();
    if (activeText && !(activeText in BOOL))
      errors.push({ line, field: 'active', code: 'member.bad_active', message: `"${rec.active}" is not true or false` });
    const dates: Record<string, string | null> = {};
    for (const f of ['joined_on', 'left_on']) {
      const v = rec[f] ?? '';
      if (v && !/^\d{4}-\d{2}-\d{2}$/.test(v))
        errors.push({ line, field: f, code: 'member.bad_date', message: `"${v}" is not a date; write YYYY-MM-DD` });
      dates[f] = v || null;
    }
    const language = (rec.language ?? '').toLowerCase();
    if (language && !['ja', 'en', 'both'].includes(language))
      errors.push({ line, field: 'language', code: 'member.bad_language', message: `"${rec.language}" must be ja, en or both` });
    const today = new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 10); // JST
    const left = dates.left_on !== null && dates.left_on <= today;
    good.push({
      id,
      name: rec.name,
      contact_emails: emails,
      active: activeText ? BOOL[activeText] && !left : !left,
      joined_on: dates.joined_on,
      left_on: dates.left_on,
      language: (language || undefined) as MemberInput['language'],
    });
  }
  if (errors.length) throw new ImportError(file, errors);
  const actor = opts.actor ?? 'cli';
  const result = { inserted: 0, updated: 0, unchanged: 0, changes: [] as string[] };
  const apply = async (tx: import('pg').PoolClient) => {
    for (const m of good) {
      const before = await upsertMember(tx, m);
      const after = {
        name: m.name,
        contact_emails: m.contact_emails,
        active: m.active,
        joined_on: m.joined_on,
        left_on: m.left_on,
        ...(m.language ? { language: m.language } : {}),
      };
      const diff = before
        ? Object.fromEntries(
            Object.entries(after).filter(
              ([k, v]) => JSON.stringify((before as unknown as Record<string, unknown>)[k] ?? null) !== JSON.stringify(v ?? null),
            ),
          )
        : after;
      if (before && Object.keys(diff).length === 0) {
        result.unchanged++;
        continue;
      }
      if (before) result.updated++;
      else result.inserted++;
      result.changes.push(`${before ? 'update' : 'add'} member ${m.id}: ${Object.keys(diff).join(', ')}`);
      const was = before
        ? Object.fromEntries(Object.keys(diff).map((k) => [k, (before as unknown as Record<string, unknown>)[k] ?? null]))
        : null;
      await audit(tx, {
        actor,
        action: before ? 'member.update' : 'member.add',
        object: `member:${m.id}`,
        details: { before: was, after: diff, file },
      });
    }
  };
  await withTransaction(pool, async (tx) => {
    await apply(tx);
    if (opts.dryRun) throw new DryRun();
  }).catch((err) => {
    if (!(err instanceof DryRun)) throw err;
  });
  return result;
}

/** Rolls back a dry run's transaction: it saw exactly what the import would do, and kept none of it. */
export class DryRun extends Error {}
