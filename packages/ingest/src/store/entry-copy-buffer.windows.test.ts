import fc from 'fast-check';
import { fcRuns } from '@deliveryline/shared/testing';
import { EntryCopyBuffer, TAKES_KEPT } from './entry-copy-buffer';
import { entryRows, plainCopy, tightWindows, windowsOf } from '../testing/entry-rows';

/**
 * EntryCopyBuffer against a plain binary COPY writer: rows of every kind (IPv4 and IPv6, times
 * before 1970 and 2000, no port, multi-byte names, JSON extra), cut into windows of any size
 * (empty ones too), columns of any first capacity (so they grow mid-window), sorted or not: each
 * take is exactly the plain writer's bytes, and stays so for TAKES_KEPT takes.
 */
describe('EntryCopyBuffer, windows of any size', () => {
  it('writes every window exactly as the plain writer does', () => {
    fc.assert(
      fc.property(
        entryRows(40),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        (rows, cuts, capacity, sorted) => {
          const buf = new EntryCopyBuffer(capacity);
          const kept: { out: Buffer; copy: Buffer }[] = [];
          for (const w of windowsOf(rows, cuts)) {
            for (const r of w) buf.add(r);
            expect(buf.rows).toBe(w.length);
            const out = buf.take(sorted);
            if (w.length === 0) {
              expect(out).toBeNull();
              continue;
            }
            expect(out!.toString('hex')).toBe(plainCopy(w, sorted).toString('hex'));
            kept.push({ out: out!, copy: Buffer.from(out!) });
            // what the last TAKES_KEPT takes returned is still theirs
            for (const k of kept.slice(-TAKES_KEPT)) expect(k.out.equals(k.copy)).toBe(true);
          }
          expect(buf.take(sorted)).toBeNull();
        },
      ),
      { numRuns: fcRuns(300) },
    );
  });

  it('fills its output to the byte, also in memory of an earlier take one byte too small', () => {
    for (const sorted of [false, true]) {
      const buf = new EntryCopyBuffer(1);
      for (const w of tightWindows()) {
        for (const r of w) buf.add(r);
        expect(buf.take(sorted)!.toString('hex')).toBe(plainCopy(w, sorted).toString('hex'));
      }
    }
  });
});
