#!/usr/bin/env tsx
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, RedisUnavailableError } from '@deliveryline/shared';
import { CliError } from './cli-context';

/**
 * dline — the coordinator's command line. Every command lives in commands/<name>.command.ts and
 * exports `register(program)`; they are found here by name, so adding one touches no index.
 * Machine output (--json) goes to stdout alone; logs and messages go to stderr.
 */
// `dline export 1 | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

async function main(argv: string[]) {
  const program = new Command('dline')
    .description('deliveryline: infected-host lists in, per-ISP batches out, exact handling rates')
    .showHelpAfterError()
    .exitOverride();
  const dir = path.join(__dirname, 'commands');
  // Load only the command being run when its file is named after it (a fast start: `dline report`
  // need not load the portal); anything else (`--help`, `export`, …) loads them all.
  const own = argv[2] && /^[a-z-]+$/.test(argv[2]) ? path.join(dir, `${argv[2]}.command.ts`) : '';
  const files = own && fs.existsSync(own)
    ? [own]
    : fs.readdirSync(dir).filter((f) => f.endsWith('.command.ts')).sort().map((f) => path.join(dir, f));
  for (const f of files) {
    const mod = await import(f);
    mod.register(program);
  }
  await program.parseAsync(argv);
}

main(process.argv).then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof CliError || err instanceof ConfigError || err instanceof RedisUnavailableError) {
      process.stderr.write(`dline: ${err.message}\n`);
    } else if (err?.constructor?.name === 'ImportError') {
      process.stderr.write(`dline: ${err.message}\n`);
    } else {
      process.stderr.write(`dline: ${err?.stack ?? err}\n`);
    }
    process.exit(1);
  },
);
