/** Nearest-rank percentiles over weighted values: the smallest value whose cumulative weight reaches p of the total. */
export function weightedPercentiles(values: { v: number; w: number }[], ps: number[]): (number | null)[] {
  const xs = values.filter((x) => x.w > 0).sort((a, b) => a.v - b.v);
  const total = xs.reduce((s, x) => s + x.w, 0);
  if (total === 0) return ps.map(() => null);
  return ps.map((p) => {
    const need = Math.max(1, Math.ceil(p * total - 1e-9));
    let acc = 0;
    for (const x of xs) {
      acc += x.w;
      if (acc >= need) return x.v;
    }
    return xs[xs.length - 1].v;
  });
}

export interface Spread {
  n: number;
  q1: number | null;
  median: number | null;
  q3: number | null;
}

/** Quartiles of plain values (each counts once), ignoring nulls. */
export function spread(values: (number | null)[]): Spread {
  const xs = values.filter((v): v is number => v != null && Number.isFinite(v));
  const [q1, median, q3] = weightedPercentiles(
    xs.map((v) => ({ v, w: 1 })),
    [0.25, 0.5, 0.75],
  );
  return { n: xs.length, q1, median, q3 };
}
