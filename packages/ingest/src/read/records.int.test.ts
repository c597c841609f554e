import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { storeFile } from '@deliveryline/shared';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { openRecords, type SourceRecord } from './records';
import { gzipOf, xlsxOf, zipOf } from '../testing/fixtures';

const CSV = 'ip,observed_at,port\r\n1.2.3.4,2015/04/20 10:15:30,80\r\n"5.6.7.8","2015/04/20 10:16:00",\r\n';

describe('openRecords reads every container and encoding from the stored file', () => {
  let ctx: TestContext;
  let dir: string;
  beforeAll(async () => {
    ctx = await openTestContext();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-records-'));
  });
  afterAll(async () => {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  async function read(bytes: Buffer, opt: { encoding?: string; maxBytes?: number; isHeader?: (f: string[]) => boolean } = {}) {
    const file = path.join(dir, `f${n++}`);
    fs.writeFileSync(file, bytes);
    const { sha256 } = await storeFile(ctx.pool, file);
    const src = await openRecords(ctx.pool, sha256, { maxBytes: 1 << 30, ...opt });
    const recs: SourceRecord[] = [];
    for await (const b of src.batches) recs.push(...b);
    return { header: src.header, format: src.format, recs };
  }
  const simple = (recs: SourceRecord[]) => recs.map((r) => [r.row, r.line, r.fields.join('|')]);

  it('plain UTF-8 CSV with CRLF', async () => {
    const r = await read(Buffer.from(CSV));
    expect(r.header).toEqual(['ip', 'observed_at', 'port']);
    expect(r.format).toBe('utf-8/csv(,)');
    expect(simple(r.recs)).toEqual([
      [1, 2, '1.2.3.4|2015/04/20 10:15:30|80'],
      [2, 3, '5.6.7.8|2015/04/20 10:16:00|'],
    ]);
  });

  it('Shift_JIS with Japanese headers, and TSV', async () => {
    const r = await read(iconv.encode('IPアドレス\t観測日時\r\n１．２．３．４\t2015/4/20 10:15\r\n', 'cp932'));
    expect(r.header).toEqual(['IPアドレス', '観測日時']);
    expect(r.format).toBe('cp932/tsv');
    expect(r.recs[0].fields).toEqual(['１．２．３．４', '2015/4/20 10:15']);
  });

  it('gzip, judged by its magic bytes whatever the name', async () => {
    const r = await read(gzipOf(CSV));
    expect(r.format).toBe('gzip/utf-8/csv(,)');
    expect(r.recs).toHaveLength(2);
  });

  it('zip with one data file (ignoring macOS metadata), and a gzip inside a zip', async () => {
    const r = await read(
      zipOf([
        { name: '__MACOSX/._list.csv', data: 'junk' },
        { name: 'list.csv', data: iconv.encode(CSV, 'cp932') },
      ]),
    );
    expect(r.format).toBe('zip(list.csv)/utf-8/csv(,)');
    expect(simple(r.recs)).toHaveLength(2);
    const g = await read(zipOf([{ name: 'list.csv.gz', data: gzipOf(CSV) }]));
    expect(g.recs).toHaveLength(2);
  });

  it('refuses a zip holding several lists, naming them', async () => {
    await expect(
      read(
        zipOf([
          { name: 'a.csv', data: CSV },
          { name: 'b.csv', data: CSV },
        ]),
      ),
    ).rejects.toMatchObject({
      code: 'zip.many_files',
      message: expect.stringContaining('a.csv, b.csv'),
    });
  });

  it('xlsx: the first sheet, dates as wall-clock text, sheet rows as lines', async () => {
    const xlsx = await xlsxOf(
      [
        ['感染端末一覧'],
        ['IPアドレス', '観測日時', 'ポート'],
        ['1.2.3.4', new Date(Date.UTC(2015, 3, 20, 10, 15, 30)), 80],
        [],
        ['5.6.7.8', '2015/04/20 10:16', null],
      ],
      [
        ['ip', 'observed_at'],
        ['9.9.9.9', 'x'],
      ],
    );
    const r = await read(xlsx, { isHeader: (f) => f.includes('IPアドレス') });
    expect(r.format).toBe('xlsx');
    expect(r.header).toEqual(['IPアドレス', '観測日時', 'ポート']);
    expect(simple(r.recs)).toEqual([
      [1, 3, '1.2.3.4|2015-04-20 10:15:30|80'],
      [2, 5, '5.6.7.8|2015/04/20 10:16'],
    ]);
  });

  it('bounds the decompressed size, naming MAX_UPLOAD_BYTES', async () => {
    const bomb = gzipOf(Buffer.alloc(5_000_000, 0x41));
    await expect(read(bomb, { maxBytes: 1_000_000 })).rejects.toMatchObject({
      code: 'file.too_large',
      message: expect.stringContaining('MAX_UPLOAD_BYTES (1000000 bytes)'),
    });
    await expect(read(zipOf([{ name: 'big.csv', data: Buffer.alloc(3_000_000, 0x41) }]), { maxBytes: 1_000_000 })).rejects.toMatchObject({
      code: 'file.too_large',
    });
  });

  it('bounds the text of an xlsx sheet too', async () => {
    const xlsx = await xlsxOf([['ip', 'observed_at'], ...Array.from({ length: 200 }, (_, i) => [`203.0.113.${i % 250}`, 'x'.repeat(500)])]);
    await expect(read(xlsx, { maxBytes: 50_000 })).rejects.toMatchObject({
      code: 'file.too_large',
      message: expect.stringContaining('MAX_UPLOAD_BYTES (50000 bytes)'),
    });
  });

  it('names a damaged gzip and a legacy .xls', async () => {
    const cut = gzipOf(CSV.repeat(200));
    await expect(read(cut.subarray(0, cut.length - 20))).rejects.toMatchObject({ code: 'file.bad_gzip' });
    await expect(read(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]))).rejects.toMatchObject({ code: 'file.xls' });
  });

  it('skips a title line above the header', async () => {
    const r = await read(Buffer.from('感染端末リスト 2015年4月\nip,time\n1.2.3.4,2015-04-20 10:00\n'), {
      isHeader: (f) => f.includes('ip'),
    });
    expect(r.header).toEqual(['ip', 'time']);
    expect(simple(r.recs)).toEqual([[1, 3, '1.2.3.4|2015-04-20 10:00']]);
  });
});
