import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { fcRuns } from '@deliveryline/shared/testing';
import { CsvTokenizer, type TokenizedRecord } from './csv-tokenizer';

/**
 * CsvTokenizer for text cut at arbitrary points (inside CRLF, inside a quoted field, between a
 * quote and its double, between the halves of a surrogate pair), with tiny record limits:
 * - well-formed CSV gives csv-parse's fields (same delimiter, quotes relaxed, CRLF and LF) with
 *   the line and raw text each record was written with;
 * - any text at all (stray quotes, lone CRs, BOMs, records past the limit) gives what a plain
 *   reader of the whole text gives, and what one push of the whole text gives.
 */

function tokenize(text: string, delimiter: string, cuts: number[], max?: number): TokenizedRecord[] {
  const t = new CsvTokenizer(delimiter, max);
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: TokenizedRecord[] = [];
  let at = 0;
  for (const p of [...points, text.length]) {
    out.push(...t.push(text.slice(at, p)));
    at = p;
  }
  out.push(...t.end());
  return out;
}

/**
 * The plain reader: the tokenizer's rules (csv-tokenizer.ts) applied to the whole text at once,
 * record by record. A record runs from its first character to the line break that ends it; one
 * longer than `max` (counting its CR) is too large.
 */
function plainRecords(text: string, d: string, max: number): TokenizedRecord[] {
  const out: TokenizedRecord[] = [];
  let p = 0;
  let line = 1;
  const lineBreak = (at: number) => (text.indexOf('\n', at) < 0 ? text.length : text.indexOf('\n', at));
  const withoutCr = (end: number) => (end > p && text[end - 1] === '\r' ? end - 1 : end);
  const broken = (reason: 'csv.unclosed_quote' | 'csv.record_too_large') => {
    const nl = lineBreak(p);
    out.push({ fields: [], line, raw: text.slice(p, Math.min(withoutCr(nl), p + max)), broken: reason });
    line++;
    p = nl + 1;
  };
  while (p < text.length) {
    const nl = lineBreak(p);
    if (!text.slice(p, nl).includes('"')) {
      if (nl - p > max) {
        broken('csv.record_too_large');
        continue;
      }
      const raw = text.slice(p, withoutCr(nl));
      if (raw.trim() !== '') out.push({ fields: raw.split(d), line, raw });
      line++;
      p = nl + 1;
      continue;
    }
    const fields: string[] = [];
    let i = p;
    let lines = 1;
    let unclosed = false;
    let end: number;
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        let j = i + 1;
        for (;;) {
          const k = text.indexOf('"', j);
          if (k < 0) {
            unclosed = true;
            break;
          }
          value += text.slice(j, k);
          if (text[k + 1] === '"') {
            value += '"';
            j = k + 2;
          } else {
            i = k + 1;
            break;
          }
        }
        if (unclosed) break;
        lines += value.split('\n').length - 1;
      }
      let j = i;
      while (j < text.length && text[j] !== d && text[j] !== '\n') j++;
      const eol = j === text.length || text[j] === '\n';
      const tail = text.slice(i, j);
      fields.push(value + (eol && tail.endsWith('\r') ? tail.slice(0, -1) : tail));
      if (eol) {
        end = j;
        break;
      }
      i = j + 1;
    }
    if (unclosed) broken(text.length - p > max ? 'csv.record_too_large' : 'csv.unclosed_quote');
    else if (end! - p > max) broken('csv.record_too_large');
    else {
      out.push({ fields, line, raw: text.slice(p, withoutCr(end!)) });
      line += lines;
      p = end! + 1;
    }
  }
  return out;
}

const delimiter = fc.constantFrom(',', ';', '\t');
const cuts = fc.array(fc.nat(), { maxLength: 12 });

/** Well-formed CSV, written record by record with the line each starts on and its raw text. */
const csvText = (d: string) => {
  const others = [',', ';', '\t'].filter((c) => c !== d);
  // unquoted: no delimiter, CR or LF, no quote first (one later is data); spaces only is possible
  const plainChar = fc.constantFrom('a', 'b', ' ', 'é', 'ゼ', '😀', '\uFEFF', '"', ...others);
  const unquoted = fc.string({ unit: plainChar, maxLength: 6 }).filter((s) => !s.startsWith('"'));
  const quoted = fc.string({ unit: fc.constantFrom('a', ' ', '"', '\n', '\r', '\r\n', 'ゼ', '😀', d, ...others), maxLength: 8 });
  const field = fc.oneof(
    unquoted.map((v) => ({ v, text: v })),
    quoted.map((v) => ({ v, text: `"${v.replace(/"/g, '""')}"` })),
  );
  const item = fc.oneof(
    { arbitrary: fc.array(field, { minLength: 1, maxLength: 4 }), weight: 5 },
    { arbitrary: fc.constantFrom('', '   ', ' \uFEFF ', '\uFEFF'), weight: 1 }, // a blank line
  );
  return fc
    .tuple(
      fc.array(fc.tuple(item, fc.constantFrom('\n', '\r\n')), { maxLength: 8 }),
      fc.boolean(), // the last line ends with a line break
      fc.boolean(), // a BOM before the first field, if that field is not quoted
    )
    .map(([items, lastBreak, bom]) => {
      let text = '';
      let line = 1;
      const written: { v: string[]; line: number; raw: string }[] = [];
      items.forEach(([it, br], n) => {
        let raw = typeof it === 'string' ? it : it.map((f) => f.text).join(d);
        const v = typeof it === 'string' ? [it] : it.map((f) => f.v);
        if (n === 0 && bom && !raw.startsWith('"') && !raw.startsWith('\uFEFF')) {
          raw = '\uFEFF' + raw;
          v[0] = '\uFEFF' + v[0];
        }
        written.push({ v, line, raw });
        text += raw + (n < items.length - 1 || lastBreak ? br : '');
        line += raw.split('\n').length;
      });
      return { text, written };
    });
};

const csvParse = (text: string, d: string): string[][] =>
  parse(text, {
    delimiter: d,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
    bom: false,
  });

describe('CsvTokenizer, text cut anywhere', () => {
  it("reads well-formed CSV as csv-parse does, with each record's line and raw text", () => {
    fc.assert(
      fc.property(
        delimiter.chain((d) => fc.tuple(fc.constant(d), csvText(d))),
        cuts,
        ([d, { text, written }], cs) => {
          // csv-parse skips empty lines only; the tokenizer skips lines of white space too
          const parsed = csvParse(text, d);
          const nonEmpty = written.filter((w) => w.raw !== '');
          expect(parsed).toEqual(nonEmpty.map((w) => w.v));
          const want = nonEmpty
            .map((w, n) => ({ fields: parsed[n], line: w.line, raw: w.raw }))
            .filter((w) => w.raw.includes('"') || w.raw.trim() !== '');
          expect(tokenize(text, d, cs)).toEqual(want);
        },
      ),
      { numRuns: fcRuns(300) },
    );
  });

  it('reads any text as the plain reader does, whatever the record limit', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', ' ', ',', ';', '\t', '"', '"', '\r', '\n', '\n', 'é', '😀', '\uFEFF'),
      maxLength: 80,
    });
    const max = fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constant(undefined));
    fc.assert(
      fc.property(text, delimiter, cuts, max, (s, d, cs, m) => {
        const want = plainRecords(s, d, m ?? 1 << 20);
        expect(tokenize(s, d, [], m)).toEqual(want);
        expect(tokenize(s, d, cs, m)).toEqual(want);
      }),
      { numRuns: fcRuns(1000) },
    );
  });

  it('gives the same records one character at a time', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', ',', '"', '\r', '\n'), maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        (s, m) => {
          expect(
            tokenize(
              s,
              ',',
              Array.from(s, (_, i) => i),
              m,
            ),
          ).toEqual(plainRecords(s, ',', m));
        },
      ),
      { numRuns: fcRuns(500) },
    );
  });
});
