import fc from 'fast-check';
import { LpmEngine } from '../lpm/lpm';
import { Matcher } from '../registry/matcher';
import { DecisionRows } from './decision-rows';
import type { MemberRow } from '@deliveryline/shared';

/**
 * The decision writer against a plain reference: for COPY output split at arbitrary points and
 * any output piece size (down to one row, or less), the pieces joined give exactly the rows the
 * reference writes, every piece ends at a row's end, and the figures add up.
 */

const member = (id: string): MemberRow => ({
  id,
  name: id,
  contact_emails: [],
  active: true,
  language: 'ja',
  joined_on: null,
  left_on: null,
});

// members with ids of 1 to 63 characters hold 10.0.0.0/8 split four ways; the rest is no member
function matcherFor(ids: string[]): Matcher {
  const prefixes = ids.map((_, i) => ({
    value: i,
    family: 4 as const,
    words: [((10 << 24) | (i << 22)) >>> 0],
    length: 10,
    validFrom: -Infinity,
    validTo: Infinity,
  }));
  return new Matcher(1, new LpmEngine(prefixes), ids.map(member), '2026-01-01');
}

/** The plain writer: one string per row, the way the COPY format says it. */
function reference(listId: number, rows: string[], m: Matcher): string {
  return rows
    .map((r) => {
      const [seq, id, ip, t] = r.split('\t');
      const d = m.route(ip, Number(t));
      return d.state === 'delivered'
        ? `${listId}\t${seq}\t${id}\t${d.memberId}\tdelivered\t\\N\n`
        : `${listId}\t${seq}\t${id}\t\\N\treturned\t${d.reason}\n`;
    })
    .join('');
}

const idChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'.split(''));
const memberId = fc.string({ unit: idChars, minLength: 1, maxLength: 63 });
const ip = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0x3fffff })).map(([q, r]) => {
    const v = ((10 << 24) | (q << 22) | r) >>> 0;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }),
  fc.ipV4(),
  fc.ipV6(),
);
const row = fc
  .tuple(
    fc.integer({ min: 1, max: 2 ** 40 }),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 1, maxLength: 40 }),
    ip,
    fc.integer({ min: -(2 ** 40), max: 2 ** 42 }),
  )
  .map(([seq, id, a, t]) => `${seq}\t${id}\t${a}\t${t}`);

describe('DecisionRows', () => {
  it('writes exactly the reference rows for any split of its input and any piece size', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(memberId, { minLength: 4, maxLength: 4 }),
        fc.array(row, { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 16, max: 400 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 12 }),
        (ids, rows, listId, outSize, cuts) => {
          const m = matcherFor(ids);
          const input = Buffer.from(rows.map((r) => r + '\n').join(''), 'latin1');
          const pieces: Buffer[] = [];
          const w = new DecisionRows(listId, m, (b) => pieces.push(Buffer.from(b)), outSize);
          const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
          let at = 0;
          for (const p of [...points, input.length]) {
            w.read(input.subarray(at, p));
            at = p;
          }
          w.end();
          const want = reference(listId, rows, m);
          expect(Buffer.concat(pieces).toString('latin1')).toBe(want);
          const rowSizes = want
            .split('\n')
            .slice(0, -1)
            .map((r) => Buffer.byteLength(r, 'latin1') + 1);
          for (const p of pieces) {
            expect(p[p.length - 1]).toBe(10); // whole rows only
            // a piece is at most the size asked for, unless it is one row bigger than that
            if (p.length > outSize) expect(rowSizes).toContain(p.length);
          }
          expect(w.figures().reduce((n, f) => n + f.n, 0)).toBe(rows.length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('does not lose the newline of a row that exactly fills the piece but for one byte', () => {
    const m = matcherFor(['a', 'b', 'c', 'd']);
    const r = '1\tabc\t10.0.0.1\t0\n';
    const want = reference(7, [r.slice(0, -1)], m);
    const rowLen = Buffer.byteLength(want);
    // a piece one byte longer than the row: the second row must go into the next piece
    for (const outSize of [rowLen - 1, rowLen, rowLen + 1, 2 * rowLen - 1, 2 * rowLen, 2 * rowLen + 1]) {
      const pieces: Buffer[] = [];
      const w = new DecisionRows(7, m, (b) => pieces.push(Buffer.from(b)), outSize);
      w.read(Buffer.from(r + r + r));
      w.end();
      expect(Buffer.concat(pieces).toString()).toBe(want + want + want);
    }
  });

  it('refuses COPY output that ends inside a row', () => {
    const w = new DecisionRows(1, matcherFor(['a', 'b', 'c', 'd']), () => undefined, 64);
    w.read(Buffer.from('1\tab\t10.0.0.1\t0\n2\tcd\t10.0'));
    expect(() => w.end()).toThrow(/ended inside a row/);
  });
});
