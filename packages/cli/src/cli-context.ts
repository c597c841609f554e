import { openContext, type AppContext } from '@deliveryline/shared';

export class CliError extends Error {}

/** Opens the context for one command and always closes it. */
export async function withContext<T>(fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const ctx = await openContext('dline');
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export { ensurePipelineWorkers } from './wait-list';

export const print = (v: unknown) => process.stdout.write(JSON.stringify(v, null, 2) + '\n');
export const say = (s: string) => process.stderr.write(s + '\n');

export function intArg(name: string) {
  return (v: string) => {
    if (!/^\d+$/.test(v)) throw new CliError(`${name} must be a positive whole number, not "${v}"`);
    return Number(v);
  };
}

/** Source and campaign ids as the database keeps them (0001): checked before anything is stored. */
export function idArg(name: string, example: string) {
  return (v: string) => {
    if (!/^[a-z0-9][a-z0-9_.-]*$/.test(v)) {
      const lower = v.toLowerCase();
      throw new CliError(
        `${name} "${v}" is not an id: use lower-case letters, digits, '_', '.' and '-', starting with a letter or digit` +
          (/^[a-z0-9][a-z0-9_.-]*$/.test(lower) ? ` (did you mean ${lower}?)` : ` (e.g. ${example})`),
      );
    }
    return v;
  };
}
