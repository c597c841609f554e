import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { both, userByApiToken, type AppContext, type NamedUser } from '@deliveryline/shared';
import { CliError, withContext } from './cli-context';

/**
 * The command line acts as a named portal user, never as an anonymous `cli`: the user of the API
 * token in DLINE_TOKEN, or of the one `dline login` keeps in ~/.config/deliveryline/token (mode 600).
 * The audit log names that user (`user:<id>`).
 */
export interface CliUser extends NamedUser {
  actor: string;
  tokenId: number;
}

/** Where `dline login` keeps its token ($XDG_CONFIG_HOME or ~/.config, then deliveryline/token). */
export function tokenFile(): string {
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'deliveryline', 'token');
}

const LOGIN = 'dline login --email <e-mail>';

function storedToken(): { token: string; where: string } | undefined {
  const fromEnv = process.env.DLINE_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, where: 'DLINE_TOKEN' };
  const file = tokenFile();
  if (!fs.existsSync(file)) return undefined;
  const token = fs.readFileSync(file, 'utf8').trim();
  return token ? { token, where: file } : undefined;
}

/**
 * The coordinator this command acts as; a command that changes something asks for `write` (a read
 * token is refused). Without a user it fails with how to sign in, in both languages.
 */
export async function cliUser(ctx: Pick<AppContext, 'pool'>, need: 'read' | 'write' = 'write'): Promise<CliUser> {
  const t = storedToken();
  if (!t) throw new CliError(both('cli.login.needed', { login: LOGIN }));
  const r = await userByApiToken(ctx.pool, t.token);
  if (!r) throw new CliError(both('cli.login.badToken', { where: t.where, login: LOGIN }));
  if (r.user.role !== 'coordinator') throw new CliError(both('cli.login.notCoordinator', { email: r.user.email }));
  if (need === 'write' && r.scope !== 'write') throw new CliError(both('cli.login.readOnly', { where: t.where }));
  return { ...r.user, actor: `user:${r.user.id}`, tokenId: r.tokenId };
}

/** Writes the token for later commands: the folder 700, the file 600. */
export function keepToken(token: string): string {
  const file = tokenFile();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

export function readKeptToken(): string | undefined {
  const file = tokenFile();
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() || undefined : undefined;
}

/** Opens the context for one command as its named user (see cliUser) and always closes it. */
export async function withUser<T>(need: 'read' | 'write', fn: (ctx: AppContext, user: CliUser) => Promise<T>): Promise<T> {
  return withContext(async (ctx) => fn(ctx, await cliUser(ctx, need)));
}
