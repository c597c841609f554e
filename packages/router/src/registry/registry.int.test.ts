import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { loadPrefixes } from '@deliveryline/shared';
import { importMembers } from './member-import';
import { importPrefixes } from './prefix-import';
import { ImportError } from './import';
import { buildMatcher } from './matcher';
import { checkRegistry, exportPrefixes } from './check';

let ctx: TestContext;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-'));
const csv = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};
const jst = (d: string) => new Date(`${d}T00:00:00+09:00`).getTime();

async function refused(p: Promise<unknown>): Promise<ImportError> {
  const err = await p.catch((e) => e);
  expect(err).toBeInstanceOf(ImportError);
  return err as ImportError;
}

beforeAll(async () => {
  ctx = await openTestContext();
  await importMembers(
    ctx.pool,
    csv(
      'members.csv',
      'member_id,name,contact_email,active,joined_on,left_on\n' +
        'ocn,NTT OCN,abuse@ocn.example\n' +
        'kddi,KDDI,abuse@kddi.example\n' +
        'sbb,SoftBank,abuse@sbb.example;noc@sbb.example\n' +
        'gone,Gone ISP,abuse@gone.example,true,2015-01-01,2023-12-31\n' +
        'quiet,Quiet ISP,,,\n',
    ),
  );
  await importPrefixes(
    ctx.pool,
    csv(
      'p1.csv',
      'member_id,cidr,valid_from,valid_to\n' +
        'ocn,153.128.0.0/9,,\n' +
        'kddi,153.139.0.0/16,,\n' + // more specific prefix of another member: allowed, wins
        'sbb,126.0.0.0/8,,2024-04-01\n' +
        'kddi,126.0.0.0/8,2024-04-01,\n' +
        'gone,60.32.0.0/12,,\n' +
        'ocn,2400:4050::/30,,\n' +
        'kddi,2001:240::/32,,\n',
    ),
  );
});
afterAll(async () => {
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('registry import and routing', () => {
  it('routes by the holder at the observation time, the longest prefix, and the reasons', async () => {
    const m = await buildMatcher(ctx.pool);
    expect(m.route('153.129.1.1', jst('2024-05-01'))).toEqual({ state: 'delivered', memberId: 'ocn' });
    expect(m.route('153.139.0.1', jst('2024-05-01'))).toEqual({ state: 'delivered', memberId: 'kddi' });
    expect(m.route('126.1.2.3', jst('2024-03-31'))).toEqual({ state: 'delivered', memberId: 'sbb' });
    expect(m.route('126.1.2.3', jst('2024-04-01'))).toEqual({ state: 'delivered', memberId: 'kddi' });
    expect(m.route('60.32.0.1', jst('2020-01-01'))).toEqual({ state: 'returned', reason: 'member_inactive' });
    expect(m.route('2400:4050::1', jst('2024-01-01'))).toEqual({ state: 'delivered', memberId: 'ocn' });
    expect(m.route('2400:4054::1', jst('2024-01-01'))).toEqual({ state: 'returned', reason: 'no_member' });
    expect(m.route('100.64.1.1', jst('2024-01-01'))).toEqual({ state: 'returned', reason: 'non_routable' });
    expect(m.route('fd00::1', jst('2024-01-01'))).toEqual({ state: 'returned', reason: 'non_routable' });
    expect(m.route('8.8.8.8', jst('2024-01-01'))).toEqual({ state: 'returned', reason: 'no_member' });
  });

  it('refuses a file with line, field and fix, and imports nothing of it', async () => {
    const before = (await loadPrefixes(ctx.pool)).length;
    const err = await refused(
      importPrefixes(
        ctx.pool,
        csv(
          'bad.csv',
          'member_id,cidr,valid_from,valid_to\n' +
            'ocn,203.0.113.5/24,,\n' +
            'ocn,1.2.3.4.5/24,,\n' +
            'nobody,1.0.0.0/24,,\n' +
            'ocn,1.1.1.0/24,2024-01-01,2023-01-01\n' +
            'ocn,8.8.8.0/24,,\n',
        ),
      ),
    );
    expect(err.errors.map((e) => [e.line, e.field, e.code])).toEqual([
      [2, 'cidr', 'cidr.host_bits'],
      [3, 'cidr', 'cidr.invalid'],
      [4, 'member_id', 'member.unknown'],
      [5, 'valid_to', 'date.order'],
    ]);
    expect(err.message).toContain('the network is 203.0.113.0/24');
    expect((await loadPrefixes(ctx.pool)).length).toBe(before);
  });

  it('refuses one prefix held by two members over overlapping times, in the file or against the registry', async () => {
    const inFile = await refused(
      importPrefixes(
        ctx.pool,
        csv('twice.csv', 'member_id,cidr,valid_from,valid_to\nocn,27.80.0.0/12,2020-01-01,\nkddi,27.80.0.0/12,2022-01-01,2023-01-01\n'),
      ),
    );
    expect(inFile.errors[0]).toMatchObject({ line: 3, code: 'prefix.overlap' });
    expect(inFile.errors[0].message).toContain('line 2 of this file');
    const vsRegistry = await refused(
      importPrefixes(ctx.pool, csv('over.csv', 'member_id,cidr,valid_from,valid_to\nocn,126.0.0.0/8,2023-06-01,2024-06-01\n')),
    );
    expect(vsRegistry.errors[0].message).toMatch(/held by (sbb|kddi)/);
  });

  it('shows a move in a dry run, then closes the old holding and adds the new one, with audit events', async () => {
    const file = csv('move.csv', 'member_id,cidr,valid_from,valid_to\nsbb,153.139.0.0/16,2025-01-01,\n');
    const dry = await importPrefixes(ctx.pool, file, { dryRun: true });
    expect(dry.lines).toEqual([
      expect.stringContaining('close 153.139.0.0/16 of kddi at 2025-01-01'),
      expect.stringContaining('add 153.139.0.0/16 → sbb'),
    ]);
    expect((await loadPrefixes(ctx.pool)).filter((p) => p.cidr === '153.139.0.0/16')).toHaveLength(1);
    const auditBefore = (await ctx.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action LIKE 'prefix.%'`)).rows[0].n;
    const done = await importPrefixes(ctx.pool, file);
    expect([done.added, done.closed]).toEqual([1, 1]);
    const rows = (await loadPrefixes(ctx.pool)).filter((p) => p.cidr === '153.139.0.0/16');
    expect(rows.map((r) => [r.member_id, r.valid_to?.toISOString() ?? null])).toEqual([
      ['kddi', '2024-12-31T15:00:00.000Z'],
      ['sbb', null],
    ]);
    const auditAfter = (await ctx.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action LIKE 'prefix.%'`)).rows[0].n;
    expect(auditAfter - auditBefore).toBe(2);
    const m = await buildMatcher(ctx.pool);
    expect(m.route('153.139.9.9', jst('2024-12-31'))).toEqual({ state: 'delivered', memberId: 'kddi' });
    expect(m.route('153.139.9.9', jst('2025-01-01'))).toEqual({ state: 'delivered', memberId: 'sbb' });
  });

  it('exports what re-imports unchanged, and the holdings at a date', async () => {
    const all = await exportPrefixes(ctx.pool, null);
    const again = await importPrefixes(ctx.pool, csv('export.csv', all));
    expect([again.added, again.closed, again.unchanged]).toEqual([0, 0, all.trim().split('\n').length - 1]);
    const at = await exportPrefixes(ctx.pool, new Date(jst('2024-03-01')));
    expect(at).toContain('sbb,126.0.0.0/8');
    expect(at).not.toContain('kddi,126.0.0.0/8');
  });

  it('ends a holding when the file gives it a valid_to', async () => {
    const r = await importPrefixes(ctx.pool, csv('end.csv', 'member_id,cidr,valid_from,valid_to\nkddi,2001:240::/32,,2026-01-01\n'));
    expect(r.closed).toBe(1);
    const m = await buildMatcher(ctx.pool);
    expect(m.route('2001:240::1', jst('2025-12-31'))).toEqual({ state: 'delivered', memberId: 'kddi' });
    expect(m.route('2001:240::1', jst('2026-01-01'))).toEqual({ state: 'returned', reason: 'no_member' });
  });

  it('reads the usual other column names and dates written with slashes or without a zone as JST', async () => {
    const r = await importPrefixes(ctx.pool, csv('alias.csv', 'Member,Prefix,From,To\nsbb,219.96.0.0/12,2024/04/01,2025-04-01 12:00\n'));
    expect(r.added).toBe(1);
    const row = (await loadPrefixes(ctx.pool)).find((p) => p.cidr === '219.96.0.0/12')!;
    expect([row.valid_from?.toISOString(), row.valid_to?.toISOString()]).toEqual(['2024-03-31T15:00:00.000Z', '2025-04-01T03:00:00.000Z']);
  });

  it('reports nested prefixes, changed hands and members without contacts or prefixes', async () => {
    const c = await checkRegistry(ctx.pool);
    expect(c.nested).toContainEqual({
      inner_member: 'kddi',
      inner_cidr: '153.139.0.0/16',
      outer_member: 'ocn',
      outer_cidr: '153.128.0.0/9',
    });
    expect(c.changedHands.map((h) => h.cidr)).toEqual(expect.arrayContaining(['126.0.0.0/8', '153.139.0.0/16']));
    expect(c.membersWithoutContacts).toEqual(['quiet']);
    expect(c.membersWithoutPrefixes).toContain('quiet');
  });

  it('records member changes in the audit log and treats a member past its left_on as inactive', async () => {
    const r = await importMembers(
      ctx.pool,
      csv('m2.csv', 'member_id,name,contact_email,left_on\nquiet,Quiet ISP,abuse@quiet.example,2020-01-01\n'),
    );
    expect(r.updated).toBe(1);
    const ev = (await ctx.pool.query(`SELECT details FROM audit_events WHERE action = 'member.update' AND object = 'member:quiet'`)).rows;
    expect(ev[0].details.before.contact_emails).toEqual([]);
    expect(ev[0].details.after.contact_emails).toEqual(['abuse@quiet.example']);
  });
});
