/**
 * `pnpm bench [--json] [name-filter]`: runs every bench/*.bench.ts in its own process (so peak
 * memory is per benchmark), collects their results and prints a table, or with --json
 * `{ "benchmarks": [ { name, value, unit, baseline, ratio } ] }`. A bench file exports
 * `run(): Promise<BenchResult[]>`; data is generated deterministically, nothing is downloaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  /** what the ratio must reach, when the issue sets a target */
  target?: number;
  notes?: string;
}

async function child(file: string) {
  const mod = await import(file);
  const results: BenchResult[] = await mod.run();
  process.stdout.write('\n@@BENCH@@' + JSON.stringify(results) + '\n');
  process.exit(0);
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]);
  const json = args.includes('--json');
  const filter = args.find((a) => !a.startsWith('--'));
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter)))
    .sort();
  const all: BenchResult[] = [];
  for (const f of files) {
    process.stderr.write(`bench: ${f}\n`);
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--max-old-space-size=4096', __filename, '--child', path.join(__dirname, f)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('@@BENCH@@'));
    if (r.status !== 0 || !line) {
      process.stderr.write(`bench: ${f} failed (exit ${r.status})\n${r.stdout}\n`);
      process.exitCode = 1;
      continue;
    }
    all.push(...JSON.parse(line.slice(9)));
  }
  if (json) {
    process.stdout.write(JSON.stringify({ benchmarks: all }, null, 2) + '\n');
    return;
  }
  const rows = all.map((b) => [
    b.name,
    fmt(b.value) + ' ' + b.unit,
    b.baseline == null ? '' : fmt(b.baseline) + ' ' + b.unit,
    b.ratio == null ? '' : b.ratio.toFixed(2),
    b.target == null ? '' : b.ratio! >= b.target ? `≥ ${b.target} ok` : `≥ ${b.target} MISSED`,
    b.notes ?? '',
  ]);
  const head = ['benchmark', 'value', 'baseline', 'ratio', 'target', 'notes'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ');
  process.stdout.write([line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n') + '\n');
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

void main();
