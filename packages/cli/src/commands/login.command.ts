import os from 'node:os';
import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import { audit, both, t, userByApiToken } from '@deliveryline/shared';
import { checkCredentials, createToken, portalSettings, revokeToken } from '@deliveryline/isp-portal';
import { CliError, say, withContext } from '../cli-context';
import { keepToken, readKeptToken, tokenFile } from '../cli-user';

/** The password: typed without echo on a terminal, else the first line of standard input (scripts). */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    return text.split(/\r?\n/)[0];
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  const question = `${t('ja', 'cli.login.password')} / ${t('en', 'cli.login.password')}: `;
  process.stderr.write(question);
  muted._writeToOutput = () => undefined;
  const pw = await new Promise<string>((res) => rl.question('', res));
  rl.close();
  process.stderr.write('\n');
  return pw;
}

/**
 * `dline login`: e-mail and password checked as the portal checks them (scrypt; the second factor
 * when the user has one), then an API token of that user kept in ~/.config/deliveryline/token
 * (mode 600); every later command acts as that user. `dline logout` revokes it and removes the file.
 */
export function register(program: Command) {
  program
    .command('login')
    .description('sign in as a portal user (a coordinator); later commands act as that user (or set DLINE_TOKEN)')
    .requiredOption('--email <e-mail>', "the portal user's e-mail")
    .option('--totp <code>', 'the code of the authenticator app, for a user with a second factor')
    .action(async (o: { email: string; totp?: string }) => {
      const password = await readPassword();
      const r = await withContext(async (ctx) => {
        // the portal's own check: the same limits, lock and single-use codes as its sign-in page
        const c = await checkCredentials(ctx.pool, portalSettings(ctx), {
          email: o.email,
          password,
          code: o.totp?.trim(),
          client: `dline@${os.hostname()}`,
        });
        if (!c.ok) {
          await audit(ctx.pool, {
            actor: c.why !== 'limited' && c.user ? `user:${c.user.id}` : 'anonymous',
            action: 'user.signin_failed',
            details: { via: 'dline login', email: o.email, reason: c.why },
          });
          if (c.why === 'limited') throw new CliError(both('cli.login.limited', { until: c.until.toISOString() }));
          if (c.why === 'second-factor-needed' || c.why === 'second-factor')
            throw new CliError(both('cli.login.totpNeeded', { email: o.email }));
          throw new CliError(both('cli.login.failed'));
        }
        const u = { id: Number(c.user.id), email: c.user.email };
        const token = await createToken(ctx.pool, {
          userId: u.id,
          name: `dline on ${os.hostname()}`,
          scope: 'write',
          actor: `user:${u.id}`,
        });
        await audit(ctx.pool, {
          actor: `user:${u.id}`,
          action: 'user.signin',
          object: `token:${token.id}`,
          details: { via: 'dline login' },
        });
        return { email: u.email, file: keepToken(token.token) };
      });
      say(both('cli.login.done', r));
    });
  program
    .command('logout')
    .description('revoke the token dline login kept and remove it')
    .action(async () => {
      const token = readKeptToken();
      if (!token) {
        say(both('cli.logout.none'));
        return;
      }
      await withContext(async (ctx) => {
        const r = await userByApiToken(ctx.pool, token);
        if (r) {
          await revokeToken(ctx.pool, r.user.id, r.tokenId);
          await audit(ctx.pool, {
            actor: `user:${r.user.id}`,
            action: 'token.revoke',
            object: `token:${r.tokenId}`,
            details: { via: 'dline logout' },
          });
        }
      });
      fs.rmSync(tokenFile(), { force: true });
      say(both('cli.logout.done', { file: tokenFile() }));
    });
}
