import { withTransaction, audit, type Pool, type Queryable } from '@deliveryline/shared';
import type { Scope } from '../auth/caller';
import { MEMBER_VISIBLE, SCOPE_CTE, scopeParams } from './scope';

export interface MemberView {
  id: string;
  name: string;
  contact_emails: string[];
  active: boolean;
  prefixes: { cidr: string; valid_from: string | null; valid_to: string | null }[];
}

export async function scopedMembers(db: Queryable, scope: Scope, memberId?: string): Promise<MemberView[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT m.id, m.name, m.contact_emails, m.active,
        coalesce((SELECT json_agg(json_build_object('cidr', p.cidr::text,
            'valid_from', CASE WHEN p.valid_from = '-infinity' THEN NULL ELSE p.valid_from END,
            'valid_to', CASE WHEN p.valid_to = 'infinity' THEN NULL ELSE p.valid_to END) ORDER BY p.cidr)
          FROM prefixes p WHERE p.member_id = m.id AND p.valid_to > now()), '[]') AS prefixes
       FROM members m CROSS JOIN s WHERE ${MEMBER_VISIBLE} AND ($4::text IS NULL OR m.id = $4) ORDER BY m.id`,
    [...scopeParams(scope), memberId ?? null],
  );
  return r.rows;
}

export type ProposalKind = 'prefix.add' | 'prefix.remove' | 'contacts';
export interface ProposalView {
  id: number;
  member_id: string;
  kind: ProposalKind;
  cidr: string | null;
  contact_emails: string[] | null;
  valid_from: Date;
  note: string | null;
  state: string;
  proposed_by_email: string;
  decided_by_email: string | null;
  decided_at: Date | null;
  created_at: Date;
}

export async function insertProposal(
  db: Queryable,
  p: {
    memberId: string;
    kind: ProposalKind;
    cidr?: string | null;
    contactEmails?: string[] | null;
    validFrom?: string | null;
    note?: string | null;
    userId: number;
  },
): Promise<number> {
  const r = await db.query(
    `INSERT INTO registry_proposals (member_id, kind, cidr, contact_emails, valid_from, note, proposed_by)
     VALUES ($1, $2, $3, $4, coalesce($5::timestamptz, now()), $6, $7) RETURNING id`,
    [p.memberId, p.kind, p.cidr ?? null, p.contactEmails ?? null, p.validFrom ?? null, p.note ?? null, p.userId],
  );
  return r.rows[0].id;
}

export async function scopedProposals(db: Queryable, scope: Scope, f: { state?: string; id?: number } = {}): Promise<ProposalView[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT rp.id, rp.member_id, rp.kind, rp.cidr::text AS cidr, rp.contact_emails, rp.valid_from, rp.note, rp.state,
        pu.email AS proposed_by_email, du.email AS decided_by_email, rp.decided_at, rp.created_at
       FROM registry_proposals rp JOIN members m ON m.id = rp.member_id JOIN users pu ON pu.id = rp.proposed_by
       LEFT JOIN users du ON du.id = rp.decided_by CROSS JOIN s
      WHERE ${MEMBER_VISIBLE} AND ($4::text IS NULL OR rp.state = $4) AND ($5::bigint IS NULL OR rp.id = $5)
      ORDER BY rp.id DESC LIMIT 500`,
    [...scopeParams(scope), f.state ?? null, f.id ?? null],
  );
  return r.rows;
}

export class ProposalConflict extends Error {}

/**
 * Applies or refuses a pending proposal in one transaction with its audit event. An added
 * prefix starts at the proposal's valid_from; a removed one is closed then: history stays.
 */
export async function decideProposal(
  pool: Pool,
  a: { id: number; approve: boolean; userId: number; actor: string; note?: string | null },
): Promise<ProposalView['state']> {
  return withTransaction(pool, async (tx) => {
    const p = (await tx.query(`SELECT *, cidr::text AS cidr FROM registry_proposals WHERE id = $1 FOR UPDATE`, [a.id])).rows[0];
    if (!p) throw new ProposalConflict('proposal.not_found');
    if (p.state !== 'pending') throw new ProposalConflict('proposal.decided');
    if (a.approve) {
      if (p.kind === 'prefix.add') {
        await tx.query(`INSERT INTO prefixes (member_id, cidr, valid_from) VALUES ($1, $2, $3)`, [p.member_id, p.cidr, p.valid_from]);
      } else if (p.kind === 'prefix.remove') {
        const r = await tx.query(
          `UPDATE prefixes SET valid_to = greatest($3::timestamptz, valid_from + interval '1 second')
            WHERE member_id = $1 AND cidr = $2::cidr AND valid_to = 'infinity'`,
          [p.member_id, p.cidr, p.valid_from],
        );
        if (r.rowCount === 0) throw new ProposalConflict('proposal.prefix_not_held');
      } else {
        await tx.query('UPDATE members SET contact_emails = $2, updated_at = now() WHERE id = $1', [p.member_id, p.contact_emails]);
      }
    }
    const state = a.approve ? 'approved' : 'rejected';
    await tx.query(`UPDATE registry_proposals SET state = $2, decided_by = $3, decided_at = now(), decision_note = $4 WHERE id = $1`, [
      a.id,
      state,
      a.userId,
      a.note ?? null,
    ]);
    await audit(tx, {
      actor: a.actor,
      action: `proposal.${state}`,
      object: `proposal:${a.id}`,
      details: {
        member: p.member_id,
        kind: p.kind,
        cidr: p.cidr,
        contactEmails: p.contact_emails,
        validFrom: new Date(p.valid_from).toISOString(),
      },
    });
    return state;
  });
}

export interface MemberRow {
  id: string;
  name: string;
  contact_emails: string[];
  active: boolean;
  prefixes: number;
  webhook_url: string | null;
  has_secret: boolean;
}

/** Members with how many prefixes they hold now (the prefixes themselves are on each member's page). */
export async function scopedMemberRows(
  db: Queryable,
  scope: Scope,
  f: { q?: string; limit: number; offset: number },
): Promise<{ rows: MemberRow[]; total: number }> {
  const where = `${MEMBER_VISIBLE} AND ($4::text IS NULL OR m.id ILIKE '%' || $4 || '%' OR m.name ILIKE '%' || $4 || '%')`;
  const args = [...scopeParams(scope), f.q || null];
  const r = await db.query(
    `${SCOPE_CTE} SELECT m.id, m.name, m.contact_emails, m.active, m.webhook_url, m.webhook_secret IS NOT NULL AS has_secret,
        (SELECT count(*)::int FROM prefixes p WHERE p.member_id = m.id AND p.valid_to > now()) AS prefixes
       FROM members m CROSS JOIN s WHERE ${where} ORDER BY m.id LIMIT $5 OFFSET $6`,
    [...args, f.limit, f.offset],
  );
  const n = await db.query(`${SCOPE_CTE} SELECT count(*)::int AS n FROM members m CROSS JOIN s WHERE ${where}`, args);
  return { rows: r.rows, total: n.rows[0].n };
}

export interface PrefixRow {
  cidr: string;
  valid_from: Date | null;
  valid_to: Date | null;
  current: boolean;
}

/** One member's prefixes, current first then history, a page at a time. */
export async function scopedPrefixes(
  db: Queryable,
  scope: Scope,
  memberId: string,
  f: { history: boolean; q?: string; limit: number; offset: number },
): Promise<{ rows: PrefixRow[]; total: number }> {
  const where = `${MEMBER_VISIBLE} AND p.member_id = $4 AND ($5::boolean OR p.valid_to > now()) AND ($6::text IS NULL OR p.cidr::text LIKE $6 || '%')`;
  const args = [...scopeParams(scope), memberId, f.history, f.q || null];
  const r = await db.query(
    `${SCOPE_CTE} SELECT p.cidr::text AS cidr, CASE WHEN p.valid_from = '-infinity' THEN NULL ELSE p.valid_from END AS valid_from,
        CASE WHEN p.valid_to = 'infinity' THEN NULL ELSE p.valid_to END AS valid_to, p.valid_to > now() AS current
       FROM prefixes p JOIN members m ON m.id = p.member_id CROSS JOIN s WHERE ${where}
      ORDER BY (p.valid_to > now()) DESC, p.cidr, p.valid_from LIMIT $7 OFFSET $8`,
    [...args, f.limit, f.offset],
  );
  const n = await db.query(
    `${SCOPE_CTE} SELECT count(*)::int AS n FROM prefixes p JOIN members m ON m.id = p.member_id CROSS JOIN s WHERE ${where}`,
    args,
  );
  return { rows: r.rows, total: n.rows[0].n };
}

/** The member's webhook (coordinators only: the route says so). */
export async function memberWebhook(
  db: Queryable,
  memberId: string,
): Promise<{ id: string; name: string; webhook_url: string | null; webhook_secret: string | null } | undefined> {
  return (await db.query('SELECT id, name, webhook_url, webhook_secret FROM members WHERE id = $1', [memberId])).rows[0];
}

/** Sets the URL (null turns the webhook off) and, when given, a new secret. */
export async function setMemberWebhook(db: Queryable, memberId: string, w: { url: string | null; secret?: string }): Promise<boolean> {
  const r = await db.query(
    `UPDATE members SET webhook_url = $2, webhook_secret = coalesce($3, webhook_secret), updated_at = now() WHERE id = $1`,
    [memberId, w.url, w.secret ?? null],
  );
  return r.rowCount === 1;
}

/** Members and sources, for pickers (the user form, the batches filter). */
export async function organisations(
  db: Queryable,
): Promise<{ members: { id: string; name: string }[]; sources: { id: string; name: string }[] }> {
  const [m, s] = await Promise.all([
    db.query('SELECT id, name FROM members ORDER BY id'),
    db.query('SELECT id, name FROM sources ORDER BY id'),
  ]);
  return { members: m.rows, sources: s.rows };
}
