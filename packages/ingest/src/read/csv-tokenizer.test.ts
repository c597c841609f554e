import fc from 'fast-check';
import { CsvTokenizer, detectDelimiter, type TokenizedRecord } from './csv-tokenizer';

function readAll(text: string, delimiter = ',', pieces = 1, max?: number): TokenizedRecord[] {
  const t = new CsvTokenizer(delimiter, max);
  const out: TokenizedRecord[] = [];
  const step = Math.max(1, Math.ceil(text.length / pieces));
  for (let i = 0; i < text.length; i += step) out.push(...t.push(text.slice(i, i + step)));
  out.push(...t.end());
  return out;
}

describe('CsvTokenizer', () => {
  it('gives each record the line it starts on, across CRLF, blank lines and quoted line breaks', () => {
    const recs = readAll('ip,note\r\n1.1.1.1,"two\r\nlines"\r\n\r\n2.2.2.2,plain\r\n3.3.3.3,"a,""b"""\r\n');
    expect(recs.map((r) => [r.line, r.fields])).toEqual([
      [1, ['ip', 'note']],
      [2, ['1.1.1.1', 'two\r\nlines']],
      [5, ['2.2.2.2', 'plain']],
      [6, ['3.3.3.3', 'a,"b"']],
    ]);
    expect(recs[1].raw).toBe('1.1.1.1,"two\r\nlines"');
  });

  it('keeps a quote inside an unquoted field as data', () => {
    expect(readAll('a,b\n1,ab"c\n')[1].fields).toEqual(['1', 'ab"c']);
  });

  it('reports an unclosed quote as one broken record and reads the next lines', () => {
    const recs = readAll('ip,t\n1.1.1.1,"oops\n2.2.2.2,x\n');
    expect(recs.map((r) => [r.line, r.broken ?? r.fields.join('|')])).toEqual([
      [1, 'ip|t'],
      [2, 'csv.unclosed_quote'],
      [3, '2.2.2.2|x'],
    ]);
  });

  it('bounds a record: a line past the limit is reported, not held', () => {
    const recs = readAll(`a,b\n1,${'x'.repeat(5000)}\n2,y\n`, ',', 50, 1000);
    expect(recs.map((r) => r.broken ?? r.fields[0])).toEqual(['a', 'csv.record_too_large', '2']);
    expect(recs[1].raw.length).toBe(1000);
    expect(recs[2].line).toBe(3);
  });

  it('reports a record past the limit the same whether its text comes whole or in pieces', () => {
    const summary = (recs: TokenizedRecord[]) => recs.map((r) => [r.line, r.broken ?? r.fields.join('|'), r.raw.length]);
    // a quote-free line: whole, it was read as a record; in pieces, reported as too large
    const plain = `a,b\n${'x'.repeat(15)}\n2,y\n`;
    for (const pieces of [1, 3, 7, plain.length]) {
      expect(summary(readAll(plain, ',', pieces, 10))).toEqual([
        [1, 'a|b', 3],
        [2, 'csv.record_too_large', 10],
        [3, '2|y', 3],
      ]);
    }
    // text after a closing quote that runs the record past the limit
    const tail = `a,b\n"q"${'x'.repeat(15)}\n2,y\n`;
    for (const pieces of [1, 3, 7, tail.length]) {
      expect(summary(readAll(tail, ',', pieces, 10))).toEqual([
        [1, 'a|b', 3],
        [2, 'csv.record_too_large', 10],
        [3, '2|y', 3],
      ]);
    }
    // a quoted record past the limit: reported with its first line, reading goes on after that line
    const quoted = `a,b\n"${'x'.repeat(15)}\n2,y\n3,z\n`;
    for (const pieces of [1, 3, 7, quoted.length]) {
      expect(summary(readAll(quoted, ',', pieces, 10))).toEqual([
        [1, 'a|b', 3],
        [2, 'csv.record_too_large', 10],
        [3, '2|y', 3],
        [4, '3|z', 3],
      ]);
    }
  });

  it('detects the delimiter from the header line', () => {
    expect(detectDelimiter('ip;time;port')).toBe(';');
    expect(detectDelimiter('ip\ttime\tport')).toBe('\t');
    expect(detectDelimiter('"ip","time"')).toBe(',');
    expect(detectDelimiter('ip')).toBe(',');
  });

  it('reads the same records however the text is split into chunks', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é') });
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        (rows, pieces) => {
          const text = rows.map((r) => r.map((f) => `"${f.replace(/"/g, '""')}"`).join(',')).join('\r\n') + '\r\n';
          const whole = readAll(text);
          expect(readAll(text, ',', pieces)).toEqual(whole);
          // every quoted record comes back field for field
          expect(whole.map((r) => r.fields)).toEqual(rows);
        },
      ),
    );
  });

  it('never loses a line of arbitrary text: records and blank lines account for every line', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' '), maxLength: 200 }), (text) => {
        const recs = readAll(text, ',', 3);
        const lines = text.split('\n').length;
        for (const r of recs) expect(r.line).toBeLessThanOrEqual(lines);
        const starts = recs.map((r) => r.line);
        expect([...starts].sort((a, b) => a - b)).toEqual(starts);
        expect(new Set(starts).size).toBe(starts.length);
      }),
    );
  });
});
