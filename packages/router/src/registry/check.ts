import {
  both,
  changedHands,
  expiredWithArrivals,
  membersWithoutContacts,
  membersWithoutPrefixes,
  nestedAcrossMembers,
  prefixesAt,
  type ChangedHands,
  type ExpiredWithArrivals,
  type NestedHolding,
  type Queryable,
} from '@deliveryline/shared';
import { jst } from './prefix-plan';

/** The registry's data-quality report (`dline prefixes check`). Findings, not errors: each may be intended. */
export interface RegistryCheck {
  nested: NestedHolding[];
  changedHands: ChangedHands[];
  membersWithoutContacts: string[];
  membersWithoutPrefixes: string[];
  expiredWithArrivals: ExpiredWithArrivals[];
}

export async function checkRegistry(db: Queryable): Promise<RegistryCheck> {
  return {
    nested: await nestedAcrossMembers(db),
    changedHands: await changedHands(db),
    membersWithoutContacts: await membersWithoutContacts(db),
    membersWithoutPrefixes: await membersWithoutPrefixes(db),
    expiredWithArrivals: await expiredWithArrivals(db),
  };
}

const when = (d: Date | string | null, open: string) => (d ? jst(d) : open);

/** The report as text, bilingual headings, one finding per line. */
export function formatCheck(c: RegistryCheck): string {
  const out: string[] = [];
  const section = (title: string, lines: string[]) => {
    out.push(`${title} (${lines.length})`);
    out.push(...(lines.length ? lines.map((l) => `  ${l}`) : ['  —']));
  };
  section(
    both('check.nested'),
    c.nested.map((n) => `${n.inner_cidr} (${n.inner_member}) inside ${n.outer_cidr} (${n.outer_member})`),
  );
  section(
    both('check.changedHands'),
    c.changedHands.map(
      (h) => `${h.cidr}: ${h.holders.map((x) => `${x.member_id} ${when(x.valid_from, '…')}–${when(x.valid_to, '…')}`).join(', ')}`,
    ),
  );
  section(both('check.noContacts'), c.membersWithoutContacts);
  section(both('check.noPrefixes'), c.membersWithoutPrefixes);
  section(
    both('check.expired'),
    c.expiredWithArrivals.map(
      (g) =>
        `${g.cidr} of ${g.member_id} ended ${when(g.valid_to, '')}: ${g.entries} entries in ${g.lists} list(s) since, last observed ${when(g.last_observed, '')}`,
    ),
  );
  return out.join('\n');
}

/** The registry as a prefix CSV (the import's format): every row, or the holdings valid at one moment. */
export async function exportPrefixes(db: Queryable, at: Date | null): Promise<string> {
  const rows = await prefixesAt(db, at);
  const iso = (d: Date | null) => (d ? jst(d) : '');
  return (
    ['member_id,cidr,valid_from,valid_to', ...rows.map((r) => `${r.member_id},${r.cidr},${iso(r.valid_from)},${iso(r.valid_to)}`)].join(
      '\n',
    ) + '\n'
  );
}
