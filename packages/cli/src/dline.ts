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
    .showHelpAfterError('(dline help <command> shows what it takes)')
    .exitOverride();
  const dir = path.join(__dirname, 'commands');
  // Load only the command being run when its file is named after it (a fast start: `dline report`
  // need not load the portal); anything else (`--help`, `export`, …) loads them all.
  const own = argv[2] && /^[a-z-]+$/.test(argv[2]) ? path.join(dir, `${argv[2]}.command.ts`) : '';
  const files =
    own && fs.existsSync(own)
      ? [own]
      : fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.command.ts'))
          .sort()
          .map((f) => path.join(dir, f));
  for (const f of files) {
    const mod = await import(f);
    mod.register(program);
  }
  await program.parseAsync(argv);
}

/** A user's mistake the database refused (a value of the wrong form, an unknown id): one line, no stack. */
function databaseRefusal(err: {
  code?: string;
  table?: string;
  column?: string;
  constraint?: string;
  detail?: string;
  message?: string;
}): string | null {
  const code = err.code ?? '';
  if (code === '23514' && /_id_check$|_name_check$/.test(err.constraint ?? '')) {
    const what = (err.table ?? 'the').replace(/s$/, '');
    return (
      `a ${what} id must start with a lower-case letter or digit and hold only a-z, 0-9, '_', '.' and '-' (e.g. goz-2014, jpcert); ` +
      `check the ${what} you named${err.detail ? ` (${err.detail})` : ''}`
    );
  }
  if (code === '23503') return `it names something that does not exist: ${err.detail ?? err.message}`;
  if (code === '23505') return `it already exists: ${err.detail ?? err.message}`;
  if (/^2[23]/.test(code)) return `the database refused a value: ${err.message}${err.detail ? ` (${err.detail})` : ''}`;
  return null;
}

main(process.argv).then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    if (err instanceof CommanderError) {
      // --help and --version end well; a usage mistake (unknown command or option, missing argument) is 2
      process.exit(['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code) ? 0 : 2);
    }
    const refused = databaseRefusal(err ?? {});
    const file = err?.code === 'ENOENT' || err?.code === 'EACCES' || err?.code === 'EISDIR' ? err.path : undefined;
    if (
      err instanceof CliError ||
      err instanceof ConfigError ||
      err instanceof RedisUnavailableError ||
      err?.constructor?.name === 'ImportError'
    ) {
      process.stderr.write(`dline: ${err.message}\n`);
    } else if (refused) {
      process.stderr.write(`dline: ${refused}\n`);
    } else if (file) {
      process.stderr.write(
        `dline: ${file}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.code === 'EISDIR' ? 'is a folder, not a file' : 'permission denied'}\n`,
      );
    } else {
      // not the user's doing: a bug, said as one, with what a report needs
      process.stderr.write(
        `dline: internal error (a bug in deliveryline, not something you did; please report it with what follows):\n${err?.stack ?? err}\n`,
      );
      process.exit(1);
    }
    process.exit(2);
  },
);
