import crypto from 'node:crypto';
import type { Command } from 'commander';
import { createUser, allUsers, setUserActive, userByEmail, UserInputError } from '@deliveryline/isp-portal';
import { hasCoordinator } from '@deliveryline/shared';
import { withContext, print, say, CliError } from '../cli-context';
import { cliUser, withUser } from '../cli-user';

export function register(program: Command) {
  const users = program.command('users').description('portal users: coordinators, member ISP staff, sources, viewers');
  users
    .command('add')
    .description('add a user; without --password a strong one is generated and printed once (the first coordinator needs no sign-in)')
    .requiredOption('--email <address>', 'sign-in address')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--role <role>', 'coordinator | member | source | viewer')
    .option('--member <id>', 'the member ISP a member user belongs to')
    .option('--source <id>', 'the source a source user belongs to')
    .option('--password <password>', 'at least 12 characters (or set DLINE_PASSWORD)')
    .option('--language <ja|en>', 'page language before the user picks one', 'ja')
    .option('--json', 'machine output')
    .action(
      async (o: {
        email: string;
        name: string;
        role: string;
        member?: string;
        source?: string;
        password?: string;
        language: string;
        json?: boolean;
      }) => {
        const generated = !o.password && !process.env.DLINE_PASSWORD;
        const password = o.password ?? process.env.DLINE_PASSWORD ?? crypto.randomBytes(15).toString('base64url');
        const id = await withContext(async (ctx) => {
          // the very first coordinator is added without a user (actor `bootstrap`); after that, as a signed-in coordinator
          const actor = (await hasCoordinator(ctx.pool)) ? (await cliUser(ctx)).actor : 'bootstrap';
          try {
            return await createUser(
              ctx.pool,
              { email: o.email, name: o.name, role: o.role as never, org: o.member ?? o.source, password, language: o.language as never },
              actor,
            );
          } catch (e) {
            if (e instanceof UserInputError) throw new CliError(e.message);
            throw e;
          }
        });
        if (o.json) print({ id, email: o.email.toLowerCase(), role: o.role, ...(generated ? { password } : {}) });
        else {
          say(`user ${id} added: ${o.email} (${o.role}${o.member ? ` of ${o.member}` : ''}${o.source ? ` of ${o.source}` : ''})`);
          if (generated) say(`password (shown once): ${password}`);
        }
      },
    );
  users
    .command('list')
    .description('every user with role, organisation and second factor')
    .option('--json', 'machine output')
    .action(async (o: { json?: boolean }) => {
      const rows = await withContext((ctx) => allUsers(ctx.pool));
      const out = rows.map((u) => ({
        id: u.id,
        email: u.email,
        name: u.name,
        role: u.role,
        member: u.member_id,
        source: u.source_id,
        active: u.active,
        totp: !!u.totp_secret,
      }));
      if (o.json) print(out);
      else
        for (const u of out)
          say(
            `${u.id}\t${u.email}\t${u.role}\t${u.member ?? u.source ?? ''}\t${u.active ? 'active' : 'disabled'}${u.totp ? '\ttotp' : ''}`,
          );
    });
  users
    .command('disable <email>')
    .description('stop a user from signing in (sessions end; tokens stop working)')
    .action(async (email: string) => {
      await withUser('write', async (ctx, me) => {
        const u = await userByEmail(ctx.pool, email);
        if (!u) throw new CliError(`no user ${email}`);
        await setUserActive(ctx.pool, u.id, false);
        const { audit } = await import('@deliveryline/shared');
        await audit(ctx.pool, { actor: me.actor, action: 'user.disable', object: `user:${u.id}` });
        say(`user ${email} disabled`);
      });
    });
}
