import crypto from 'node:crypto';
import type { Queryable } from '../db/pool';

/**
 * A coordinator with a write API token, for tests that run `dline` as a named user
 * (`DLINE_TOKEN: u.token`). Written straight to the tables as the portal keeps them (the token's
 * SHA-256 only); no password, so it cannot sign in to the portal.
 */
export async function testCoordinator(
  db: Queryable,
  email = `coordinator-${crypto.randomBytes(3).toString('hex')}@test.example`,
): Promise<{ id: number; email: string; token: string; actor: string }> {
  const id = Number(
    (await db.query(`INSERT INTO users (email, name, role) VALUES ($1, $1, 'coordinator') RETURNING id`, [email])).rows[0].id,
  );
  const token = `dlt_${crypto.randomBytes(24).toString('base64url')}`;
  const hash = crypto.createHash('sha256').update(token).digest('hex');
  await db.query(`INSERT INTO api_tokens (user_id, name, token_hash, scope) VALUES ($1, 'test', $2, 'write')`, [id, hash]);
  return { id, email, token, actor: `user:${id}` };
}
