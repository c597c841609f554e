import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { fileStream, type Queryable } from '@deliveryline/shared';
import { InputError } from './input-error';
import { StoredFileReader, storedFileSize } from '../repositories/stored-file.repository';

/**
 * The stored file → its data bytes, whatever the container. Containers are told by their magic
 * bytes, not the file name (mail gateways rename attachments): gzip `1f 8b`, zip `PK\3\4`
 * (an .xlsx is a zip holding `xl/workbook.xml`), legacy .xls `d0 cf 11 e0` (refused: save as
 * .xlsx or CSV). The decompressed size is bounded by MAX_UPLOAD_BYTES.
 */

export type Input = (
  | { kind: 'text'; container: 'plain' | 'gzip' | 'zip'; inner?: string; bytes: AsyncIterable<Buffer> }
  | { kind: 'xlsx'; container: 'xlsx' | 'zip'; inner?: string; stream: Readable }
) & {
  /**
   * Stops reading and gives back what the reading holds: the stored file comes through a COPY on
   * a connection of its own, which a reader that stops early would otherwise keep checked out.
   * Safe to call at any time, more than once, and after the data was read to its end.
   */
  close(): void;
};

/** What an input holds open: its streams of the stored file, and a zip. */
class Held {
  private readonly streams: Readable[] = [];
  private zip: yauzl.ZipFile | null = null;
  stream(s: Readable): Readable {
    this.streams.push(s);
    return s;
  }
  holdZip(z: yauzl.ZipFile): void {
    this.zip = z;
  }
  close(): void {
    for (const s of this.streams) s.destroy();
    this.zip?.close();
    this.zip = null;
  }
}

export interface InputLimits {
  maxBytes: number;
  /** an .xlsx's parts that exceljs keeps whole in memory, bounded by their decompressed size */
  xlsx?: { maxSharedStringsBytes: number; maxStylesBytes: number };
}

const XLSX_DEFAULTS = { maxSharedStringsBytes: 128 << 20, maxStylesBytes: 16 << 20 };

const GZIP = (b: Buffer) => b[0] === 0x1f && b[1] === 0x8b;
const ZIP = (b: Buffer) => b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
const OLE = (b: Buffer) => b[0] === 0xd0 && b[1] === 0xcf && b[2] === 0x11 && b[3] === 0xe0;

/** Reads the first bytes of a stream and gives back a stream that still starts with them. */
async function peek(src: AsyncIterable<Buffer>, n = 8): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const it = src[Symbol.asyncIterator]();
  const got: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    got.push(r.value);
    len += r.value.length;
  }
  const head = Buffer.concat(got);
  const all = (async function* () {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value as Buffer;
    }
  })();
  return { head, all };
}

export async function* bounded(src: AsyncIterable<Buffer>, maxBytes: number, what: string): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const b of src) {
    total += b.length;
    if (total > maxBytes) {
      throw new InputError(
        'file.too_large',
        `${what} is larger than MAX_UPLOAD_BYTES (${maxBytes} bytes); split the list or raise MAX_UPLOAD_BYTES`,
      );
    }
    yield b;
  }
}

const gunzip = (src: AsyncIterable<Buffer>): AsyncIterable<Buffer> => {
  const z = zlib.createGunzip();
  const out = Readable.from(src)
    .on('error', (e) => z.destroy(e))
    .pipe(z);
  return (async function* () {
    try {
      for await (const b of out) yield b as Buffer;
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError('file.bad_gzip', `the gzip data is damaged or cut short (${(err as Error).message}); send the file again`);
    }
  })();
};

const IGNORED = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)/i;

async function zipEntries(db: Queryable, sha256: Buffer): Promise<{ zip: yauzl.ZipFile; entries: yauzl.Entry[] }> {
  const size = await storedFileSize(db, sha256);
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new StoredFileReader(db, sha256), size, { lazyEntries: true, autoClose: false });
  } catch (err) {
    throw new InputError('file.bad_zip', `the zip file is damaged or cut short (${(err as Error).message}); send the file again`);
  }
  return { zip, entries: await allEntries(zip, 'the zip file') };
}

/** Every entry of a zip opened with lazyEntries, from its central directory. */
async function allEntries(zip: yauzl.ZipFile, what: string): Promise<yauzl.Entry[]> {
  const entries: yauzl.Entry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', (err) => reject(new InputError('file.bad_zip', `${what} is damaged (${err.message}); send the file again`)));
    zip.readEntry();
  });
  return entries;
}

/** An .xlsx inside a zip gets the same bounds on its shared strings and styles as one sent alone. */
async function checkInnerXlsx(file: string, name: string, max: NonNullable<InputLimits['xlsx']>): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  } catch (err) {
    throw new InputError('file.bad_xlsx', `"${name}" in the zip is not a workbook that can be read (${(err as Error).message})`);
  }
  try {
    await checkXlsxParts(zip, await allEntries(zip, `"${name}" in the zip`), max);
  } finally {
    zip.close();
  }
}

type Opened = Input extends infer T ? (T extends unknown ? Omit<T, 'close'> : never) : never;

async function openZip(db: Queryable, sha256: Buffer, limits: InputLimits, held: Held): Promise<Opened> {
  const { zip, entries } = await zipEntries(db, sha256);
  held.holdZip(zip);
  const names = new Set(entries.map((e) => e.fileName));
  if (names.has('[Content_Types].xml') && names.has('xl/workbook.xml')) {
    await checkXlsxParts(zip, entries, limits.xlsx ?? XLSX_DEFAULTS);
    zip.close();
    const file = held.stream(fileStream(db, sha256));
    return { kind: 'xlsx', container: 'xlsx', stream: held.stream(Readable.from(bounded(file, limits.maxBytes, 'the file'))) };
  }
  const data = entries.filter((e) => !e.fileName.endsWith('/') && !IGNORED.test(e.fileName));
  if (data.length !== 1) {
    zip.close();
    throw new InputError(
      data.length ? 'zip.many_files' : 'zip.empty',
      data.length
        ? `the zip holds ${data.length} files (${data
            .slice(0, 5)
            .map((e) => e.fileName)
            .join(', ')}${data.length > 5 ? ', …' : ''}); send one list per zip`
        : 'the zip holds no file; send the list itself',
    );
  }
  const entry = data[0];
  if (entry.isEncrypted()) {
    zip.close();
    throw new InputError(
      'zip.encrypted',
      `"${entry.fileName}" in the zip is password-protected; send it unencrypted over the agreed channel`,
    );
  }
  if (entry.uncompressedSize > limits.maxBytes) {
    zip.close();
    throw new InputError(
      'file.too_large',
      `"${entry.fileName}" is ${entry.uncompressedSize} bytes once unzipped, larger than MAX_UPLOAD_BYTES (${limits.maxBytes} bytes); split the list or raise MAX_UPLOAD_BYTES`,
    );
  }
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (err) {
    zip.close();
    throw new InputError('file.bad_zip', `"${entry.fileName}" in the zip cannot be read (${(err as Error).message})`);
  }
  stream.on('end', () => zip.close());
  const raw = (async function* () {
    try {
      for await (const b of stream) yield b as Buffer;
    } catch (err) {
      throw new InputError('file.bad_zip', `"${entry.fileName}" in the zip is damaged (${(err as Error).message}); send the file again`);
    } finally {
      zip.close();
    }
  })();
  const inner = await peek(bounded(raw, limits.maxBytes, `"${entry.fileName}" once unzipped`), LOCAL_HEADER_PEEK);
  if (ZIP(inner.head)) {
    const first = firstZipName(inner.head);
    if (!looksLikeXlsx(first))
      throw nested('zip.nested', `"${entry.fileName}" in the zip is itself a zip archive${first ? ` (holding "${first}")` : ''}`);
    // the workbook goes to a temporary file: its parts are measured by random access there, and
    // exceljs reads it from there (nothing of it is held in memory); the file goes when read or refused
    const tmp = path.join(os.tmpdir(), `deliveryline-${crypto.randomUUID()}.xlsx`);
    try {
      await pipeline(Readable.from(inner.all), fs.createWriteStream(tmp));
      await checkInnerXlsx(tmp, entry.fileName, limits.xlsx ?? XLSX_DEFAULTS);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    const file = fs.createReadStream(tmp);
    file.on('close', () => fs.rm(tmp, { force: true }, () => undefined));
    return { kind: 'xlsx', container: 'zip', inner: entry.fileName, stream: held.stream(file) };
  }
  if (GZIP(inner.head)) {
    const unzipped = await peek(bounded(gunzip(inner.all), limits.maxBytes, `"${entry.fileName}" once decompressed`));
    if (ZIP(unzipped.head) || GZIP(unzipped.head)) {
      throw nested(
        'zip.nested',
        `"${entry.fileName}" in the zip is a gzip that holds another ${ZIP(unzipped.head) ? 'zip' : 'gzip'} archive`,
      );
    }
    if (OLE(unzipped.head)) throw legacyXls();
    return { kind: 'text', container: 'zip', inner: entry.fileName, bytes: unzipped.all };
  }
  if (OLE(inner.head)) throw legacyXls();
  return { kind: 'text', container: 'zip', inner: entry.fileName, bytes: inner.all };
}

/**
 * A gzip holds the list, or one more gzip of it (as a zip may hold a gzip); an archive below that,
 * or a zip, is refused: reading on would be an archive inside an archive inside an archive.
 */
async function openGzip(all: AsyncIterable<Buffer>, limits: InputLimits): Promise<Opened> {
  let data = await peek(bounded(gunzip(all), limits.maxBytes, 'the file once decompressed'));
  if (GZIP(data.head)) {
    data = await peek(bounded(gunzip(data.all), limits.maxBytes, 'the file once decompressed twice'));
    if (GZIP(data.head) || ZIP(data.head))
      throw nested('gzip.nested', `the gzip holds a gzip that holds another ${ZIP(data.head) ? 'zip' : 'gzip'} archive`);
  }
  if (ZIP(data.head)) throw nested('gzip.nested', 'the gzip holds a zip archive');
  if (OLE(data.head)) throw legacyXls();
  return { kind: 'text', container: 'gzip', bytes: data.all };
}

const nested = (code: 'zip.nested' | 'gzip.nested', what: string) =>
  new InputError(code, `${what}: archives inside archives are not read; send the list itself, or one zip or gzip of it`);

/** Bytes enough for a zip's first local header and its file name. */
const LOCAL_HEADER_PEEK = 30 + 1024;

/** The name of the first file of a zip, from its first local header (null when cut short). */
function firstZipName(head: Buffer): string | null {
  if (head.length < 30) return null;
  const len = head.readUInt16LE(26);
  return head.length >= 30 + len ? head.subarray(30, 30 + len).toString('utf8') : null;
}

/** An .xlsx's first part is one of its package parts (Excel writes `[Content_Types].xml` first). */
const looksLikeXlsx = (name: string | null) => name !== null && /^(\[Content_Types\]\.xml$|_rels\/|docProps\/|xl\/|customXml\/)/.test(name);

/**
 * exceljs keeps an .xlsx's shared strings and styles whole in memory and reads them before any
 * row, so the cell-text bound comes too late for them: a 10 MB workbook whose shared strings
 * unzip to gigabytes exhausted the worker's memory. Their sizes are checked here first, from the
 * central directory, and then by reading them (yauzl checks the bytes against the sizes stated).
 */
async function checkXlsxParts(zip: yauzl.ZipFile, entries: yauzl.Entry[], max: NonNullable<InputLimits['xlsx']>): Promise<void> {
  const parts = [
    {
      re: /^xl\/sharedStrings\.xml$/i,
      max: max.maxSharedStringsBytes,
      code: 'xlsx.shared_strings_too_large',
      setting: 'XLSX_MAX_SHARED_STRINGS_BYTES',
      what: 'shared strings',
    },
    { re: /^xl\/styles\.xml$/i, max: max.maxStylesBytes, code: 'xlsx.styles_too_large', setting: 'XLSX_MAX_STYLES_BYTES', what: 'styles' },
  ];
  for (const part of parts) {
    const found = entries.filter((e) => part.re.test(e.fileName));
    const tooLarge = (size: number | string) =>
      new InputError(
        part.code,
        `the workbook's ${part.what} (${found[0].fileName}) take ${size} bytes once unzipped, more than ${part.setting} (${part.max}); ` +
          'save the sheet as CSV, or split the list',
      );
    let total = 0;
    for (const e of found) total += e.uncompressedSize;
    if (total > part.max) throw tooLarge(total);
    for (const e of found) {
      let n = 0;
      try {
        const s = await zip.openReadStreamPromise(e);
        for await (const b of s) {
          n += (b as Buffer).length;
          if (n > part.max) {
            s.destroy();
            throw tooLarge(`more than ${part.max}`);
          }
        }
      } catch (err) {
        if (err instanceof InputError) throw err;
        throw new InputError(
          'file.bad_xlsx',
          `the workbook's ${e.fileName} cannot be read (${(err as Error).message}); save it again from Excel as .xlsx or CSV`,
        );
      }
    }
  }
}

const legacyXls = () =>
  new InputError('file.xls', 'the file is a legacy Excel workbook (.xls); open it in Excel and save it as .xlsx or CSV');

/**
 * Opens a stored list file for reading its data. The caller closes the input when it is done
 * with it, whatever happened; if opening fails, what it held is closed here.
 */
export async function openInput(db: Queryable, sha256: Buffer, limits: InputLimits): Promise<Input> {
  const held = new Held();
  const close = () => held.close();
  try {
    const file = held.stream(fileStream(db, sha256));
    const { head, all } = await peek(file);
    if (ZIP(head)) {
      // zip reading uses random access: the sequential stream ends here
      file.destroy();
      return { ...(await openZip(db, sha256, limits, held)), close };
    }
    if (OLE(head)) throw legacyXls();
    if (GZIP(head)) return { ...(await openGzip(all, limits)), close };
    return { kind: 'text', container: 'plain', bytes: bounded(all, limits.maxBytes, 'the file'), close };
  } catch (err) {
    close();
    throw err;
  }
}
