import fc from 'fast-check';
import { fcRuns } from '@deliveryline/shared/testing';
import { copyText } from './copy-text';

/**
 * copyText against PostgreSQL's COPY text format written out plainly: one character at a time,
 * backslash, tab, newline and carriage return escaped, NUL (which text cannot hold) dropped, null
 * as \N; and back through a plain reader of the format.
 */

/** The plain writer. */
function referenceCopyText(v: string | null): string {
  if (v === null) return '\\N';
  let out = '';
  for (const ch of v) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch !== '\u0000') out += ch;
  }
  return out;
}

/** The plain reader: a field of COPY text as PostgreSQL reads it (its escapes, \N alone is null). */
function readCopyField(f: string): string | null {
  if (f === '\\N') return null;
  const simple: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
  let out = '';
  for (let i = 0; i < f.length; i++) {
    const c = f[i];
    if (c !== '\\') {
      // a raw tab, newline or carriage return would end the field or the row
      if (c === '\t' || c === '\n' || c === '\r') throw new Error(`raw ${JSON.stringify(c)} at ${i}`);
      out += c;
      continue;
    }
    const e = f[++i];
    if (e === undefined) throw new Error('a field ends in a lone backslash');
    if (e in simple) out += simple[e];
    else if (/[0-7]/.test(e)) throw new Error('octal escapes are never written');
    else if (e === 'x') throw new Error('hex escapes are never written');
    else out += e; // \\ and any other character stands for itself
  }
  return out;
}

const special = fc.constantFrom('\\', '\t', '\n', '\r', '\u0000', '\\N', '\\.', 'N', '.', 'x', '0', 'é', 'ゼ', '😀', '\u2028', '\uFEFF');
const text = fc.oneof(
  fc.string({ unit: special, maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.oneof(special, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 30 }),
);

describe('copyText', () => {
  it('escapes exactly as the plain writer does, and reads back as the value without NUL', () => {
    fc.assert(
      fc.property(fc.option(text, { nil: null }), (v) => {
        const s = copyText(v);
        expect(s).toBe(referenceCopyText(v));
        expect(readCopyField(s)).toBe(v === null ? null : v.replace(/\u0000/g, ''));
      }),
      { numRuns: fcRuns(2000) },
    );
  });

  it('writes null as \\N and text that reads "\\N" so that it is not null', () => {
    expect(copyText(null)).toBe('\\N');
    expect(copyText(undefined)).toBe('\\N');
    expect(copyText('\\N')).toBe('\\\\N');
    expect(readCopyField(copyText('\\N'))).toBe('\\N');
    expect(copyText('a\u0000b')).toBe('ab');
    expect(copyText('\\.')).toBe('\\\\.'); // never the end-of-data marker
  });
});
