import crypto from 'node:crypto';
import type { Queryable } from '@deliveryline/shared';

/**
 * Test and bench factory: a list that routing has finished, written straight to the tables the
 * delivery stage reads (lists, entries, routes), so delivery is tested without ingest.
 */
export interface FixtureMember {
  id: string;
  name?: string;
  emails?: string[];
  language?: 'ja' | 'en' | 'both';
  webhookUrl?: string;
  webhookSecret?: string;
}
export interface FixtureEntry {
  ip: string;
  observedAt: string;
  port?: number | null;
  malware?: string | null;
  memberId?: string | null;
  reason?: 'no_member' | 'member_inactive' | 'non_routable';
}
export interface FixtureList {
  campaignId?: string;
  campaignName?: string;
  sourceId?: string;
  sourceName?: string;
  anonymousSource?: boolean;
  tlp?: string;
  round?: number;
  dueDays?: number;
  state?: 'routed' | 'awaiting_approval';
  uploadedBy?: string;
  members?: FixtureMember[];
  entries?: FixtureEntry[];
  /** extra entries generated in SQL for one member (big batches) */
  generated?: { memberId: string; count: number; malware?: string };
}

export async function upsertMembers(db: Queryable, members: FixtureMember[]): Promise<void> {
  for (const m of members) {
    await db.query(
      `INSERT INTO members (id, name, contact_emails, language, webhook_url, webhook_secret) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET contact_emails = EXCLUDED.contact_emails, language = EXCLUDED.language,
         webhook_url = EXCLUDED.webhook_url, webhook_secret = EXCLUDED.webhook_secret`,
      [
        m.id,
        m.name ?? `ISP ${m.id}`,
        m.emails ?? [`abuse@${m.id}.example`],
        m.language ?? 'both',
        m.webhookUrl ?? null,
        m.webhookSecret ?? null,
      ],
    );
  }
}

export async function makeRoutedList(db: Queryable, f: FixtureList): Promise<number> {
  const campaign = f.campaignId ?? 'goz-2014';
  const source = f.sourceId ?? 'jpcert';
  await db.query(
    `INSERT INTO sources (id, name, anonymous) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET anonymous = EXCLUDED.anonymous, name = EXCLUDED.name`,
    [source, f.sourceName ?? source, f.anonymousSource ?? false],
  );
  await db.query(`INSERT INTO campaigns (id, name, tlp, due_days) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`, [
    campaign,
    f.campaignName ?? campaign,
    f.tlp ?? 'amber',
    f.dueDays ?? null,
  ]);
  await upsertMembers(db, f.members ?? []);
  const sha = crypto.randomBytes(32);
  await db.query(`INSERT INTO files (sha256, size, chunks) VALUES ($1, 0, 0)`, [sha]);
  const entries = f.entries ?? [];
  const generated = f.generated?.count ?? 0;
  const delivered = entries.filter((e) => e.memberId).length + generated;
  const received = entries.length + generated;
  const listId = Number(
    (
      await db.query(
        `INSERT INTO lists (campaign_id, source_id, round, file_sha256, file_name, tlp, state, rows_read, rejected, duplicates, received, delivered, returned, uploaded_by, routed_at)
     VALUES ($1, $2, $3, $4, 'fixture.csv', $5, $6, $7, 0, 0, $7, $8, $9, $10, now()) RETURNING id`,
        [
          campaign,
          source,
          f.round ?? 1,
          sha,
          f.tlp ?? 'amber',
          f.state ?? 'routed',
          received,
          delivered,
          received - delivered,
          f.uploadedBy ?? 'alice',
        ],
      )
    ).rows[0].id,
  );
  if (entries.length) {
    await db.query(
      `INSERT INTO entries (list_id, seq, row_no, ip, observed_at, port, malware)
       SELECT $1, n, n, ip::inet, t, p, m FROM unnest($2::text[], $3::timestamptz[], $4::int[], $5::text[]) WITH ORDINALITY AS u(ip, t, p, m, n)`,
      [
        listId,
        entries.map((e) => e.ip),
        entries.map((e) => e.observedAt),
        entries.map((e) => e.port ?? null),
        entries.map((e) => e.malware ?? null),
      ],
    );
    await db.query(
      `INSERT INTO routes (list_id, seq, member_id, state, reason)
       SELECT $1, n, mem, CASE WHEN mem IS NULL THEN 'returned' ELSE 'delivered' END, CASE WHEN mem IS NULL THEN coalesce(rs, 'no_member') END
         FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u(mem, rs, n)`,
      [listId, entries.map((e) => e.memberId ?? null), entries.map((e) => (e.memberId ? null : (e.reason ?? 'no_member')))],
    );
  }
  if (generated) {
    const off = entries.length;
    await db.query(
      `INSERT INTO entries (list_id, seq, row_no, ip, observed_at, port, malware)
       SELECT $1, $2 + g, $2 + g, ('10.' || (g >> 16) || '.' || ((g >> 8) & 255) || '.' || (g & 255))::inet,
              timestamptz '2014-06-02 00:00:00+00' + g * interval '1 second', 1024 + g % 60000, $4
         FROM generate_series(1, $3::int) g`,
      [listId, off, generated, f.generated!.malware ?? 'gameover'],
    );
    await db.query(
      `INSERT INTO routes (list_id, seq, member_id, state) SELECT $1, $2 + g, $4, 'delivered' FROM generate_series(1, $3::int) g`,
      [listId, off, generated, f.generated!.memberId],
    );
  }
  return listId;
}
