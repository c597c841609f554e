import { isDeepStrictEqual } from 'node:util';
import { expand6, type RefResult } from './reference-pipeline';
import type { ProductList } from '../repositories/product-list.repository';

const ipKey = (text: string) =>
  text.includes(':')
    ? expand6(text)
        .map((g) => g.toString(16).padStart(4, '0'))
        .join(':')
    : text;

/**
 * The differences between what the product stored and what the reference computed, entry by entry
 * (fate, reject code and line, address, time, port, malware, other columns, route) and member by
 * member (batch contents), then the list's counters. Empty when they agree.
 */
export function compareList(product: ProductList, ref: RefResult, limit = 25): string[] {
  const out: string[] = [];
  const say = (s: string) => {
    if (out.length < limit) out.push(s);
    else if (out.length === limit) out.push('… (more differences)');
  };
  const rejects = new Map(product.rejects.map((r) => [r.row, r]));
  const entries = new Map(product.entries.map((e) => [e.row, e]));
  for (const f of ref.fates) {
    const rj = rejects.get(f.row);
    const en = entries.get(f.row);
    const got = rj ? `rejected ${rj.reason}` : en ? 'accepted' : 'duplicate';
    const want = f.fate === 'rejected' ? `rejected ${f.reason}` : f.fate;
    if (got !== want) {
      say(`row ${f.row} (line ${f.line}): product ${got}, reference ${want}`);
      continue;
    }
    if (f.fate === 'rejected' && rj!.line !== f.line) say(`row ${f.row}: rejected on line ${rj!.line}, reference line ${f.line}`);
    if (f.fate !== 'accepted') continue;
    const e = en!;
    const fields: [string, unknown, unknown][] = [
      ['ip', ipKey(e.ip), f.ip],
      ['observed_at', e.observedAt, f.observedAt],
      ['port', e.port, f.port],
      ['malware', e.malware, f.malware],
      ['extra', e.extra, f.extra],
      [
        'route',
        e.state === 'delivered' ? `delivered ${e.memberId}` : `${e.state} ${e.reason}`,
        f.route.state === 'delivered' ? `delivered ${f.route.memberId}` : `returned ${f.route.reason}`,
      ],
    ];
    for (const [name, a, b] of fields) {
      if (!isDeepStrictEqual(a, b))
        say(
          `row ${f.row} (line ${f.line}) ${name}: product ${JSON.stringify(a)?.slice(0, 200)}, reference ${JSON.stringify(b)?.slice(0, 200)}`,
        );
    }
  }
  const known = new Set(ref.fates.map((f) => f.row));
  for (const r of [...rejects.keys(), ...entries.keys()])
    if (!known.has(r)) say(`row ${r}: stored by the product, the reference read no such row`);
  for (const m of new Set([...product.batches.keys(), ...ref.batches.keys()])) {
    const p = product.batches.get(m);
    const want = ref.batches.get(m) ?? [];
    if (!p) say(`member ${m}: no batch, reference ${want.length} entries`);
    else if (!isDeepStrictEqual(p.rows, want) || p.entries !== want.length) {
      const extra = p.rows.filter((x) => !want.includes(x)).slice(0, 5);
      const missing = want.filter((x) => !p.rows.includes(x)).slice(0, 5);
      say(
        `member ${m}: batch of ${p.rows.length} entries (counted ${p.entries}), reference ${want.length}; rows not expected ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)}`,
      );
    }
  }
  if (!isDeepStrictEqual(product.counts, ref.counts))
    say(`counts: product ${JSON.stringify(product.counts)}, reference ${JSON.stringify(ref.counts)}`);
  return out;
}
