import type { Queryable } from '@deliveryline/shared';

export interface AuditFilter {
  actor?: string;
  action?: string;
  object?: string;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}
export interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  object: string | null;
  details: Record<string, unknown>;
  who: string | null;
}

/** Coordinators only (the route says so); `who` resolves user:N and token:N to an address. */
const AUDIT_FROM = `audit_events a
       LEFT JOIN users u ON a.actor = 'user:' || u.id
       LEFT JOIN api_tokens t ON a.actor = 'token:' || t.id LEFT JOIN users tu ON tu.id = t.user_id
      WHERE ($1::text IS NULL OR a.actor = $1 OR u.email = lower($1) OR tu.email = lower($1))
        AND ($2::text IS NULL OR a.action LIKE $2 || '%') AND ($3::text IS NULL OR a.object = $3)
        AND ($4::timestamptz IS NULL OR a.at >= $4) AND ($5::timestamptz IS NULL OR a.at < $5)`;
const auditArgs = (f: AuditFilter) => [f.actor || null, f.action || null, f.object || null, f.from || null, f.to || null];

/** Coordinators only (the route says so); `who` resolves user:N and token:N to an address. Newest first, paged. */
export async function findAudit(db: Queryable, f: AuditFilter): Promise<AuditRow[]> {
  const r = await db.query(
    `SELECT a.id, a.at, a.actor, a.action, a.object, a.details, coalesce(u.email, tu.email) AS who
       FROM ${AUDIT_FROM} ORDER BY a.id DESC LIMIT $6 OFFSET $7`,
    [...auditArgs(f), f.limit ?? 500, f.offset ?? 0],
  );
  return r.rows;
}

export async function countAudit(db: Queryable, f: AuditFilter): Promise<number> {
  return (await db.query(`SELECT count(*)::int AS n FROM ${AUDIT_FROM}`, auditArgs(f))).rows[0].n;
}
