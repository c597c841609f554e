import type { Queryable } from '@deliveryline/shared';
import { GENERIC, fitsHeader, mapColumns, normaliseHeader, type ColumnMap, type Profile } from './profile';
import { SHADOWSERVER, checkShadowserverReport, looksLikeShadowserver } from './shadowserver';
import { findProfile, sourceProfiles } from '../repositories/profile-store.repository';

/**
 * Which profile reads a list: the one the list names, else its source's default, else chosen
 * from the header — a source's own profile whose `detect` columns are all there, then
 * Shadowserver's layout, then `generic`.
 */
export interface ProfileChoice {
  /** the profiles that may read the file, in preference order (one when it was named) */
  candidates: Profile[];
  named: boolean;
}

export async function profileCandidates(
  db: Queryable,
  dataDir: string,
  sourceId: string,
  requested: string | null,
): Promise<ProfileChoice> {
  if (requested) return { candidates: [await findProfile(db, dataDir, sourceId, requested)], named: true };
  return { candidates: [...(await sourceProfiles(db, sourceId)), SHADOWSERVER, GENERIC], named: false };
}

function detects(p: Profile, header: string[]): boolean {
  if (p === SHADOWSERVER) return looksLikeShadowserver(header);
  if (p === GENERIC) return true;
  if (!p.detect.length) return false;
  const norm = new Set(header.map(normaliseHeader));
  return p.detect.every((c) => norm.has(normaliseHeader(c))) && fitsHeader(header, p);
}

/** Tells the header row from a title line above it. */
export const headerTest = (choice: ProfileChoice) => (fields: string[]) => choice.candidates.some((p) => fitsHeader(fields, p));

export function chooseColumns(choice: ProfileChoice, header: string[], fileName: string): ColumnMap {
  const p = choice.named ? choice.candidates[0] : (choice.candidates.find((c) => detects(c, header)) ?? GENERIC);
  // the report type is judged first: a referer report has no host column, and should say why
  const more = p === SHADOWSERVER ? checkShadowserverReport(header, fileName) : [];
  const cols = mapColumns(header, p);
  if (more.length) {
    const norm = header.map(normaliseHeader);
    for (const m of more) {
      const i = norm.indexOf(m);
      if (i >= 0 && !cols.malware.includes(i)) {
        cols.malware.push(i);
        cols.extra = cols.extra.filter((x) => x !== i);
      }
    }
  }
  return cols;
}
