import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from '@deliveryline/shared';
import { GENERIC, ProfileSchema, type Profile } from '../columns/profile';
import { SHADOWSERVER } from '../columns/shadowserver';
import { InputError } from '../read/input-error';

/**
 * Where profiles come from: the source's own (table ingest_profiles), a JSON file
 * `<DATA_DIR>/profiles/<name>.json`, or the built-in `generic` and `shadowserver`.
 */
export const BUILT_IN: Profile[] = [GENERIC, SHADOWSERVER];

export function parseProfile(json: unknown, where: string): Profile {
  const r = ProfileSchema.safeParse(json);
  if (!r.success) {
    const why = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InputError('profile.invalid', `profile ${where} is not valid: ${why}`);
  }
  return r.data;
}

export async function sourceProfiles(db: Queryable, sourceId: string): Promise<Profile[]> {
  const r = await db.query('SELECT name, definition FROM ingest_profiles WHERE source_id = $1 ORDER BY name', [sourceId]);
  return r.rows.map((x) => parseProfile({ ...x.definition, name: x.name }, `"${x.name}" of source ${sourceId}`));
}

export async function saveSourceProfile(db: Queryable, sourceId: string, profile: Profile): Promise<void> {
  const { name, ...definition } = ProfileSchema.parse(profile);
  await db.query(
    `INSERT INTO ingest_profiles (source_id, name, definition) VALUES ($1, $2, $3)
     ON CONFLICT (source_id, name) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()`,
    [sourceId, name, definition],
  );
}

export function fileProfile(dataDir: string, name: string): Profile | null {
  if (!/^[a-z0-9][a-z0-9_.-]*$/.test(name)) return null;
  const file = path.join(dataDir, 'profiles', `${name}.json`);
  if (!fs.existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError('profile.invalid', `profile file ${file} is not JSON: ${(err as Error).message}`);
  }
  return parseProfile({ name, ...(json as object) }, file);
}

/** The profile a list names (or its source's default), looked up source → file → built-in. */
export async function findProfile(db: Queryable, dataDir: string, sourceId: string, name: string): Promise<Profile> {
  const own = (await sourceProfiles(db, sourceId)).find((p) => p.name === name);
  if (own) return own;
  const file = fileProfile(dataDir, name);
  if (file) return file;
  const builtIn = BUILT_IN.find((p) => p.name === name);
  if (builtIn) return builtIn;
  const known = [...(await sourceProfiles(db, sourceId)).map((p) => p.name), ...BUILT_IN.map((p) => p.name)];
  throw new InputError(
    'list.unknown_profile',
    `no profile "${name}" for source ${sourceId}; known: ${known.join(', ')} (or put ${name}.json in ${path.join(dataDir, 'profiles')})`,
  );
}
