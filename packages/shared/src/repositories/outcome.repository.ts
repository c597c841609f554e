import { z } from 'zod';
import { withTransaction, type Pool, type Queryable } from '../db/pool';
import { OUTCOMES, OUTCOME_FIGURES, type OutcomeFigures, type OutcomeValue } from '../domain/outcomes';

/**
 * The per-outcome sums of a stats summary (`stats_batch_outcomes`, alias `t`), one column per
 * outcome named after it (`notified`, `not_identified`, …), generated from OUTCOMES.
 */
export function outcomeSumColumns(t: string): string {
  return OUTCOMES.map((o) => {
    if (!/^[a-z_]+$/.test(o)) throw new Error(`outcome "${o}" cannot name a column`);
    return `sum(${t}.entries) FILTER (WHERE ${t}.outcome = '${o}') AS ${o}`;
  }).join(',\n                ');
}

/** The columns outcomeSumColumns made, read back as figures (none counted: 0). */
export function outcomeFiguresOf(row: Record<string, unknown>): OutcomeFigures {
  return Object.fromEntries(OUTCOME_FIGURES.map((f) => [f.key, row[f.outcome] == null ? 0 : Number(row[f.outcome])])) as OutcomeFigures;
}

/** An entry as a member names it: the opaque id from its batch export (`e` + 24 hex digits), or the internal number. */
export const EntryIdSchema = z.union([
  z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^e[0-9a-f]{24}$/),
  z.coerce.number().int().positive(),
]);

export const OutcomeRowSchema = z.object({
  entryId: EntryIdSchema,
  outcome: z.enum(OUTCOMES),
  notifiedAt: z.string().datetime({ offset: true }).nullish(),
  channel: z.string().max(100).nullish(),
  note: z.string().max(2000).nullish(),
});
export type OutcomeRow = z.infer<typeof OutcomeRowSchema>;

const OUTCOME_SET: ReadonlySet<string> = new Set(OUTCOMES);
const REF = /^e[0-9a-f]{24}$/;
const ISO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const optText = (v: unknown, max: number) => v == null || (typeof v === 'string' && v.length <= max);

/**
 * The common, well-formed row without zod (a 100,000-row upload spent a second in it): only a
 * row this accepts skips the schema, which still decides, and explains, everything else.
 */
function quickRow(raw: unknown): OutcomeRow | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const id = r.entryId;
  const entryId = typeof id === 'string' && REF.test(id) ? id : typeof id === 'number' && Number.isInteger(id) && id > 0 ? id : undefined;
  if (entryId === undefined || typeof r.outcome !== 'string' || !OUTCOME_SET.has(r.outcome)) return undefined;
  const at = r.notifiedAt;
  if (!(at == null || (typeof at === 'string' && ISO_OFFSET.test(at) && !Number.isNaN(Date.parse(at))))) return undefined;
  if (!optText(r.channel, 100) || !optText(r.note, 2000)) return undefined;
  return {
    entryId,
    outcome: r.outcome as OutcomeValue,
    notifiedAt: (at as string | null | undefined) ?? null,
    channel: (r.channel as string | null) ?? null,
    note: (r.note as string | null) ?? null,
  };
}

export interface OutcomeRejection {
  /** 1-based position of the row in what was reported (CSV: data record number) */
  row: number;
  field: string;
  code: string;
  message: string;
}

export interface OutcomeResult {
  stored: number;
  /** rows with an empty outcome: not reported yet, neither stored nor refused */
  skipped: number;
  /** rows that say exactly what the entry's latest report says (a file sent again in parts): not stored twice */
  unchanged: number;
  rejected: OutcomeRejection[];
  batchClosed: boolean;
}

const isBlank = (v: unknown) => v == null || (typeof v === 'string' && v.trim() === '');
const JST_MS = 9 * 3_600_000;
/** An instant as a person in Japan reads it, with the zone said: 2015-04-20 10:15 JST. */
export const jstText = (d: Date) => new Date(d.getTime() + JST_MS).toISOString().slice(0, 16).replace('T', ' ') + ' JST';

/**
 * Stores a member's outcomes for one batch. Each row is checked on its own: an entry that is not
 * in this batch (another member's, unknown, or misspelt) and a bad value are refused with a
 * reason; the rest is stored. A later report for the same entry is added, never overwritten:
 * the latest is the current outcome, and history stays.
 */
export async function recordOutcomes(
  pool: Pool,
  a: {
    batchId: number;
    memberId: string;
    reportedBy: string;
    rows: unknown[];
    /** added to row numbers (pages of a long file) */ rowOffset?: number;
  },
): Promise<OutcomeResult> {
  const off = a.rowOffset ?? 0;
  const rejected: OutcomeRejection[] = [];
  const valid: { row: number; v: OutcomeRow; at?: string }[] = [];
  let skipped = 0;
  a.rows.forEach((raw, i) => {
    if (raw && typeof raw === 'object' && isBlank((raw as Record<string, unknown>).outcome)) {
      skipped++;
      return;
    }
    // the time as the member wrote it, for messages (a CSV's notified_at is normalised before it comes here)
    const at =
      (raw as { notifiedAtText?: string } | null)?.notifiedAtText ?? (raw as { notifiedAt?: string } | null)?.notifiedAt ?? undefined;
    const fast = quickRow(raw);
    if (fast) {
      valid.push({ row: off + i + 1, v: fast, at });
      return;
    }
    const p = OutcomeRowSchema.safeParse(raw);
    if (p.success) valid.push({ row: off + i + 1, v: p.data, at });
    else {
      const issue = p.error.issues[0];
      const field = String(issue.path[0] ?? 'row');
      const code = field === 'outcome' ? 'outcome.invalid' : field === 'entryId' ? 'entry.invalid' : `${field}.invalid`;
      const value = (raw as Record<string, unknown>)?.[field];
      const message =
        field === 'outcome'
          ? `"${(raw as Record<string, unknown>)?.outcome ?? ''}" is not an outcome; use one of ${OUTCOMES.join(', ')}`
          : field === 'entryId'
            ? `"${value ?? ''}" is not an entry id; copy the entry_id column of the batch as downloaded ("e" and 24 hex digits)`
            : field === 'notifiedAt'
              ? `notified_at "${at ?? ''}" is not a time; write it as 2015/04/20 10:15 (Japan time) or ISO 8601 with an offset (2015-04-20T10:15:00+09:00)`
              : `${field}: ${issue.message}`;
      rejected.push({ row: off + i + 1, field, code, message });
    }
  });
  return withTransaction(pool, async (tx) => {
    const batch = (await tx.query('SELECT id, list_id, member_id, created_at FROM batches WHERE id = $1 FOR UPDATE', [a.batchId])).rows[0];
    if (!batch || batch.member_id !== a.memberId) throw new Error(`batch ${a.batchId} is not a batch of member ${a.memberId}`);
    // Both names of an entry resolve through the batch's own rows, so another member's entry is never found.
    const refs = valid.flatMap((x) => (typeof x.v.entryId === 'string' ? [x.v.entryId] : []));
    const nums = valid.flatMap((x) => (typeof x.v.entryId === 'number' ? [x.v.entryId] : []));
    const found = new Map<string | number, number>();
    // Two lookups rather than one OR, so each uses its own index (ref, entry_id); the list names
    // the one partition of batch_entries to read (0010).
    const lookups = [
      ...(refs.length
        ? [
            tx.query(`SELECT ref, entry_id FROM batch_entries WHERE ref = ANY($2::text[]) AND batch_id = $1 AND list_id = $3`, [
              a.batchId,
              refs,
              batch.list_id,
            ]),
          ]
        : []),
      ...(nums.length
        ? [
            tx.query(`SELECT ref, entry_id FROM batch_entries WHERE entry_id = ANY($2::bigint[]) AND batch_id = $1 AND list_id = $3`, [
              a.batchId,
              nums,
              batch.list_id,
            ]),
          ]
        : []),
    ];
    for (const r of (await Promise.all(lookups)).flatMap((x) => x.rows)) {
      found.set(r.ref, Number(r.entry_id));
      found.set(Number(r.entry_id), Number(r.entry_id));
    }
    const resolved: { row: number; v: OutcomeRow & { entryId: number } }[] = [];
    const released: Date = batch.created_at;
    for (const x of valid) {
      const id = found.get(x.v.entryId);
      if (id === undefined) {
        rejected.push({
          row: x.row,
          field: 'entryId',
          code: 'entry.not_in_batch',
          message: `entry ${x.v.entryId} is not in batch ${a.batchId}; use the entry_id column of this batch's download`,
        });
        continue;
      }
      // a subscriber cannot have been told of an entry before the member had it (a date typed wrong)
      if (x.v.notifiedAt && Date.parse(x.v.notifiedAt) < released.getTime()) {
        rejected.push({
          row: x.row,
          field: 'notifiedAt',
          code: 'notified_at.before_release',
          message: `notified_at "${x.at ?? x.v.notifiedAt}" is before the batch was released (${jstText(released)}); check the date`,
        });
        continue;
      }
      resolved.push({ row: x.row, v: { ...x.v, entryId: id } });
    }
    const latest = await latestOutcomes(
      tx,
      a.batchId,
      resolved.map((x) => x.v.entryId),
    );
    let unchanged = 0;
    const good = resolved.filter((x) => {
      const l = latest.get(x.v.entryId);
      const same =
        l &&
        l.outcome === x.v.outcome &&
        (l.notified_at?.getTime() ?? null) === (x.v.notifiedAt ? Date.parse(x.v.notifiedAt) : null) &&
        (l.channel ?? null) === (x.v.channel ?? null) &&
        (l.note ?? null) === (x.v.note ?? null);
      if (same) unchanged++;
      return !same;
    });
    if (good.length) {
      await tx.query(
        `INSERT INTO outcomes (entry_id, batch_id, member_id, outcome, notified_at, channel, note, reported_by)
         SELECT e, $1, $2, o, n, c, t, $3
           FROM unnest($4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::text[]) AS u(e, o, n, c, t)`,
        [
          a.batchId,
          a.memberId,
          a.reportedBy,
          good.map((x) => x.v.entryId),
          good.map((x) => x.v.outcome),
          good.map((x) => x.v.notifiedAt ?? null),
          good.map((x) => x.v.channel ?? null),
          good.map((x) => x.v.note ?? null),
        ],
      );
    }
    const open = (
      await tx.query(
        `SELECT (SELECT entries FROM batches WHERE id = $1) - count(DISTINCT entry_id)::int AS open FROM outcomes WHERE batch_id = $1`,
        [a.batchId],
      )
    ).rows[0].open;
    let batchClosed = false;
    if (open === 0) {
      const c = await tx.query(`UPDATE batches SET state = 'closed', closed_at = now() WHERE id = $1 AND state <> 'closed'`, [a.batchId]);
      batchClosed = c.rowCount === 1;
    }
    rejected.sort((x, y) => x.row - y.row);
    return { stored: good.length, skipped, unchanged, rejected, batchClosed };
  });
}

/** Each entry's latest report in a batch (what a download is pre-filled with). */
export async function latestOutcomes(db: Queryable, batchId: number, entryIds: number[]) {
  const m = new Map<number, { outcome: string; notified_at: Date | null; channel: string | null; note: string | null }>();
  if (!entryIds.length) return m;
  const r = await db.query(
    `SELECT DISTINCT ON (entry_id) entry_id, outcome, notified_at, channel, note FROM outcomes
      WHERE entry_id = ANY($2::bigint[]) AND batch_id = $1 ORDER BY entry_id, id DESC`,
    [batchId, entryIds],
  );
  for (const x of r.rows) m.set(Number(x.entry_id), x);
  return m;
}
