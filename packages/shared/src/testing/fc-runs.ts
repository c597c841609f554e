/**
 * How many cases a property test tries: its own default, or FC_RUNS when that is larger (a deeper
 * run, e.g. `FC_RUNS=20000 pnpm test`). Test infrastructure reads its own settings (as test-db.ts).
 */
export function fcRuns(fallback: number): number {
  const n = Number(process.env.FC_RUNS);
  return Number.isFinite(n) && n > fallback ? Math.floor(n) : fallback;
}
