import type { Command } from 'commander';
import { previewRelease, sendReleaseTest, mailerFromEnv, PreviewError } from '@deliveryline/router';
import { intArg, CliError, print, say } from '../cli-context';
import { withUser } from '../cli-user';

export function register(program: Command) {
  program
    .command('preview <list>')
    .description(
      'before release: what each member would receive (counts, e-mail text, first rows); --send-to mails the whole release to a test address instead',
    )
    .option('--rows <n>', 'first rows shown per member', intArg('--rows'), 5)
    .option('--send-to <address>', "test mode: send every member's message to this address only (recorded; nothing is released)")
    .option(
      '--json',
      'machine output: { listId, members: [{ memberId, entries, relapses, mail: { to, subject, text }, firstRows }] } or the test-send results',
    )
    .action(async (listArg: string, o: { rows: number; sendTo?: string; json?: boolean }) => {
      const listId = intArg('LIST')(listArg);
      await withUser('write', async (ctx, user) => {
        try {
          if (o.sendTo) {
            const mailer = mailerFromEnv(ctx.env);
            try {
              const results = await sendReleaseTest(ctx, mailer, listId, { to: o.sendTo, actor: user.actor });
              if (o.json) print(results);
              else for (const r of results) say(`${r.memberId}: ${r.status} → ${o.sendTo} (${r.response})`);
              if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
            } finally {
              mailer.close();
            }
            return;
          }
          const p = await previewRelease(ctx, listId, { actor: user.actor, rows: o.rows });
          if (o.json) {
            print(p);
            return;
          }
          const out: string[] = [
            `list ${p.listId} (${p.state}) ${p.campaign}${p.round ? ` round ${p.round}` : ''} ${p.tlp}: ${p.delivered} delivered to ${p.members.length} members, ${p.returned} returned`,
          ];
          for (const m of p.members) {
            out.push(
              '',
              `=== ${m.memberId} (${m.memberName}): ${m.entries} entries, ${m.relapses} relapses; to ${m.contacts.join(', ') || '(no contact!)'}${m.webhook ? ' + webhook' : ''}`,
              `Subject: ${m.mail.subject}`,
              '',
              m.mail.text,
              '',
              'first rows:',
            );
            for (const r of m.firstRows) out.push(`  ${r.ip}\t${r.port ?? ''}\t${r.observedAtJst}\t${r.malware ?? ''}`);
          }
          process.stdout.write(out.join('\n') + '\n');
        } catch (err) {
          if (err instanceof PreviewError) throw new CliError(`${err.message} [${err.code}]`);
          throw err;
        }
      });
    });
}
