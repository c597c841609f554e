import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { storeFile } from '@deliveryline/shared';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { openRecords, type ReadOptions, type SourceRecord } from './records';
import { gzipOf, xlsxOf, zipOf } from '../testing/fixtures';

const CSV = 'ip,observed_at,port\n1.2.3.4,2015-04-20 10:15:30,80\n5.6.7.8,2015-04-20 10:16:00,\n';

/** Files built to cost a reader more than their size: each is refused by a bound with its code, or read as usual. */
describe('openRecords on hostile files', () => {
  let ctx: TestContext;
  let dir: string;
  beforeAll(async () => {
    ctx = await openTestContext();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-hostile-'));
  });
  afterAll(async () => {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  async function read(bytes: Buffer, opt: Partial<ReadOptions> = {}) {
    const file = path.join(dir, `f${n++}`);
    fs.writeFileSync(file, bytes);
    const { sha256 } = await storeFile(ctx.pool, file);
    const src = await openRecords(ctx.pool, sha256, { maxBytes: 1 << 30, ...opt });
    const recs: SourceRecord[] = [];
    try {
      for await (const b of src.batches) recs.push(...b);
    } finally {
      src.close();
    }
    return { header: src.header, format: src.format, recs };
  }

  it('a file with no line break is refused at INGEST_MAX_LINE_BYTES, not searched for ever', async () => {
    // 4 MiB without a newline: the old header search ran over everything read, again at every piece
    await expect(read(Buffer.alloc(4 << 20, 'a'))).rejects.toMatchObject({
      code: 'file.line_too_long',
      message: expect.stringContaining('INGEST_MAX_LINE_BYTES (1048576)'),
    });
    await expect(read(Buffer.alloc(300_000, 'b'), { maxLineBytes: 100_000 })).rejects.toMatchObject({ code: 'file.line_too_long' });
  });

  it('a gzip of zeros is refused by the line bound long before its decompressed size', async () => {
    const zeros = zlib.gzipSync(Buffer.alloc(32 << 20), { level: 1 }); // 32 MiB of NUL in a small file
    expect(zeros.length).toBeLessThan(1 << 20);
    await expect(read(zeros)).rejects.toMatchObject({ code: 'file.line_too_long' });
  });

  it('a long line after the header is refused too, and lines under the bound are read', async () => {
    const long = 'ip,observed_at\n1.2.3.4,2015-04-20 10:00\n' + 'x'.repeat(200_000) + '\n';
    await expect(read(Buffer.from(long), { maxLineBytes: 100_000 })).rejects.toMatchObject({
      code: 'file.line_too_long',
      message: expect.stringContaining('at byte 40'),
    });
    const r = await read(Buffer.from(long), { maxLineBytes: 300_000 });
    expect(r.recs.map((x) => x.line)).toEqual([2, 3]);
  });

  it('blank lines in front of the header are bounded', async () => {
    await expect(read(Buffer.from('\n'.repeat(200_000) + CSV), { maxLineBytes: 100_000 })).rejects.toMatchObject({ code: 'file.empty' });
    const r = await read(Buffer.from('\n \n\r\n' + CSV));
    expect(r.header).toEqual(['ip', 'observed_at', 'port']);
    expect(r.recs.map((x) => x.line)).toEqual([5, 6]);
  });

  it('archives nested deeper than one level are refused as nested, one level still read', async () => {
    let deep: Buffer = Buffer.from(CSV);
    for (let i = 0; i < 40; i++) deep = zipOf([{ name: `level${i}.zip`, data: deep }]);
    await expect(read(deep)).rejects.toMatchObject({ code: 'zip.nested', message: expect.stringContaining('level38.zip') });
    await expect(read(zipOf([{ name: 'l.gz', data: gzipOf(gzipOf(CSV)) }]))).rejects.toMatchObject({ code: 'zip.nested' });
    await expect(read(gzipOf(gzipOf(gzipOf(CSV))))).rejects.toMatchObject({ code: 'gzip.nested' });
    await expect(read(gzipOf(zipOf([{ name: 'l.csv', data: CSV }])))).rejects.toMatchObject({ code: 'gzip.nested' });
    expect((await read(zipOf([{ name: 'l.csv.gz', data: gzipOf(CSV) }]))).recs).toHaveLength(2);
    expect((await read(gzipOf(gzipOf(CSV)))).recs).toHaveLength(2);
    const xlsx = await xlsxOf([
      ['ip', 'observed_at'],
      ['1.2.3.4', '2015-04-20 10:00'],
    ]);
    expect((await read(zipOf([{ name: 'list.xlsx', data: xlsx }]))).recs).toHaveLength(1);
  });

  it('an .xlsx whose shared strings or styles unzip past their bound is refused before exceljs reads them', async () => {
    const rows = [
      ['ip', 'observed_at', 'note'],
      ...Array.from({ length: 2000 }, (_, i) => [`10.0.${i >> 8}.${i & 255}`, '2015-04-20 10:00', `note ${i} `.repeat(5)]),
    ];
    const xlsx = await xlsxOf(rows);
    const limits = { maxSharedStringsBytes: 20_000, maxStylesBytes: 1 << 20 };
    await expect(read(xlsx, { xlsx: limits })).rejects.toMatchObject({
      code: 'xlsx.shared_strings_too_large',
      message: expect.stringContaining('XLSX_MAX_SHARED_STRINGS_BYTES (20000)'),
    });
    await expect(read(xlsx, { xlsx: { maxSharedStringsBytes: 1 << 30, maxStylesBytes: 100 } })).rejects.toMatchObject({
      code: 'xlsx.styles_too_large',
    });
    expect((await read(xlsx, { xlsx: { maxSharedStringsBytes: 1 << 30, maxStylesBytes: 1 << 30 } })).recs).toHaveLength(2000);
    // the same workbook inside a zip gets the same bounds
    const zipped = zipOf([{ name: 'list.xlsx', data: xlsx }]);
    await expect(read(zipped, { xlsx: limits })).rejects.toMatchObject({
      code: 'xlsx.shared_strings_too_large',
      message: expect.stringContaining('XLSX_MAX_SHARED_STRINGS_BYTES (20000)'),
    });
    await expect(read(zipped, { xlsx: { maxSharedStringsBytes: 1 << 30, maxStylesBytes: 100 } })).rejects.toMatchObject({
      code: 'xlsx.styles_too_large',
    });
    expect((await read(zipped, { xlsx: { maxSharedStringsBytes: 1 << 30, maxStylesBytes: 1 << 30 } })).recs).toHaveLength(2000);
  });

  it('a reader past its deadline stops with list.time_limit', async () => {
    await expect(read(Buffer.from(CSV), { deadline: { at: Date.now() - 1, seconds: 7 } })).rejects.toMatchObject({
      code: 'list.time_limit',
      message: expect.stringContaining('INGEST_JOB_MAX_SECONDS (7 s)'),
    });
  });
});
