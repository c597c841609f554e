import type { Queryable } from '../db/pool';

export interface MemberRow {
  id: string;
  name: string;
  contact_emails: string[];
  active: boolean;
  language: 'ja' | 'en' | 'both';
  joined_on: string | null;
  left_on: string | null;
}

export interface PrefixRow {
  id: number;
  member_id: string;
  cidr: string;
  valid_from: Date | null; // null = open (-infinity)
  valid_to: Date | null; // null = open (infinity)
}

export async function registryVersion(db: Queryable): Promise<number> {
  return (await db.query('SELECT version FROM registry_version')).rows[0].version;
}

export async function loadMembers(db: Queryable): Promise<MemberRow[]> {
  const r = await db.query(
    `SELECT id, name, contact_emails, active, language, joined_on::text, left_on::text FROM members ORDER BY id`,
  );
  return r.rows;
}

/** Every prefix with its validity window; infinities come back as null. */
export async function loadPrefixes(db: Queryable): Promise<PrefixRow[]> {
  const r = await db.query(
    `SELECT id, member_id, cidr::text AS cidr,
            CASE WHEN valid_from = '-infinity' THEN NULL ELSE valid_from END AS valid_from,
            CASE WHEN valid_to = 'infinity' THEN NULL ELSE valid_to END AS valid_to
       FROM prefixes ORDER BY id`,
  );
  return r.rows;
}
