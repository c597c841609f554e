import type { Pool, PoolClient } from '@deliveryline/shared';
import type { Scope } from '../auth/caller';

/**
 * The one place that decides what a caller sees, twice over:
 * 1. every scoped query starts with the SCOPE_CTE (`s`) built from the caller's role and
 *    organisation and joins its visibility predicates below;
 * 2. it runs in a read-only transaction that first enters the same scope in the database
 *    (`app_enter_scope`, migration 0025): as the portal's role, `deliveryline_portal`, the
 *    row-level-security policies then hold even if a query forgot (1), and nothing later in the
 *    transaction can widen the scope (docs/security.md).
 */
export async function withScope<T>(pool: Pool, scope: Scope, fn: (db: PoolClient) => Promise<T>): Promise<T> {
  const s = await openScope(pool, scope);
  try {
    const out = await fn(s.db);
    await s.end(true);
    return out;
  } catch (err) {
    await s.end(false);
    throw err;
  }
}

/** The same, for a response that streams: the caller ends it (commit or roll back) when done. */
export async function openScope(pool: Pool, scope: Scope): Promise<{ db: PoolClient; end(ok: boolean): Promise<void> }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query('SELECT app_enter_scope($1, $2, $3)', [scope.role, scope.memberId ?? null, scope.sourceId ?? null]);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    throw err;
  }
  return {
    db: client,
    async end(ok) {
      try {
        await client.query(ok ? 'COMMIT' : 'ROLLBACK');
      } finally {
        client.release();
      }
    },
  };
}

/** `$1` role, `$2` member, `$3` source: every scoped query's first three parameters. */
export const SCOPE_CTE = `WITH s AS (SELECT $1::text AS role, $2::text AS member_id, $3::text AS source_id)`;
export const scopeParams = (scope: Scope): unknown[] => [scope.role, scope.memberId, scope.sourceId];

/** a list (alias l) is visible to coordinators and viewers, and to the source it came from */
export const LIST_VISIBLE = `(s.role IN ('coordinator', 'viewer') OR (s.role = 'source' AND l.source_id = s.source_id))`;
/** a list's content (rejects, returned entries) is for coordinators and its source only */
export const LIST_CONTENT_VISIBLE = `(s.role = 'coordinator' OR (s.role = 'source' AND l.source_id = s.source_id))`;
/** a batch (alias b) is visible to coordinators and to the member it belongs to */
export const BATCH_VISIBLE = `(s.role = 'coordinator' OR (s.role = 'member' AND b.member_id = s.member_id))`;
/** a member's registry data (alias m) is visible to coordinators and that member */
export const MEMBER_VISIBLE = `(s.role = 'coordinator' OR (s.role = 'member' AND m.id = s.member_id))`;
