import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { submitList } from '@deliveryline/shared';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, importMembers, importPrefixes, type Mailer } from '@deliveryline/router';
import { waitForList } from '../wait-list';
import { generateList, generateRegistry, int, pick, rng, type GeneratedRegistry } from './generate';
import { referenceList } from './reference-pipeline';
import { readProductList } from '../repositories/product-list.repository';
import { compareList } from './compare';

/**
 * The differential test: random but realistic registries and lists (reference/generate.ts) go
 * through the real pipeline (ingest → route → release, the real workers and queues) and through
 * the reference pipeline (reference/reference-pipeline.ts, plain code that shares nothing with the
 * product), and the two must agree entry by entry and member by member. Every internal size (COPY
 * chunks and sorted windows, the encoding thread's columns, route chunks and their output pieces,
 * the own-table thresholds of routing and release) is drawn per list, small, so rows fall across
 * every boundary. `pnpm test:deep` runs it with big lists and more seeds (DIFF_DEEP=1; DIFF_SEEDS
 * and DIFF_ROWS tune it; DIFF_SEED=n runs one seed).
 */

const DEEP = process.env.DIFF_DEEP === '1';
const SEEDS = Number(process.env.DIFF_SEEDS ?? (DEEP ? 12 : 8));
const MAX_ROWS = Number(process.env.DIFF_ROWS ?? (DEEP ? 60_000 : 1_000));
const FIRST_SEED = Number(process.env.DIFF_SEED ?? 1);
const ONE = process.env.DIFF_SEED !== undefined && process.env.DIFF_SEEDS === undefined;
/** registries per run: each has its own database and workers */
const GROUPS = ONE ? 1 : DEEP ? 3 : 2;

/** Internal sizes for one list of about `rows` rows: small, so that every one of them is crossed. */
function sizes(seed: number, rows: number): Record<string, string> {
  const r = rng(seed * 7919);
  const copyChunk = int(r, 1, 80);
  // a route chunk is a job: at most `chunks` of them, so that CI stays quick
  const chunks = DEEP ? 60 : 12;
  const entries = Math.max(1, Math.floor(rows * 0.85));
  return {
    INGEST_COPY_CHUNK: String(copyChunk),
    INGEST_SORT_WINDOW: String(
      pick(r, [1, int(r, Math.ceil(entries / 40), Math.max(1, entries >> 2)), int(r, entries >> 2, entries), entries * 2]),
    ),
    INGEST_THREAD_ROWS: String(pick(r, [1, 2, int(r, 3, 64), 4096])),
    ROUTE_CHUNK_SIZE: String(Math.max(Math.ceil(entries / chunks), pick(r, [1, int(r, 1, entries), entries * 2]))),
    ROUTE_OWN_TABLE_ABOVE: String(pick(r, [0, int(r, 0, entries), 100_000])),
    RELEASE_OWN_TABLE_ABOVE: String(pick(r, [0, int(r, 0, entries >> 1), 100_000])),
    ROUTE_OUT_BYTES: String(pick(r, [16, int(r, 17, 120), int(r, 120, 2000), 1 << 20])),
  };
}

describe('the pipeline against the reference pipeline', () => {
  const seeds = Array.from({ length: ONE ? 1 : SEEDS }, (_, i) => FIRST_SEED + i);
  const groups = Array.from({ length: GROUPS }, (_, g) => seeds.filter((_s, i) => i % GROUPS === g));

  describe.each(groups.map((g, i) => [i + 1, g] as const))('registry %i', (group, groupSeeds) => {
    let ctx: TestContext;
    let workers: Worker[];
    let dir: string;
    let reg: GeneratedRegistry;
    const mailer: Mailer = { send: async () => ({ messageId: '1', response: '250 ok' }), close: () => undefined };

    beforeAll(async () => {
      ctx = await openTestContext();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-diff-'));
      reg = generateRegistry(1000 + groupSeeds[0], DEEP ? 64 : 24);
      fs.writeFileSync(path.join(dir, 'members.csv'), reg.membersCsv);
      fs.writeFileSync(path.join(dir, 'prefixes.csv'), reg.prefixesCsv);
      await importMembers(ctx.pool, path.join(dir, 'members.csv'));
      await importPrefixes(ctx.pool, path.join(dir, 'prefixes.csv'));
      workers = [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer })];
    });
    afterAll(async () => {
      await Promise.all(workers.map((w) => w.close()));
      await ctx.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it.each(groupSeeds)(
      "seed %i: every row has the reference's fate, route and batch",
      async (seed) => {
        const r = rng(seed);
        const rows = int(r, Math.floor(MAX_ROWS / 20), MAX_ROWS);
        const list = generateList(seed, reg, { rows });
        const size = sizes(seed, rows);
        // the workers read ctx.env at each job, and lists run one at a time: each gets its own sizes
        Object.assign(ctx.env, Object.fromEntries(Object.entries(size).map(([k, v]) => [k, Number(v)])));
        const file = path.join(dir, list.fileName);
        fs.writeFileSync(file, list.bytes);
        const listId = await submitList(ctx, {
          path: file,
          sourceId: 'diff',
          campaignId: `diff-${group}-${seed}`,
          round: 1,
          timezone: list.timezone,
        });
        const done = await waitForList(ctx, listId, { timeoutMs: DEEP ? 600_000 : 90_000 });
        const ref = referenceList(
          {
            bytes: list.bytes,
            fileName: list.fileName,
            timezone: list.timezone,
            now: Date.now(),
            maxFutureMinutes: ctx.env.MAX_FUTURE_SKEW_MINUTES,
          },
          reg,
        );
        const product = await readProductList(ctx.pool, listId);
        const what = `seed ${seed}: ${rows} rows, ${list.layout}, ${list.encoding}, zone ${list.timezone ?? '(none)'}, sizes ${JSON.stringify(size)}`;
        expect({ what, state: done.state, failure: done.failure }).toEqual({ what, state: 'released', failure: null });
        expect({ what, differences: compareList(product, ref) }).toEqual({ what, differences: [] });
        // the reference's counts hold the rules: nothing lost
        expect(ref.counts.rowsRead).toBe(ref.counts.received + ref.counts.rejected + ref.counts.duplicates);
      },
      DEEP ? 900_000 : 120_000,
    );
  });
});
