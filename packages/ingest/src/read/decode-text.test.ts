import iconv from 'iconv-lite';
import { decodeText } from './decode-text';

async function decode(bytes: Buffer, given: string | null = null, chunk = 7) {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk));
  const d = await decodeText(
    (async function* () {
      yield* pieces;
    })(),
    given,
  );
  let text = '';
  for await (const s of d.text) text += s;
  return { encoding: d.encoding, text };
}

const JP = 'IPアドレス,観測日時,マルウェア名\r\n220.102.13.163,2015/04/20 10:15:30,ゲームオーバーゼウス\r\n';

describe('decodeText', () => {
  it('reads UTF-8 with a BOM and drops the BOM', async () => {
    const r = await decode(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JP)]));
    expect(r).toEqual({ encoding: 'utf-8-bom', text: JP });
  });

  it('reads UTF-8 without a BOM', async () => {
    expect(await decode(Buffer.from(JP))).toEqual({ encoding: 'utf-8', text: JP });
  });

  it('detects Shift_JIS (CP932) with CRLF and half-width katakana', async () => {
    const text = JP + '1.2.3.4,2015/4/20 10:15,ｹﾞｰﾑｵｰﾊﾞｰ\r\n';
    expect(await decode(iconv.encode(text, 'cp932'))).toEqual({ encoding: 'cp932', text });
  });

  it('reads a UTF-8 line pasted into a Shift_JIS file', async () => {
    const bytes = Buffer.concat([iconv.encode(JP, 'cp932'), Buffer.from('5.6.7.8,2015/04/20 11:00,ボット\r\n', 'utf8')]);
    expect((await decode(bytes)).text).toBe(JP + '5.6.7.8,2015/04/20 11:00,ボット\r\n');
  });

  it('keeps going over bytes valid in no encoding and keeps the row', async () => {
    const bytes = Buffer.concat([
      iconv.encode(JP, 'cp932'),
      Buffer.from('9.9.9.9,2015/04/20 11:00,'),
      Buffer.from([0x85, 0xff, 0xa0, 0x80]),
      Buffer.from('\r\n'),
    ]);
    const { text } = await decode(bytes);
    expect(text.startsWith(JP)).toBe(true);
    expect(text.split('\r\n')[2]).toMatch(/^9\.9\.9\.9,2015\/04\/20 11:00,.+$/);
  });

  it('reads a Shift_JIS file whose first 64 KiB are ASCII', async () => {
    const ascii = 'ip,time,malware\n' + '1.2.3.4,2015/04/20 10:00,x\n'.repeat(3000);
    const bytes = Buffer.concat([Buffer.from(ascii), iconv.encode('5.6.7.8,2015/04/20 10:00,マルウェア\n', 'cp932')]);
    expect((await decode(bytes, null, 4096)).text).toBe(ascii + '5.6.7.8,2015/04/20 10:00,マルウェア\n');
  });

  it('judges the encoding on the first 64 KiB exactly, however the bytes arrive', async () => {
    // ASCII past 64 KiB, then a CP932 line that is also valid UTF-8 (ﾃｿ is C3 BF, UTF-8's ÿ) and
    // one that is not: the verdict decides how the first is read. A head read in one piece was
    // judged up to its own last line break, so one big piece meant CP932 and small ones UTF-8.
    const ascii = '1.2.3.4,2015/04/20 10:00,x\n'.repeat(2600);
    const bytes = Buffer.concat([Buffer.from(ascii), iconv.encode('ﾃｿ\nマルウェア\n', 'cp932')]);
    for (const chunk of [bytes.length, 70_000, 4096, 1000]) {
      const r = await decode(bytes, null, chunk);
      expect([chunk, r.encoding, r.text.length]).toEqual([chunk, 'utf-8', ascii.length + 'ÿ\nマルウェア\n'.length]);
      expect(r.text.slice(ascii.length)).toBe('ÿ\nマルウェア\n');
    }
  });

  it('honours a given encoding (UTF-16LE as Excel\'s "Unicode text")', async () => {
    const text = 'ip\ttime\r\n1.2.3.4\t2015/04/20 10:00\r\n';
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]);
    expect(await decode(bytes)).toEqual({ encoding: 'utf-16le', text });
    expect((await decode(iconv.encode('ip,t\n1,マ\n', 'euc-jp'), 'EUC-JP')).text).toBe('ip,t\n1,マ\n');
    expect((await decode(iconv.encode(JP, 'cp932'), 'Shift_JIS')).text).toBe(JP);
  });

  it('drops a UTF-16 byte order mark once and keeps every other U+FEFF, however the bytes arrive', async () => {
    const bom = Buffer.from([0xff, 0xfe]);
    // a U+FEFF that began a piece after the sniffed head was dropped as if it were a BOM
    const text = 'a'.repeat(40_000) + '\uFEFFb\r\n';
    const bytes = Buffer.concat([bom, iconv.encode(text, 'utf-16le')]);
    for (const chunk of [2 + 80_000, 4096]) expect((await decode(bytes, null, chunk)).text === text).toBe(true);
    // a U+FEFF right after the mark is text too
    expect((await decode(Buffer.concat([bom, iconv.encode('\uFEFFip\n', 'utf-16le')]))).text).toBe('\uFEFFip\n');
  });

  it('names an unknown encoding', async () => {
    await expect(decode(Buffer.from('a'), 'klingon')).rejects.toThrow(/unknown encoding "klingon"/);
  });
});

describe('decodeText, a BOM against --encoding', () => {
  it('trusts the byte order mark over a contradicting encoding', async () => {
    const r = await decode(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JP)]), 'shift_jis');
    expect(r).toEqual({ encoding: 'utf-8-bom', text: JP });
  });
});
