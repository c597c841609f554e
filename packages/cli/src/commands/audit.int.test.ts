import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { openTestContext, until, type TestContext } from '@deliveryline/shared/testing';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, importMembers, importPrefixes, type Mailer } from '@deliveryline/router';
import { dlineEnv, runDline } from '../testing/run-dline';

/**
 * The command line as a named user: the first coordinator is added without one, then every command
 * that changes or reads sensitive data acts as the user signed in (`dline login`, DLINE_TOKEN);
 * the four-eyes rule holds on the CLI path; the audit log verifies after ordinary work, and
 * `dline audit verify --checkpoint` names what was deleted or edited, in both languages.
 */
describe('dline as a named user, four eyes and the audit log', () => {
  let ctx: TestContext;
  let workers: Worker[];
  let dir: string;
  let xdg: string;
  const PW = 'correct horse battery staple';
  const mailer: Mailer = { send: async () => ({ messageId: '1', response: '250 ok' }), close: () => undefined };
  const dline = (extra: Record<string, string>, args: string[], input = '') =>
    runDline(dlineEnv(ctx, { XDG_CONFIG_HOME: xdg, DLINE_TOKEN: '', ...extra }), args, input);
  const userId = async (email: string) => Number((await ctx.pool.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id);
  const lastEvent = async (action: string) =>
    (await ctx.pool.query('SELECT actor, object, details FROM audit_events WHERE action = $1 ORDER BY id DESC LIMIT 1', [action])).rows[0];
  let bobToken: string;
  let listId: number;

  beforeAll(async () => {
    ctx = await openTestContext();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-audit-cli-'));
    xdg = path.join(dir, 'config');
    fs.writeFileSync(path.join(dir, 'members.csv'), 'member_id,name,contact_email\nisp-a,ISP A,abuse@isp-a.example\n');
    fs.writeFileSync(path.join(dir, 'prefixes.csv'), 'member_id,cidr\nisp-a,133.1.0.0/16\n');
    fs.writeFileSync(
      path.join(dir, 'list.csv'),
      'ip,observed_at,port,malware\n133.1.0.5,2014-06-02T10:00:00Z,4431,goz\n8.8.8.8,2014-06-02T10:03:00Z,80,goz\nnot-an-ip,2014-06-02T10:03:00Z,80,goz\n',
    );
    await importMembers(ctx.pool, path.join(dir, 'members.csv'), { actor: 'system' });
    await importPrefixes(ctx.pool, path.join(dir, 'prefixes.csv'), { actor: 'system' });
    workers = [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })];
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adds the first coordinator without a user; after that a command without one says how to sign in', async () => {
    const noUser = await dline({}, ['campaigns', 'set', 'goz', '--tlp', 'red']);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain('dline login');
    expect(noUser.stderr).toContain('ログイン');
    const first = await dline({ DLINE_PASSWORD: PW }, [
      'users',
      'add',
      '--email',
      'alice@t.example',
      '--name',
      'Alice',
      '--role',
      'coordinator',
    ]);
    expect(first.code).toBe(0);
    expect(await lastEvent('user.add')).toMatchObject({ actor: 'bootstrap' });
    const second = await dline({ DLINE_PASSWORD: PW }, [
      'users',
      'add',
      '--email',
      'bob@t.example',
      '--name',
      'Bob',
      '--role',
      'coordinator',
    ]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('dline login');
  });

  it('signs in with e-mail and password, keeps the token with mode 600 and acts as that user', async () => {
    const wrong = await dline({}, ['login', '--email', 'alice@t.example'], 'not the password\n');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('wrong e-mail or password');
    expect(await lastEvent('user.signin_failed')).toMatchObject({ details: { via: 'dline login', reason: 'password' } });
    const ok = await dline({}, ['login', '--email', 'alice@t.example'], `${PW}\n`);
    expect(ok.code).toBe(0);
    const file = path.join(xdg, 'deliveryline', 'token');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const alice = await userId('alice@t.example');
    const bob = await dline({ DLINE_PASSWORD: PW }, ['users', 'add', '--email', 'bob@t.example', '--name', 'Bob', '--role', 'coordinator']);
    expect(bob.code).toBe(0);
    expect(await lastEvent('user.add')).toMatchObject({ actor: `user:${alice}` });
    const t = await dline({}, ['tokens', 'create', '--user', 'bob@t.example', '--name', 'bob cli', '--scope', 'write', '--json']);
    bobToken = JSON.parse(t.stdout).token;
    expect(await lastEvent('token.create')).toMatchObject({ actor: `user:${alice}` });
  });

  it('keeps the chain intact after campaigns set with fields left out (the old false alarm)', async () => {
    const set = await dline({}, ['campaigns', 'set', 'goz', '--tlp', 'red', '--due-days', '5', '--approval', 'required']);
    expect(set.code).toBe(0);
    expect(await lastEvent('campaign.settings')).toMatchObject({ actor: `user:${await userId('alice@t.example')}` });
    const v = await dline({}, ['audit', 'verify']);
    expect(v.stderr).toContain('audit log intact');
    expect(v.stderr).toContain('監査ログは正常です');
    expect(v.code).toBe(0);
  });

  it('records the CLI uploader as user:<id> and refuses its own approval; a second coordinator releases it', async () => {
    const alice = await userId('alice@t.example');
    const up = await dline({}, ['ingest', path.join(dir, 'list.csv'), '--source', 'jpcert', '--campaign', 'goz', '--json']);
    expect(up.code).toBe(0);
    listId = JSON.parse(up.stdout).listId;
    expect((await ctx.pool.query('SELECT uploaded_by FROM lists WHERE id = $1', [listId])).rows[0].uploaded_by).toBe(`user:${alice}`);
    const state = async () => (await ctx.pool.query('SELECT state FROM lists WHERE id = $1', [listId])).rows[0].state;
    await until('awaiting approval', async () => (await state()) === 'awaiting_approval');
    const self = await dline({}, ['approve', String(listId)]);
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('approval.same_person');
    const other = await dline({ DLINE_TOKEN: bobToken }, ['approve', String(listId), '--json']);
    expect(other.code).toBe(0);
    expect(JSON.parse(other.stdout)).toEqual({ listId, approvedBy: 'bob@t.example' });
    expect(await lastEvent('list.approve')).toMatchObject({ actor: `user:${await userId('bob@t.example')}` });
    await until('released', async () => (await state()) === 'released');
  });

  it('records who read exports, returned entries and rejects', async () => {
    const bob = `user:${await userId('bob@t.example')}`;
    const batch = (await ctx.pool.query('SELECT id FROM batches WHERE list_id = $1', [listId])).rows[0].id;
    for (const [args, action, object] of [
      [['export', String(batch)], 'batch.export', `batch:${batch}`],
      [['returned', String(listId)], 'list.returned.read', `list:${listId}`],
      [['rejects', String(listId), '--json'], 'list.rejects.read', `list:${listId}`],
    ] as const) {
      const r = await dline({ DLINE_TOKEN: bobToken }, [...args]);
      expect(r.code).toBe(0);
      expect(await lastEvent(action)).toMatchObject({ actor: bob, object });
    }
  });

  it('verifies after this work; a checkpoint shows the newest events deleted, and every edited event is named', async () => {
    const ok = await dline({}, ['audit', 'verify', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, legacy: 0, problems: [] });
    const file = path.join(dir, 'cp.json');
    const cp = await dline({}, ['audit', 'checkpoint', '--out', file]);
    expect(cp.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ kind: 'deliveryline-audit-checkpoint', scheme: 'hmac-sha256' });

    ctx.db.allowBrokenAudit(); // from here on the chain is broken on purpose
    const ids = (await ctx.pool.query('SELECT id::int FROM audit_events ORDER BY id')).rows.map((r) => r.id);
    const newest = ids.slice(-2);
    await ctx.pool.query('DELETE FROM audit_events WHERE id = ANY($1)', [newest]);
    await ctx.pool.query('DELETE FROM audit_checkpoints');
    await ctx.pool.query(`UPDATE audit_events SET actor = 'user:999' WHERE id = $1`, [ids[3]]);
    const broken = await dline({}, ['audit', 'verify', '--checkpoint', file]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('audit log BROKEN');
    expect(broken.stderr).toContain('監査ログに問題があります');
    expect(broken.stderr).toContain(`event ${ids[3]}: edited`);
    expect(broken.stderr).toContain(`event ${newest[1]}: missing after checkpoint`);
    expect(broken.stderr).toContain(`(ids ${newest[0]}–${newest[1]})`);
    expect(broken.stderr).toContain('チェックポイント後の欠落');
    const notAFile = await dline({}, ['audit', 'verify', '--checkpoint', path.join(dir, 'members.csv')]);
    expect(notAFile.code).toBe(2);
    expect(notAFile.stderr).toContain('members.csv');
  });
});
