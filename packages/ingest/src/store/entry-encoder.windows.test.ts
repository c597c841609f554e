import fc from 'fast-check';
import { fcRuns } from '@deliveryline/shared/testing';
import { EntryCopyBuffer, TAKES_KEPT } from './entry-copy-buffer';
import { ThreadedEntryBuffer } from './entry-encoder';
import { entryRows, plainCopy, tightWindows, windowsOf } from '../testing/entry-rows';

/**
 * The encoding thread against the caller's thread and the plain writer: random rows cut into
 * windows of any size (empty ones too) through buffers of small first capacities, so that columns
 * grow, come back from the thread and are reused, and output memory goes back to be written into
 * again: every take is byte for byte what EntryCopyBuffer.take(true) and the plain writer give,
 * and stays so for TAKES_KEPT takes.
 */
describe('ThreadedEntryBuffer, windows of any size', () => {
  // a thread costs a start-up: a few buffers serve every run, each with its in-thread twin
  const pairs: { threaded: ThreadedEntryBuffer; here: EntryCopyBuffer }[] = [];
  beforeAll(() => {
    for (const capacity of [1, 3, 40]) pairs.push({ threaded: new ThreadedEntryBuffer(capacity), here: new EntryCopyBuffer(capacity) });
  });
  afterAll(async () => {
    for (const p of pairs) await p.threaded.close();
  });

  it("encodes every window as the caller's thread and the plain writer do", async () => {
    await fc.assert(
      fc.asyncProperty(entryRows(60), fc.array(fc.nat(), { maxLength: 6 }), fc.nat({ max: 2 }), async (rows, cuts, which) => {
        const { threaded, here } = pairs[which];
        const kept: { out: Buffer; copy: Buffer }[] = [];
        for (const w of windowsOf(rows, cuts)) {
          for (const r of w) {
            threaded.add(r);
            here.add(r);
          }
          const a = await threaded.take();
          const b = here.take(true);
          if (w.length === 0) {
            expect([a, b]).toEqual([null, null]);
            continue;
          }
          expect(a!.toString('hex')).toBe(b!.toString('hex'));
          expect(a!.equals(plainCopy(w, true))).toBe(true);
          kept.push({ out: a!, copy: Buffer.from(a!) });
          for (const k of kept.slice(-TAKES_KEPT)) expect(k.out.equals(k.copy)).toBe(true);
        }
      }),
      { numRuns: fcRuns(150) },
    );
  });
  it('fills its output to the byte, also in memory sent back one byte too small', async () => {
    const threaded = new ThreadedEntryBuffer(1);
    try {
      for (const w of tightWindows()) {
        for (const r of w) threaded.add(r);
        expect((await threaded.take())!.toString('hex')).toBe(plainCopy(w, true).toString('hex'));
      }
    } finally {
      await threaded.close();
    }
  });
});
