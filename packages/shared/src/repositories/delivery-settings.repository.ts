import type { Pool } from '../db/pool';
import { withTransaction } from '../db/pool';
import { audit } from '../audit/audit-log';

/** The delivery settings a coordinator keeps per campaign and per source; each change is an audit event. */
export interface CampaignSettings {
  id: string;
  name: string;
  tlp: string;
  dueDays: number | null;
  approvalRequired: boolean | null;
}

export const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;

export async function listCampaignSettings(db: Pool): Promise<CampaignSettings[]> {
  const r = await db.query('SELECT id, name, tlp, due_days, approval_required FROM campaigns ORDER BY id');
  return r.rows.map((c) => ({ id: c.id, name: c.name, tlp: c.tlp, dueDays: c.due_days, approvalRequired: c.approval_required }));
}

/**
 * Changes what is given; `undefined` leaves a setting alone, `null` returns it to the global
 * default (DEFAULT_DUE_DAYS, APPROVAL_REQUIRED). A campaign that does not exist yet is created.
 */
export async function setCampaignSettings(
  pool: Pool,
  id: string,
  s: { name?: string; tlp?: string; dueDays?: number | null; approvalRequired?: boolean | null },
  actor: string,
): Promise<CampaignSettings> {
  return withTransaction(pool, async (tx) => {
    await tx.query('INSERT INTO campaigns (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING', [id]);
    const sets: string[] = [];
    const vals: unknown[] = [id];
    const put = (col: string, v: unknown) => {
      vals.push(v);
      sets.push(`${col} = $${vals.length}`);
    };
    if (s.name !== undefined) put('name', s.name);
    if (s.tlp !== undefined) put('tlp', s.tlp);
    if (s.dueDays !== undefined) put('due_days', s.dueDays);
    if (s.approvalRequired !== undefined) put('approval_required', s.approvalRequired);
    if (sets.length) await tx.query(`UPDATE campaigns SET ${sets.join(', ')} WHERE id = $1`, vals);
    const c = (await tx.query('SELECT id, name, tlp, due_days, approval_required FROM campaigns WHERE id = $1', [id])).rows[0];
    await audit(tx, { actor, action: 'campaign.settings', object: `campaign:${id}`, details: { ...s } });
    return { id: c.id, name: c.name, tlp: c.tlp, dueDays: c.due_days, approvalRequired: c.approval_required };
  });
}

/** An anonymous source's name never reaches a member (e-mails, exports, webhooks name the campaign only). */
export async function setSourceAnonymous(pool: Pool, id: string, anonymous: boolean, actor: string): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await tx.query('INSERT INTO sources (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING', [id]);
    await tx.query('UPDATE sources SET anonymous = $2 WHERE id = $1', [id, anonymous]);
    await audit(tx, { actor, action: 'source.anonymous', object: `source:${id}`, details: { anonymous } });
  });
}
