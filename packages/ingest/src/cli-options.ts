import fs from 'node:fs';
import path from 'node:path';
import { ensureSource, type Queryable } from '@deliveryline/shared';
import { normaliseEncodingName } from './read/decode-text';
import { parseProfile, saveSourceProfile } from './repositories/profile-store.repository';
import { zoneOffset } from './columns/time';

/**
 * Checks an upload's options before anything is stored, so a typo fails at once with the fix
 * rather than later in the worker. `profile` may be a JSON file: it is saved as the source's
 * own profile (table ingest_profiles) and the list names it.
 */
export async function prepareIngestOptions(
  db: Queryable,
  o: { sourceId: string; profile?: string; encoding?: string; timezone?: string },
): Promise<{ profile?: string; encoding?: string; timezone?: string }> {
  if (o.encoding) normaliseEncodingName(o.encoding);
  if (o.timezone) zoneOffset(o.timezone);
  let profile = o.profile;
  if (profile && /\.json$/i.test(profile)) {
    const file = path.resolve(profile);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${profile}: ${(err as Error).message}`);
    }
    const name = (json as { name?: string }).name ?? path.basename(file, path.extname(file)).toLowerCase();
    const p = parseProfile({ ...(json as object), name }, file);
    await ensureSource(db, o.sourceId);
    await saveSourceProfile(db, o.sourceId, p);
    profile = p.name;
  }
  return { profile, encoding: o.encoding, timezone: o.timezone };
}
