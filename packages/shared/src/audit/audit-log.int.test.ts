import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { audit, verifyAudit, type AuditProblem } from './audit-log';
import { readCheckpointFile, takeAuditCheckpoint, writeCheckpointFile } from './checkpoint';
import { AUDIT_ALG_LEGACY, AUDIT_GENESIS, auditMac, legacyAuditHash } from '../domain/audit-chain';
import { withTransaction } from '../db/pool';
import { fcRuns, openTestContext, type TestContext } from '../testing';

const KEY = Buffer.from('a-key-of-this-test-only-0123456789abcdef');

describe('audit chain', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await openTestContext();
    ctx.db.allowBrokenAudit(); // these tests break the chain on purpose
  });
  afterAll(() => ctx.close());

  const reset = () => ctx.pool.query('TRUNCATE audit_events, audit_checkpoints');
  const write = (n: number, from = 0) =>
    (async () => {
      for (let i = from; i < from + n; i++)
        await audit(
          ctx.pool,
          { actor: `user:${1 + (i % 3)}`, action: 'batch.download', object: `batch:${i}`, details: { format: 'csv', n: i } },
          KEY,
        );
    })();
  const ids = async (): Promise<number[]> => (await ctx.pool.query('SELECT id::int FROM audit_events ORDER BY id')).rows.map((r) => r.id);
  const problems = async (opts: Parameters<typeof verifyAudit>[1] = {}) => {
    const v = await verifyAudit(ctx.pool, { key: KEY, ...opts });
    expect(v.ok).toBe(v.problems.length === 0);
    return v.problems.map((p: AuditProblem) => ({ id: p.id, kind: p.kind, ...(p.missing ? { missing: p.missing } : {}) }));
  };
  /** the product's own functions without the key: what someone with write access to the table can run */
  async function recomputeFrom(
    id: number,
    hash: (row: { id: number; prev: string; at: string; actor: string; action: string; object: string | null; details: unknown }) => string,
    alg?: string,
  ) {
    const rows = (
      await ctx.pool.query(
        `SELECT id::int, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, action, object, details FROM audit_events WHERE id >= $1 ORDER BY id`,
        [id],
      )
    ).rows;
    let prev =
      (await ctx.pool.query('SELECT hash FROM audit_events WHERE id < $1 ORDER BY id DESC LIMIT 1', [id])).rows[0]?.hash ?? AUDIT_GENESIS;
    for (const r of rows) {
      const h = hash({ ...r, prev });
      await ctx.pool.query('UPDATE audit_events SET prev_hash = $2, hash = $3, alg = coalesce($4, alg) WHERE id = $1', [
        r.id,
        prev,
        h,
        alg ?? null,
      ]);
      prev = h;
    }
  }

  it('verifies an untouched chain, keyed, with no legacy events', async () => {
    await reset();
    await write(5);
    const v = await verifyAudit(ctx.pool, { key: KEY });
    expect(v).toMatchObject({ ok: true, events: 5, legacy: 0, problems: [] });
    expect((await ctx.pool.query(`SELECT DISTINCT alg FROM audit_events`)).rows).toEqual([{ alg: 'hmac-sha256-v2' }]);
    // another key does not verify it: every event's MAC is wrong
    expect((await verifyAudit(ctx.pool, { key: Buffer.from('another-key-0123456789-0123456789') })).problems).toHaveLength(5);
  });

  it('names an edited event, and only that one', async () => {
    await reset();
    await write(6);
    const [, , third] = await ids();
    await ctx.pool.query(`UPDATE audit_events SET details = details || '{"format":"json"}' WHERE id = $1`, [third]);
    expect(await problems()).toEqual([{ id: third, kind: 'edited' }]);
  });

  it('names every edited event, not only the first', async () => {
    await reset();
    await write(6);
    const all = await ids();
    await ctx.pool.query(`UPDATE audit_events SET actor = 'user:99' WHERE id = ANY($1)`, [[all[1], all[4]]]);
    expect(await problems()).toEqual([
      { id: all[1], kind: 'edited' },
      { id: all[4], kind: 'edited' },
    ]);
  });

  it('names an event inserted between two others', async () => {
    await reset();
    await write(2);
    // an id the sequence gave to an append that rolled back: a gap an intruder can fill
    await withTransaction(ctx.pool, async (tx) => {
      await audit(tx, { actor: 'user:1', action: 'x' }, KEY);
      throw new Error('rolled back');
    }).catch(() => undefined);
    await write(2, 2);
    const [first, second, third] = await ids();
    const gap = second + 1;
    expect(third).toBe(gap + 1);
    const prev = (await ctx.pool.query('SELECT hash FROM audit_events WHERE id = $1', [second])).rows[0].hash;
    const content = { at: new Date().toISOString(), actor: 'user:1', action: 'list.approve', object: 'list:1', details: {} };
    await ctx.pool.query(
      `INSERT INTO audit_events (id, at, actor, action, object, details, prev_hash, hash, alg) OVERRIDING SYSTEM VALUE
       VALUES ($1, $2, $3, $4, $5, '{}', $6, $7, 'hmac-sha256-v2')`,
      [gap, content.at, content.actor, content.action, content.object, prev, auditMac(Buffer.from('guessed'), gap, prev, content)],
    );
    expect(first).toBeLessThan(gap);
    expect(await problems()).toEqual([{ id: gap, kind: 'inserted' }]);
  });

  it('names the event after a deletion in the middle, with the ids that are missing', async () => {
    await reset();
    await write(5);
    const all = await ids();
    await ctx.pool.query('DELETE FROM audit_events WHERE id = ANY($1)', [[all[1], all[2]]]);
    expect(await problems()).toEqual([{ id: all[3], kind: 'deleted', missing: [all[1], all[2]] }]);
  });

  it('finds the newest events deleted through a checkpoint kept outside the database', async () => {
    await reset();
    await write(4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-cp-'));
    const file = writeCheckpointFile(path.join(dir, 'cp.json'), await takeAuditCheckpoint(ctx.pool, KEY));
    expect(fs.statSync(file).isFile()).toBe(true);
    const cp = readCheckpointFile(file);
    expect(cp).toMatchObject({ count: 4, legacy: 0 });
    await write(1, 4);
    const all = await ids();
    // the intruder removes the newest events and the database's copies of the checkpoints
    await ctx.pool.query('DELETE FROM audit_events WHERE id >= $1', [all[2]]);
    await ctx.pool.query('DELETE FROM audit_checkpoints');
    expect(await problems()).toEqual([]); // without a checkpoint nothing shows: that is what they are for
    expect(await problems({ checkpoints: [cp] })).toEqual([{ id: all[3], kind: 'missing-after-checkpoint', missing: [all[2], all[3]] }]);
    // the log goes on after the deletion: still caught
    await write(2, 10);
    expect((await problems({ checkpoints: [cp] })).map((p) => p.kind)).toEqual(['missing-after-checkpoint']);
    // a checkpoint whose numbers were changed does not verify
    expect(await problems({ checkpoints: [{ ...cp, lastId: all[1] }] })).toEqual([{ id: all[1], kind: 'bad-checkpoint' }]);
  });

  it('checks the checkpoints kept in the database too', async () => {
    await reset();
    await write(3);
    await takeAuditCheckpoint(ctx.pool, KEY);
    expect(await problems()).toEqual([]);
    const all = await ids();
    await ctx.pool.query('DELETE FROM audit_events WHERE id = $1', [all[2]]);
    expect(await problems()).toEqual([{ id: all[2], kind: 'missing-after-checkpoint', missing: [all[2], all[2]] }]);
  });

  it('names a deletion once when the coordinator’s file and the database hold the same checkpoint', async () => {
    await reset();
    await write(3);
    const cp = await takeAuditCheckpoint(ctx.pool, KEY); // the file's copy; the table keeps its own
    const all = await ids();
    await ctx.pool.query('DELETE FROM audit_events WHERE id = $1', [all[2]]);
    const v = await verifyAudit(ctx.pool, { key: KEY, checkpoints: [cp] });
    expect(v.checkpoints).toBe(2);
    expect(v.problems).toEqual([{ id: all[2], kind: 'missing-after-checkpoint', missing: [all[2], all[2]], checkpointAt: cp.at }]);
  });

  it('fails a chain recomputed with the product’s own functions without the key, naming each rewritten event', async () => {
    await reset();
    await write(5);
    const all = await ids();
    await ctx.pool.query(`UPDATE audit_events SET actor = 'user:99' WHERE id = $1`, [all[2]]);
    // 1. the unkeyed hash of the scheme before 0026, events left as keyed
    await recomputeFrom(all[2], (r) => legacyAuditHash(r.prev, r));
    expect(await problems()).toEqual(all.slice(2).map((id) => ({ id, kind: 'bad-mac' })));
    // 2. the same, the events relabelled as unkeyed (a downgrade)
    await recomputeFrom(all[2], (r) => legacyAuditHash(r.prev, r), AUDIT_ALG_LEGACY);
    expect(await problems()).toEqual(all.slice(2).map((id) => ({ id, kind: 'bad-mac' })));
    // 3. the keyed function with a guessed key
    await recomputeFrom(all[2], (r) => auditMac(Buffer.from('guess'), r.id, r.prev, r), 'hmac-sha256-v2');
    expect(await problems()).toEqual(all.slice(2).map((id) => ({ id, kind: 'edited' })));
  });

  it('verifies events of the unkeyed scheme written before 0026 and counts them', async () => {
    await reset();
    let prev = AUDIT_GENESIS;
    for (let i = 1; i <= 3; i++) {
      const e = { at: `2026-01-0${i}T00:00:00.000Z`, actor: 'cli', action: 'prefix.add', object: null, details: { i } };
      const hash = legacyAuditHash(prev, e);
      await ctx.pool.query(
        `INSERT INTO audit_events (at, actor, action, object, details, prev_hash, hash, alg) VALUES ($1, $2, $3, $4, $5, $6, $7, 'sha256-v1')`,
        [e.at, e.actor, e.action, e.object, JSON.stringify(e.details), prev, hash],
      );
      prev = hash;
    }
    await write(2);
    expect(await verifyAudit(ctx.pool, { key: KEY })).toMatchObject({ ok: true, events: 5, legacy: 3 });
  });

  it('verifies events whose details hold dates, nested values and undefined fields', async () => {
    await reset();
    await audit(
      ctx.pool,
      {
        actor: 'user:1',
        action: 'campaign.settings',
        details: { validFrom: new Date('2014-07-01T00:00:00+09:00'), nested: { list: [1, 'a', null], gone: undefined }, name: undefined },
      },
      KEY,
    );
    expect(await verifyAudit(ctx.pool, { key: KEY })).toMatchObject({ ok: true, events: 1 });
    expect((await ctx.pool.query('SELECT details FROM audit_events')).rows[0].details).toEqual({
      validFrom: '2014-06-30T15:00:00.000Z',
      nested: { list: [1, 'a', null] },
    });
  });

  it('keeps one chain when many appends race', async () => {
    await reset();
    await Promise.all(Array.from({ length: 30 }, (_, i) => audit(ctx.pool, { actor: 'system', action: 'race', details: { i } }, KEY)));
    expect(await verifyAudit(ctx.pool, { key: KEY })).toMatchObject({ ok: true, events: 30, problems: [] });
  });

  it('names the event of one random tamper after random actions', async () => {
    const action = fc.record({
      actor: fc.constantFrom('user:1', 'user:2', 'system', 'token:3'),
      action: fc.constantFrom('list.upload', 'batch.download', 'list.approve', 'campaign.settings'),
      details: fc.dictionary(
        fc.constantFrom('a', 'b', 'n', 'note'),
        fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.constant(undefined)),
      ),
    });
    const tamper = fc.constantFrom('edit-actor', 'edit-details', 'edit-at', 'delete-middle', 'delete-newest', 'recompute');
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 3, maxLength: 12 }), tamper, fc.nat(), async (actions, how, pick) => {
        await reset();
        for (const a of actions) await audit(ctx.pool, a, KEY);
        const cp = await takeAuditCheckpoint(ctx.pool, KEY);
        expect(await problems({ checkpoints: [cp] })).toEqual([]);
        const all = await ids();
        const i = how === 'delete-middle' ? 1 + (pick % (all.length - 2)) : pick % all.length;
        const id = all[i];
        let want: { id: number; kind: string }[];
        if (how === 'edit-actor') {
          await ctx.pool.query(`UPDATE audit_events SET actor = actor || 'x' WHERE id = $1`, [id]);
          want = [{ id, kind: 'edited' }];
        } else if (how === 'edit-details') {
          await ctx.pool.query(`UPDATE audit_events SET details = details || '{"tampered":true}' WHERE id = $1`, [id]);
          want = [{ id, kind: 'edited' }];
        } else if (how === 'edit-at') {
          await ctx.pool.query(`UPDATE audit_events SET at = at - interval '1 day' WHERE id = $1`, [id]);
          want = [{ id, kind: 'edited' }];
        } else if (how === 'delete-middle') {
          await ctx.pool.query('DELETE FROM audit_events WHERE id = $1', [id]);
          // and the checkpoint counted one more event than the log now has up to its head
          want = [
            { id: all[i + 1], kind: 'deleted' },
            { id: all[all.length - 1], kind: 'changed-since-checkpoint' },
          ];
        } else if (how === 'delete-newest') {
          await ctx.pool.query('DELETE FROM audit_events WHERE id >= $1', [id]);
          want = [{ id: all[all.length - 1], kind: 'missing-after-checkpoint' }];
        } else {
          await ctx.pool.query(`UPDATE audit_events SET actor = 'user:99' WHERE id = $1`, [id]);
          await recomputeFrom(id, (r) => legacyAuditHash(r.prev, r));
          want = [...all.slice(i).map((x) => ({ id: x, kind: 'bad-mac' })), { id: all[all.length - 1], kind: 'changed-since-checkpoint' }];
        }
        const got = (await problems({ checkpoints: [cp], useStoredCheckpoints: false })).map(({ id: x, kind }) => ({ id: x, kind }));
        expect(got).toEqual(want);
      }),
      { numRuns: fcRuns(25) },
    );
  });
});
