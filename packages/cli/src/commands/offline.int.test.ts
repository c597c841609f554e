import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { repoRoot } from '@deliveryline/shared';

/**
 * A machine with Node and nothing else: no PostgreSQL, no Redis, no network. In a network
 * namespace that has only loopback (nothing of this machine's services is reachable), with
 * DATABASE_URL and REDIS_URL unset and a fresh DATA_DIR, `pnpm demo` prints both tables and
 * `pnpm start` serves the portal with every worker — PostgreSQL embedded, queues in it.
 * Needs root for `unshare -n` (CI runs as root).
 */
describe('on a machine with nothing but Node', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-offline-'));
  const data = path.join(dir, 'data');
  let child: ReturnType<typeof spawn> | undefined;

  afterAll(() => {
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    // an embedded server left by a failed run: stop it by its pid file
    const pidFile = path.join(data, 'pg', 'postmaster.pid');
    if (fs.existsSync(pidFile)) {
      const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
      try {
        if (pid > 0) process.kill(pid, 'SIGQUIT');
      } catch {
        /* not running */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the demo and serves the portal with the embedded PostgreSQL and the queues in it', async () => {
    expect(process.getuid?.()).toBe(0); // unshare -n needs root; run the tests as root, as CI does
    const script = [
      'set -euo pipefail',
      'ip link set lo up',
      // nothing of the host is reachable in here: the services that the other tests use are not
      `if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then echo "PostgreSQL reachable in the namespace" >&2; exit 3; fi`,
      `cd ${JSON.stringify(repoRoot())}`,
      `pnpm demo > ${dir}/demo.out 2> ${dir}/demo.err`,
      `node --import tsx packages/cli/src/dline.ts start > ${dir}/start.log 2>&1 &`,
      'pid=$!',
      "trap 'kill -TERM $pid 2>/dev/null || true' EXIT",
      // poll with a deadline (the first start of the portal compiles its sources)
      'for i in $(seq 1 600); do',
      '  if curl -sf http://127.0.0.1:3000/healthz > /dev/null 2>&1; then break; fi',
      '  if ! kill -0 $pid 2>/dev/null; then echo "pnpm start exited" >&2; exit 4; fi',
      '  sleep 0.2',
      'done',
      `curl -sf http://127.0.0.1:3000/healthz > ${dir}/healthz`,
      `curl -s http://127.0.0.1:3000/readyz > ${dir}/readyz`,
      // every worker listening (ingest, route, deliver, remind), as the queues themselves count them
      'for i in $(seq 1 300); do',
      `  node --import tsx packages/cli/src/dline.ts jobs status --json > ${dir}/jobs.json 2>> ${dir}/jobs.err || true`,
      `  node -e 'const r = require(process.argv[1]); process.exit(r.every((q) => q.workers >= 1) ? 0 : 1)' ${dir}/jobs.json 2>/dev/null && break`,
      '  sleep 0.5',
      'done',
      'kill -TERM $pid',
      // (how it ends is the shutdown's business, checked elsewhere; here: that it ends)
      `wait $pid || echo "pnpm start ended with $?" >> ${dir}/start.log`,
      'trap - EXIT',
    ].join('\n');
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: data, LOG_LEVEL: 'info' };
    for (const k of ['DATABASE_URL', 'REDIS_URL', 'SMTP_URL', 'EMBEDDED_PG_PORT', 'PORT', 'QUEUE_PREFIX', 'JEST_WORKER_ID']) delete env[k];
    child = spawn('unshare', ['-n', 'bash', '-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child!.on('exit', (c) => r(c)));
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
    if (code !== 0)
      throw new Error(
        `exit ${code}: ${out}\n--- demo.err\n${read('demo.err').slice(-3000)}\n--- start.log\n${read('start.log').slice(-3000)}`,
      );
    const demo = read('demo.out');
    expect(demo).toMatch(/campaign goz-2014[\s\S]*handling rate 対応率\s+63\.6%\s+66\.9%\s+67\.9%\s+66\.6%\s+67\.0%/);
    expect(demo).toMatch(/handling rate 対応率\s+76\.2%/);
    expect(read('demo.err')).toContain('first run: initialising');
    expect(JSON.parse(read('healthz'))).toEqual({ ok: true });
    expect(JSON.parse(read('readyz'))).toMatchObject({ ok: true });
    expect(read('start.log')).toMatch(/queues: PostgreSQL 127\.0\.0\.1:5439\/deliveryline, schema bullmq/);
    expect(read('start.log')).toMatch(/workers: ingest, router/);
    const jobs = JSON.parse(read('jobs.json')) as { queue: string; workers: number }[];
    expect(jobs.map((q) => [q.queue, q.workers >= 1])).toEqual([
      ['ingest', true],
      ['route', true],
      ['deliver', true],
      ['remind', true],
    ]);
  }, 900_000);
});
