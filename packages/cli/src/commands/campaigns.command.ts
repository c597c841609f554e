import type { Command } from 'commander';
import { listCampaignSettings, setCampaignSettings, TLPS } from '@deliveryline/shared';
import { withContext, print, say, CliError } from '../cli-context';
import { withUser } from '../cli-user';

function dueDays(v: string): number | null {
  if (v === 'default') return null;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 365)
    throw new CliError(`--due-days must be 1–365 business days or "default", not "${v}"`);
  return Number(v);
}
function approval(v: string): boolean | null {
  if (v === 'default') return null;
  if (v === 'required' || v === 'on') return true;
  if (v === 'off') return false;
  throw new CliError(`--approval must be required, off or default, not "${v}"`);
}
function tlp(v: string): string {
  const t = v.toLowerCase().replace(/^tlp:/, '');
  if (!(TLPS as readonly string[]).includes(t)) throw new CliError(`--tlp must be one of ${TLPS.join(', ')}, not "${v}"`);
  return t;
}

export function register(program: Command) {
  const campaigns = program
    .command('campaigns')
    .description('campaigns and their delivery settings (due days, approval, TLP)')
    .option('--json', 'machine output: [{ id, name, tlp, dueDays, approvalRequired }]')
    .action(async (o: { json?: boolean }) => {
      const rows = await withContext((ctx) => listCampaignSettings(ctx.pool));
      if (o.json) {
        print(rows);
        return;
      }
      for (const c of rows) {
        process.stdout.write(
          `${c.id}\t${c.name}\tTLP:${c.tlp.toUpperCase()}\tdue ${c.dueDays ?? 'default'} business days\tapproval ${c.approvalRequired == null ? 'default' : c.approvalRequired ? 'required' : 'off'}\n`,
        );
      }
    });
  campaigns
    .command('set <campaign>')
    .description('change a campaign\'s delivery settings (audit event); "default" falls back to DEFAULT_DUE_DAYS / APPROVAL_REQUIRED')
    .option('--name <name>', 'the name members see, e.g. "GOZ 2014"')
    .option('--due-days <n>', 'Japanese business days from release to the due date, or default', dueDays)
    .option('--approval <mode>', 'required | off | default', approval)
    .option('--tlp <label>', `sharing label for new lists: ${TLPS.join(', ')}`, tlp)
    .option('--json', 'machine output: the campaign after the change')
    .action(async (id: string, o: { name?: string; dueDays?: number | null; approval?: boolean | null; tlp?: string; json?: boolean }) => {
      const c = await withUser('write', (ctx, user) =>
        setCampaignSettings(ctx.pool, id, { name: o.name, tlp: o.tlp, dueDays: o.dueDays, approvalRequired: o.approval }, user.actor),
      );
      if (o.json) print(c);
      else
        say(
          `${c.id}: "${c.name}", TLP:${c.tlp.toUpperCase()}, due ${c.dueDays ?? 'default'} business days, approval ${c.approvalRequired == null ? 'default' : c.approvalRequired ? 'required' : 'off'}`,
        );
    });
}
