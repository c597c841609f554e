import type { Command } from 'commander';
import { listSources } from '@deliveryline/shared';
import { setSourceSettings, SourceSettingsError } from '@deliveryline/ingest';
import { withContext, print, say, CliError } from '../cli-context';
import { withUser } from '../cli-user';

const onOff = (v: string | undefined, what: string) => {
  if (v === undefined) return undefined;
  if (v !== 'on' && v !== 'off') throw new CliError(`${what}: say on or off, not "${v}"`);
  return v === 'on';
};

export function register(program: Command) {
  const sources = program
    .command('sources')
    .description('the sources that send lists and their defaults (time zone, profile, anonymity, name)');
  sources
    .command('list', { isDefault: true })
    .description('every source with its settings (the default)')
    .option('--json', 'JSON array')
    .action(async (o: { json?: boolean }) => {
      const rows = await withContext((ctx) => listSources(ctx.pool));
      if (o.json)
        return void print(
          rows.map((s) => ({
            id: s.id,
            name: s.name,
            kind: s.kind,
            timezone: s.default_timezone,
            profile: s.default_profile,
            anonymous: s.anonymous,
            lists: s.lists,
            lastEncoding: s.last_encoding,
          })),
        );
      if (!rows.length) return void say('no sources yet: the first upload of a source creates it, or dline sources set ID --name NAME');
      process.stdout.write(
        [
          'id\tname\tkind\ttimezone\tprofile\tanonymous\tlists',
          ...rows.map((s) =>
            [s.id, s.name, s.kind, s.default_timezone ?? '-', s.default_profile ?? '-', s.anonymous ? 'yes' : 'no', s.lists].join('\t'),
          ),
        ].join('\n') + '\n',
      );
    });
  sources
    .command('set <source>')
    .description(
      "change a source's defaults (a new id is created); an empty value clears a default. Naive times in its lists are read in --timezone unless the upload names one",
    )
    .option('--timezone <tz>', 'IANA zone or offset for times without one, e.g. Asia/Tokyo (JST) or +09:00; "" clears')
    .option('--profile <name>', 'the profile its files are read with (built-in: generic, shadowserver, or its own); "" clears')
    .option('--name <name>', 'the name shown to coordinators')
    .option('--kind <kind>', 'jpcert, police, feed or other')
    .option('--anonymous <on|off>', 'on: members never learn its name (e-mails, exports, webhooks)')
    .option('--json', 'print the source as JSON')
    .action(
      async (id: string, o: { timezone?: string; profile?: string; name?: string; kind?: string; anonymous?: string; json?: boolean }) => {
        const patch = {
          timezone: o.timezone,
          profile: o.profile,
          name: o.name,
          kind: o.kind,
          anonymous: onOff(o.anonymous, '--anonymous'),
        };
        if (Object.values(patch).every((v) => v === undefined))
          throw new CliError('say what to change: --timezone, --profile, --name, --kind or --anonymous');
        const row = await withUser('write', async (ctx, user) => {
          try {
            await setSourceSettings(ctx, id, patch, user.actor);
          } catch (e) {
            if (e instanceof SourceSettingsError) throw new CliError(`source ${id}: ${e.message}`);
            throw e;
          }
          return (await listSources(ctx.pool)).find((s) => s.id === id)!;
        });
        if (o.json)
          return void print({
            id: row.id,
            name: row.name,
            kind: row.kind,
            timezone: row.default_timezone,
            profile: row.default_profile,
            anonymous: row.anonymous,
          });
        say(
          `source ${row.id} (${row.name}): time zone ${row.default_timezone ?? 'none'}, profile ${row.default_profile ?? 'chosen from the header'}, ${row.anonymous ? 'anonymous' : 'named to members'}`,
        );
      },
    );
}
