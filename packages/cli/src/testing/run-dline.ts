import path from 'node:path';
import { spawn } from 'node:child_process';

/** Runs `dline` as a person does, with this environment and (optionally) text on standard input. */
export function runDline(
  env: Record<string, string | undefined>,
  args: string[],
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../dline.ts'), ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(input);
  return new Promise((res) => child.on('exit', (code) => res({ code, stdout, stderr })));
}

/** The environment a test runs `dline` in: its own database, queues and data folder, then `extra`. */
export function dlineEnv(
  ctx: { databaseUrl: string; queues: { prefix: string }; env: { REDIS_URL?: string; dataDir: string } },
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    ...process.env,
    DATABASE_URL: ctx.databaseUrl,
    QUEUE_PREFIX: ctx.queues.prefix,
    REDIS_URL: ctx.env.REDIS_URL,
    LOG_LEVEL: 'silent',
    DATA_DIR: ctx.env.dataDir,
    ...extra,
  };
}
