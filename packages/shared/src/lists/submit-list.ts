import fs from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../context';
import { env as processEnv, type Env } from '../env';
import { enqueue } from '../jobs/queues';
import { storeFile } from '../repositories/file.repository';
import { ensureCampaign, ensureSource, findListByFile, insertList } from '../repositories/list.repository';

export class DuplicateListError extends Error {
  constructor(
    public firstListId: number,
    campaignId: string,
  ) {
    super(`this file was already uploaded to campaign ${campaignId} as list ${firstListId}; nothing was added`);
  }
}

/** A file over MAX_UPLOAD_BYTES, refused before any of it is written to the database. */
export class FileTooLargeError extends Error {
  code = 'file.too_large';
  constructor(
    public size: number,
    public maxBytes: number,
    fileName: string,
  ) {
    super(
      `${fileName} is ${size} bytes, larger than MAX_UPLOAD_BYTES (${maxBytes} bytes); nothing was stored: split the list or raise MAX_UPLOAD_BYTES`,
    );
  }
}

export interface SubmitList {
  path: string;
  fileName?: string;
  sourceId: string;
  campaignId: string;
  round?: number | null;
  profile?: string | null;
  encoding?: string | null;
  timezone?: string | null;
  tlp?: string | null;
  uploadedBy?: string | null;
}

/**
 * Keeps the file verbatim (with its SHA-256), records the list and asks for it to be parsed.
 * Unknown sources and campaigns are created on first use. The same file twice in one campaign
 * is refused with a pointer to the first list, unless that list failed: then this is the retry.
 * A file over MAX_UPLOAD_BYTES is refused first, from its size on disk, with nothing stored.
 */
export async function submitList(
  ctx: Pick<AppContext, 'pool' | 'queues'> & { env?: Pick<Env, 'MAX_UPLOAD_BYTES'> },
  s: SubmitList,
): Promise<number> {
  const { pool } = ctx;
  // the size is known before a byte is stored: a file over the bound never reaches the database
  const maxBytes = (ctx.env ?? processEnv()).MAX_UPLOAD_BYTES;
  const { size } = await fs.promises.stat(s.path);
  if (size > maxBytes) throw new FileTooLargeError(size, maxBytes, s.fileName ?? path.basename(s.path));
  await ensureSource(pool, s.sourceId);
  await ensureCampaign(pool, s.campaignId);
  const { sha256 } = await storeFile(pool, s.path);
  const existing = await findListByFile(pool, s.campaignId, sha256);
  if (existing) throw new DuplicateListError(existing.id, s.campaignId);
  let listId: number;
  try {
    listId = await insertList(pool, {
      campaignId: s.campaignId,
      sourceId: s.sourceId,
      round: s.round,
      sha256,
      fileName: s.fileName ?? path.basename(s.path),
      profile: s.profile,
      encoding: s.encoding,
      timezone: s.timezone,
      tlp: s.tlp,
      uploadedBy: s.uploadedBy,
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      const first = await findListByFile(pool, s.campaignId, sha256);
      if (first) throw new DuplicateListError(first.id, s.campaignId);
    }
    throw err;
  }
  await enqueue(ctx.queues, 'ingest.parse-list', { listId });
  return listId;
}
