import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { fileStream, type Queryable } from '@deliveryline/shared';
import { InputError } from './input-error';
import { StoredFileReader, storedFileSize } from './stored-file.repository';

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
}

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
      throw new InputError('file.too_large',
        `${what} is larger than MAX_UPLOAD_BYTES (${maxBytes} bytes); split the list or raise MAX_UPLOAD_BYTES`);
    }
    yield b;
  }
}

const gunzip = (src: AsyncIterable<Buffer>): AsyncIterable<Buffer> => {
  const z = zlib.createGunzip();
  const out = Readable.from(src).on('error', (e) => z.destroy(e)).pipe(z);
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
  const entries: yauzl.Entry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', (err) => reject(new InputError('file.bad_zip', `the zip file is damaged (${err.message}); send the file again`)));
    zip.readEntry();
  });
  return { zip, entries };
}

type Opened = Input extends infer T ? (T extends unknown ? Omit<T, 'close'> : never) : never;

async function openZip(db: Queryable, sha256: Buffer, limits: InputLimits, held: Held): Promise<Opened> {
  const { zip, entries } = await zipEntries(db, sha256);
  held.holdZip(zip);
  const names = new Set(entries.map((e) => e.fileName));
  if (names.has('[Content_Types].xml') && names.has('xl/workbook.xml')) {
    zip.close();
    const file = held.stream(fileStream(db, sha256));
    return { kind: 'xlsx', container: 'xlsx', stream: held.stream(Readable.from(bounded(file, limits.maxBytes, 'the file'))) };
  }
  const data = entries.filter((e) => !e.fileName.endsWith('/') && !IGNORED.test(e.fileName));
  if (data.length !== 1) {
    zip.close();
    throw new InputError(data.length ? 'zip.many_files' : 'zip.empty',
      data.length ? `the zip holds ${data.length} files (${data.slice(0, 5).map((e) => e.fileName).join(', ')}${data.length > 5 ? ', …' : ''}); send one list per zip`
        : 'the zip holds no file; send the list itself');
  }
  const entry = data[0];
  if (entry.isEncrypted()) {
    zip.close();
    throw new InputError('zip.encrypted', `"${entry.fileName}" in the zip is password-protected; send it unencrypted over the agreed channel`);
  }
  if (entry.uncompressedSize > limits.maxBytes) {
    zip.close();
    throw new InputError('file.too_large',
      `"${entry.fileName}" is ${entry.uncompressedSize} bytes once unzipped, larger than MAX_UPLOAD_BYTES (${limits.maxBytes} bytes); split the list or raise MAX_UPLOAD_BYTES`);
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
  const inner = await peek(bounded(raw, limits.maxBytes, `"${entry.fileName}" once unzipped`));
  if (ZIP(inner.head)) return { kind: 'xlsx', container: 'zip', inner: entry.fileName, stream: held.stream(Readable.from(inner.all)) };
  if (GZIP(inner.head)) {
    return { kind: 'text', container: 'zip', inner: entry.fileName, bytes: bounded(gunzip(inner.all), limits.maxBytes, `"${entry.fileName}" once decompressed`) };
  }
  if (OLE(inner.head)) throw legacyXls();
  return { kind: 'text', container: 'zip', inner: entry.fileName, bytes: inner.all };
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
    if (GZIP(head)) return { kind: 'text', container: 'gzip', bytes: bounded(gunzip(all), limits.maxBytes, 'the file once decompressed'), close };
    return { kind: 'text', container: 'plain', bytes: bounded(all, limits.maxBytes, 'the file'), close };
  } catch (err) {
    close();
    throw err;
  }
}
