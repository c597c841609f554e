/**
 * A streaming RFC 4180 reader that keeps, for every record, the file line it starts on and its
 * raw text. csv-parse can report both (`info`, `raw`) but then reads 2.5× slower than without
 * them and gets the line wrong after CRLF; this reader splits quote-free lines with
 * `String.split` and walks characters only for records that hold a quote.
 *
 * Rules: a field that starts with `"` is quoted (`""` is a quote, delimiters and line breaks
 * inside are data; text after the closing quote is kept, as Excel does); a quote elsewhere is
 * data. CRLF and LF both end a record; blank lines are skipped but counted. A quoted record that
 * is never closed, or any record that runs past `maxRecordChars` before the line break ending it
 * (its CR counted), is reported as a broken record holding only its first line, and reading goes
 * on from the next line, so one stray quote loses one row. How the text is cut into pushes never
 * changes the records.
 */

export interface TokenizedRecord {
  fields: string[];
  /** the file line the record starts on (1-based) */
  line: number;
  raw: string;
  /** set when the record could not be read as CSV: the reason code */
  broken?: 'csv.unclosed_quote' | 'csv.record_too_large';
}

export class CsvTokenizer {
  private buf = '';
  private line = 1;
  /** after an over-long line was reported: drop text up to the next line break */
  private skipping = false;

  constructor(
    private readonly delimiter: string,
    private readonly maxRecordChars = 1 << 20,
  ) {}

  /** Adds text and returns the records it completes. */
  push(text: string): TokenizedRecord[] {
    this.buf = this.buf.length ? this.buf + text : text;
    return this.drain(false);
  }

  /** Call at the end of input: returns the last records, including an unterminated one. */
  end(): TokenizedRecord[] {
    return this.drain(true);
  }

  private drain(final: boolean): TokenizedRecord[] {
    const out: TokenizedRecord[] = [];
    const s = this.buf;
    const d = this.delimiter;
    let p = 0;
    let q = s.indexOf('"');
    for (;;) {
      if (p >= s.length) break;
      let nl = s.indexOf('\n', p);
      if (this.skipping) {
        if (nl < 0) {
          p = s.length;
          break;
        }
        this.skipping = false;
        this.line++;
        p = nl + 1;
        continue;
      }
      if (nl < 0) {
        if (!final) {
          if (s.length - p > this.maxRecordChars) {
            out.push({ fields: [], line: this.line, raw: s.slice(p, p + this.maxRecordChars), broken: 'csv.record_too_large' });
            this.skipping = true;
            p = s.length;
          }
          break;
        }
        nl = s.length;
      }
      if (q >= 0 && q < p) q = s.indexOf('"', p);
      if (q < 0 || q >= nl) {
        // quote-free line: the fast path
        if (nl - p > this.maxRecordChars) {
          out.push({ fields: [], line: this.line, raw: s.slice(p, p + this.maxRecordChars), broken: 'csv.record_too_large' });
          this.line++;
          p = nl + 1;
          continue;
        }
        const end = nl > p && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        const raw = s.slice(p, end);
        if (raw.trim() !== '') out.push({ fields: raw.split(d), line: this.line, raw });
        this.line++;
        p = nl + 1;
        continue;
      }
      const r = this.quoted(s, p, final);
      if (r === null) break; // needs more text
      out.push(r.record);
      this.line += r.lines;
      p = r.next;
      q = s.indexOf('"', p);
    }
    this.buf = p >= s.length ? '' : s.slice(p);
    return out;
  }

  /** Reads one record that holds a quote, starting at `p`; null when the text ends before it does. */
  private quoted(s: string, p: number, final: boolean): { record: TokenizedRecord; next: number; lines: number } | null {
    const d = this.delimiter.charCodeAt(0);
    const fields: string[] = [];
    let i = p;
    let lines = 1;
    for (;;) {
      // one field starting at i
      let field = '';
      if (s.charCodeAt(i) === 34) {
        let j = i + 1;
        for (;;) {
          const k = s.indexOf('"', j);
          if (k < 0 || k - p > this.maxRecordChars) {
            if (!final && k < 0 && s.length - p <= this.maxRecordChars) return null;
            return this.broken(s, p, k < 0 && s.length - p <= this.maxRecordChars ? 'csv.unclosed_quote' : 'csv.record_too_large', final);
          }
          field += s.slice(j, k);
          if (s.charCodeAt(k + 1) === 34) {
            field += '"';
            j = k + 2;
            continue;
          }
          i = k + 1;
          break;
        }
        for (let n = field.indexOf('\n'); n >= 0; n = field.indexOf('\n', n + 1)) lines++;
      }
      // unquoted text, or text after a closing quote, up to the delimiter or the line end
      let j = i;
      for (; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (c === d || c === 10) break;
      }
      // the record runs at least to j: past the limit, it is too large wherever its line ends
      if (j - p > this.maxRecordChars) return this.broken(s, p, 'csv.record_too_large', final);
      if (j === s.length && !final) return null;
      let tail = s.slice(i, j);
      const atEol = j >= s.length || s.charCodeAt(j) === 10;
      if (atEol && tail.endsWith('\r')) tail = tail.slice(0, -1);
      fields.push(field + tail);
      if (atEol) {
        const end = j > p && s.charCodeAt(j - 1) === 13 ? j - 1 : j;
        return { record: { fields, line: this.line, raw: s.slice(p, end) }, next: j + 1, lines };
      }
      i = j + 1;
    }
  }

  /** A record that cannot be read: keep its first line as raw text and go on after it. */
  private broken(s: string, p: number, reason: 'csv.unclosed_quote' | 'csv.record_too_large', final: boolean) {
    let nl = s.indexOf('\n', p);
    if (nl < 0) {
      if (!final && s.length - p <= this.maxRecordChars) return null;
      nl = s.length;
    }
    const end = nl > p && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const raw = s.slice(p, Math.min(end, p + this.maxRecordChars));
    return { record: { fields: [], line: this.line, raw, broken: reason }, next: nl + 1, lines: 1 };
  }
}

/** The delimiter among `,` `;` TAB that the header line uses most (comma when none). */
export function detectDelimiter(headerLine: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of [',', '\t', ';']) {
    const n = headerLine.split(d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}
