/**
 * The set of (ip, observed_at, port) already seen in a list, for collapsing exact repeats.
 * A Set of string keys cost ~2.5 µs and ~150 bytes per row (most of the ingest's time went to
 * building and hashing those strings and collecting them); this keeps every key in typed
 * arrays (≈ 40 bytes per row) behind an open-addressing table of row indexes, and compares
 * exact values on a hash match, so a collision never merges two different entries.
 */
export class EntryKeySet {
  private words: Uint32Array;
  private times: Float64Array;
  private portFam: Int32Array;
  private table: Int32Array;
  private n = 0;

  constructor(capacity = 1 << 18) {
    this.words = new Uint32Array(capacity * 4);
    this.times = new Float64Array(capacity);
    this.portFam = new Int32Array(capacity);
    this.table = new Int32Array(capacity * 2);
  }

  get size(): number {
    return this.n;
  }

  /** Adds the key; false when it was already there. IPv4 uses w0 only; port null is -1. */
  add(family: 4 | 6, w0: number, w1: number, w2: number, w3: number, time: number, port: number): boolean {
    const pf = ((port + 1) << 1) | (family === 6 ? 1 : 0);
    const mask = this.table.length - 1;
    let h = this.hash(w0, w1, w2, w3, time, pf) & mask;
    for (;;) {
      const slot = this.table[h];
      if (slot === 0) break;
      const i = slot - 1;
      const o = i * 4;
      if (
        this.times[i] === time &&
        this.portFam[i] === pf &&
        this.words[o] === w0 >>> 0 &&
        this.words[o + 1] === w1 >>> 0 &&
        this.words[o + 2] === w2 >>> 0 &&
        this.words[o + 3] === w3 >>> 0
      )
        return false;
      h = (h + 1) & mask;
    }
    if (this.n >= this.times.length) this.grow();
    const i = this.n++;
    const o = i * 4;
    this.words[o] = w0;
    this.words[o + 1] = w1;
    this.words[o + 2] = w2;
    this.words[o + 3] = w3;
    this.times[i] = time;
    this.portFam[i] = pf;
    if (this.table.length === this.times.length * 2) this.table[h] = i + 1;
    else this.rehash();
    return true;
  }

  private hash(w0: number, w1: number, w2: number, w3: number, time: number, pf: number): number {
    let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ w1 ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ w2 ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ w3 ^ (h >>> 13), 0xc2b2ae35);
    const t = time / 1000;
    h = Math.imul(h ^ (t | 0) ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ ((time - Math.floor(t) * 1000) | 0) ^ ((t / 4294967296) | 0), 0xc2b2ae35);
    h = Math.imul(h ^ pf ^ (h >>> 13), 0x85ebca6b);
    return (h ^ (h >>> 16)) >>> 0;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const words = new Uint32Array(cap * 4);
    words.set(this.words);
    const times = new Float64Array(cap);
    times.set(this.times);
    const pf = new Int32Array(cap);
    pf.set(this.portFam);
    this.words = words;
    this.times = times;
    this.portFam = pf;
  }

  /** Keeps the table at twice the capacity (load ≤ 0.5) and re-places every key. */
  private rehash(): void {
    const table = new Int32Array(this.times.length * 2);
    const mask = table.length - 1;
    for (let i = 0; i < this.n; i++) {
      const o = i * 4;
      let h = this.hash(this.words[o], this.words[o + 1], this.words[o + 2], this.words[o + 3], this.times[i], this.portFam[i]) & mask;
      while (table[h] !== 0) h = (h + 1) & mask;
      table[h] = i + 1;
    }
    this.table = table;
  }
}
