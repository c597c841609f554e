import type { Queryable } from '../db/pool';

/** A source's settings as the coordinator sets them (design.md "Data model": sources). */
export interface SourceRow {
  id: string;
  name: string;
  kind: string;
  default_timezone: string | null;
  default_profile: string | null;
  anonymous: boolean;
  lists: number;
  /** the encoding its latest parsed list was read in (cp932 for Shift_JIS), if any */
  last_encoding: string | null;
}

const SELECT = `SELECT s.id, s.name, s.kind, s.default_timezone, s.default_profile, s.anonymous,
         (SELECT count(*)::int FROM lists l WHERE l.source_id = s.id) AS lists,
         (SELECT split_part(l.read_as, '/', 1) FROM lists l WHERE l.source_id = s.id AND l.read_as IS NOT NULL ORDER BY l.id DESC LIMIT 1) AS last_encoding
    FROM sources s`;

export async function listSources(db: Queryable): Promise<SourceRow[]> {
  return (await db.query(`${SELECT} ORDER BY s.id`)).rows;
}

export async function sourceById(db: Queryable, id: string): Promise<SourceRow | null> {
  return (await db.query(`${SELECT} WHERE s.id = $1`, [id])).rows[0] ?? null;
}

export interface SourcePatch {
  name?: string;
  kind?: string;
  /** null clears it */
  timezone?: string | null;
  profile?: string | null;
  anonymous?: boolean;
}

/** Creates the source when it is new (as uploads do) and changes only the fields given. */
export async function updateSource(db: Queryable, id: string, p: SourcePatch): Promise<void> {
  await db.query(`INSERT INTO sources (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING`, [id]);
  await db.query(
    `UPDATE sources SET name = COALESCE($2, name), kind = COALESCE($3, kind),
            default_timezone = CASE WHEN $4 THEN $5 ELSE default_timezone END,
            default_profile = CASE WHEN $6 THEN $7 ELSE default_profile END,
            anonymous = COALESCE($8, anonymous)
      WHERE id = $1`,
    [
      id,
      p.name ?? null,
      p.kind ?? null,
      p.timezone !== undefined,
      p.timezone ?? null,
      p.profile !== undefined,
      p.profile ?? null,
      p.anonymous ?? null,
    ],
  );
}

/** The encoding a list was read in (`cp932` for Shift_JIS), from what the parser recorded. */
export async function listReadEncoding(db: Queryable, listId: number): Promise<string | null> {
  const r = await db.query(`SELECT split_part(read_as, '/', 1) AS e, encoding FROM lists WHERE id = $1`, [listId]);
  return r.rows[0]?.e || r.rows[0]?.encoding || null;
}
