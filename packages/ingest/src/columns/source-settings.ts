import { z } from 'zod';
import { audit, updateSource, withTransaction, type Pool } from '@deliveryline/shared';
import { findProfile } from '../repositories/profile-store.repository';
import { zoneOffset } from './time';

export class SourceSettingsError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

const blankIsNull = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? null : v);
export const SOURCE_KINDS = ['jpcert', 'police', 'feed', 'other'] as const;

/** What a coordinator may change about a source (portal form, API and `dline sources set`); absent = unchanged, empty = cleared. */
export const SourceSettingsSchema = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  kind: z.enum(SOURCE_KINDS).optional(),
  timezone: z.preprocess(blankIsNull, z.string().trim().max(60).nullable()).optional(),
  profile: z.preprocess(blankIsNull, z.string().trim().max(100).nullable()).optional(),
  anonymous: z.boolean().optional(),
});
export type SourceSettings = z.infer<typeof SourceSettingsSchema>;

export const SOURCE_ID = /^[a-z0-9][a-z0-9_.-]*$/;

/**
 * Sets a source's defaults: the time zone its naive times are read in, the profile its files
 * are read with, whether members may learn its name. The zone and profile are checked here, so
 * a typo is refused now rather than failing the source's next list. Audited (`source.settings`).
 */
export async function setSourceSettings(
  deps: { pool: Pool; env: { dataDir: string } },
  id: string,
  input: unknown,
  actor: string,
): Promise<SourceSettings> {
  if (!SOURCE_ID.test(id))
    throw new SourceSettingsError('source.bad_id', `"${id}" is not a source id: lower-case letters, digits, _ . - only`);
  const p = SourceSettingsSchema.safeParse(input);
  if (!p.success) {
    const i = p.error.issues[0];
    throw new SourceSettingsError('request.invalid', `${i.path.join('.')}: ${i.message}`);
  }
  const s = p.data;
  if (s.timezone) {
    try {
      zoneOffset(s.timezone);
    } catch (e) {
      throw new SourceSettingsError('source.bad_timezone', (e as Error).message);
    }
  }
  if (s.profile) {
    try {
      await findProfile(deps.pool, deps.env.dataDir, id, s.profile);
    } catch (e) {
      throw new SourceSettingsError('source.unknown_profile', (e as Error).message);
    }
  }
  await withTransaction(deps.pool, async (tx) => {
    await updateSource(tx, id, s);
    await audit(tx, { actor, action: 'source.settings', object: `source:${id}`, details: s });
  });
  return s;
}
