import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod/v4';
import { zoneOffset } from '@deliveryline/ingest';
import { audit, submitList, DuplicateListError, FileTooLargeError, type AppContext } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { checkCsrf } from '../web/route-table';
import { HttpError } from '../web/errors';

export interface Upload {
  path: string;
  fileName: string;
  fields: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * Streams a multipart upload to a temporary file (never whole in memory) and collects its
 * fields; a session caller's CSRF token comes as a field or header.
 */
export async function readUpload(req: FastifyRequest, caller: Caller): Promise<Upload> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'dl-upload-'));
  const cleanup = () => fs.promises.rm(dir, { recursive: true, force: true });
  const fields: Record<string, string> = {};
  let file: { path: string; fileName: string } | undefined;
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (file || !part.filename) {
          part.file.resume();
          continue;
        }
        const p = path.join(dir, 'upload');
        await Promise.race([pipeline(part.file, fs.createWriteStream(p)), incomplete(req, part.file)]);
        if (part.file.truncated) throw new HttpError(413, 'upload.too_large', { max: maxUpload(req) });
        file = { path: p, fileName: path.basename(part.filename) };
      } else fields[part.fieldname] = String(part.value ?? '');
    }
    if (caller.via === 'session') checkCsrf(req, caller, fields._csrf ?? (req.headers['x-csrf-token'] as string | undefined));
    if (!file) throw new HttpError(400, 'upload.no_file');
    return { ...file, fields, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

const maxUpload = (req: FastifyRequest) =>
  (req.server as unknown as { dlMaxUpload?: number }).dlMaxUpload ?? req.server.initialConfig.bodyLimit;

/**
 * A multipart body that ends without its closing boundary leaves the file part open for ever
 * (busboy never ends it): once the request itself has ended and the part still has not, the
 * upload is incomplete — answer that instead of holding the request.
 */
function incomplete(req: FastifyRequest, file: NodeJS.ReadableStream): Promise<never> {
  return new Promise((_, reject) => {
    const check = () => {
      const t = setTimeout(() => {
        if (!(file as unknown as { readableEnded?: boolean }).readableEnded) {
          (file as unknown as { destroy?: (e: Error) => void }).destroy?.(new Error('incomplete multipart body'));
          reject(new HttpError(400, 'upload.incomplete'));
        }
      }, 3000);
      t.unref();
    };
    if (req.raw.readableEnded) check();
    else req.raw.once('end', check);
  });
}

const slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, _ . - only')
  .max(100);
export const UploadFieldsSchema = z.object({
  campaign: slug,
  source: slug.optional(),
  round: z.coerce
    .number()
    .int()
    .positive()
    .max(10000)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  profile: z.string().max(100).optional(),
  encoding: z.string().max(40).optional(),
  timezone: z.string().max(60).optional(),
  tlp: z
    .enum(['clear', 'green', 'amber', 'amber+strict', 'red'])
    .optional()
    .or(z.literal('').transform(() => undefined)),
});

/** A coordinator names the source; a source user always uploads as itself. */
export async function submitUpload(ctx: AppContext, caller: Caller, up: Upload): Promise<number> {
  const f = UploadFieldsSchema.safeParse(up.fields);
  if (!f.success) {
    const i = f.error.issues[0];
    throw new HttpError(400, 'request.invalid', { detail: `${i.path.join('.')}: ${i.message}` });
  }
  if (f.data.timezone) {
    try {
      zoneOffset(f.data.timezone);
    } catch (e) {
      throw new HttpError(400, 'upload.bad_timezone', { detail: (e as Error).message });
    }
  }
  const sourceId = caller.role === 'source' ? caller.sourceId! : f.data.source;
  if (!sourceId) throw new HttpError(400, 'request.invalid', { detail: 'source: required' });
  try {
    const listId = await submitList(ctx, {
      path: up.path,
      fileName: up.fileName,
      sourceId,
      campaignId: f.data.campaign,
      round: f.data.round ?? null,
      profile: f.data.profile || null,
      encoding: f.data.encoding || null,
      timezone: f.data.timezone || null,
      tlp: f.data.tlp ?? null,
      uploadedBy: caller.email,
    });
    await audit(ctx.pool, {
      actor: caller.actor,
      action: 'list.upload',
      object: `list:${listId}`,
      details: { file: up.fileName, campaign: f.data.campaign, source: sourceId, round: f.data.round ?? null },
    });
    return listId;
  } catch (e) {
    if (e instanceof DuplicateListError) throw new HttpError(409, 'list.duplicate', { listId: e.firstListId });
    if (e instanceof FileTooLargeError) throw new HttpError(413, 'upload.too_large', { max: e.maxBytes });
    throw e;
  } finally {
    await up.cleanup();
  }
}
