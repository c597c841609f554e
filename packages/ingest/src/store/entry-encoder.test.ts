import { EntryCopyBuffer, type EntryRow } from './entry-copy-buffer';
import { ThreadedEntryBuffer } from './entry-encoder';

const MALWARE = ['goz', 'vawtrak', 'ゼウス'];
function rowAt(i: number): EntryRow {
  const v6 = i % 5 === 0;
  return {
    listId: 3,
    seq: i + 1,
    rowNo: i + 2,
    family: v6 ? 6 : 4,
    w: v6 ? [0x20010db8, (i * 31) % 7, 0, (i * 7919) % 65536] : [((i * 2654435761) >>> 0) % 4294967296],
    observedAt: Date.UTC(2015, 3, 1) + ((i * 104729) % 86_400) * 1000,
    port: i % 4 ? (i * 13) % 65536 : null,
    malware: i % 7 ? MALWARE[i % 3] : null,
    extra: i % 9 ? null : JSON.stringify({ n: `値${i}` }),
  };
}

describe('ThreadedEntryBuffer', () => {
  it("encodes every window in its thread byte for byte as the caller's thread does", async () => {
    const threaded = new ThreadedEntryBuffer();
    const here = new EntryCopyBuffer();
    try {
      // windows of different sizes, the second larger than the columns' first capacity
      let i = 0;
      for (const size of [1000, 70_000, 3, 20_000]) {
        for (let k = 0; k < size; k++, i++) {
          threaded.add(rowAt(i));
          here.add(rowAt(i));
        }
        const a = await threaded.take();
        const b = here.take(true);
        expect(a).not.toBeNull();
        expect(a!.length).toBe(b!.length);
        expect(a!.equals(b!)).toBe(true);
      }
      expect(await threaded.take()).toBeNull();
    } finally {
      await threaded.close();
    }
  });

  it('fails a take once closed, rather than waiting for ever', async () => {
    const threaded = new ThreadedEntryBuffer();
    threaded.add(rowAt(1));
    await threaded.close();
    await expect(threaded.take()).rejects.toThrow(/closed/);
  });
});
