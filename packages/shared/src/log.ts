import pino from 'pino';

/** Logs go to stderr so that stdout stays for machine output (`--json`). */
export function createLogger(name: string, level: string = 'info') {
  return pino({ name, level, base: { name } }, pino.destination(2));
}
export type Logger = ReturnType<typeof createLogger>;
