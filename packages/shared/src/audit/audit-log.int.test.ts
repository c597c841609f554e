import { audit, verifyAudit } from './audit-log';
import { openTestContext, type TestContext } from '../testing';

describe('audit chain', () => {
  let ctx: TestContext;
  beforeAll(async () => (ctx = await openTestContext()));
  afterAll(() => ctx.close());

  it('verifies an untouched chain and finds an edited or deleted event', async () => {
    for (let i = 0; i < 5; i++)
      await audit(ctx.pool, { actor: 'user:1', action: 'batch.download', object: `batch:${i}`, details: { format: 'csv', n: i } });
    expect(await verifyAudit(ctx.pool)).toEqual({ ok: true, events: 5 });

    await ctx.pool.query(`UPDATE audit_events SET actor = 'user:2' WHERE object = 'batch:2'`);
    const edited = await verifyAudit(ctx.pool);
    expect(edited.ok).toBe(false);
    expect(edited.brokenAt?.reason).toMatch(/changed/);

    await ctx.pool.query(`UPDATE audit_events SET actor = 'user:1' WHERE object = 'batch:2'`);
    expect((await verifyAudit(ctx.pool)).ok).toBe(true);
    await ctx.pool.query(`DELETE FROM audit_events WHERE object = 'batch:3'`);
    const deleted = await verifyAudit(ctx.pool);
    expect(deleted.ok).toBe(false);
    expect(deleted.brokenAt?.reason).toMatch(/deleted/);
  });

  it('verifies events whose details hold dates and nested values', async () => {
    await ctx.pool.query('TRUNCATE audit_events');
    await audit(ctx.pool, {
      actor: 'cli',
      action: 'prefix.add',
      details: { validFrom: new Date('2014-07-01T00:00:00+09:00'), nested: { list: [1, 'a', null] } },
    });
    expect(await verifyAudit(ctx.pool)).toEqual({ ok: true, events: 1 });
  });

  it('keeps one chain when many appends race', async () => {
    await ctx.pool.query('TRUNCATE audit_events');
    await Promise.all(Array.from({ length: 30 }, (_, i) => audit(ctx.pool, { actor: 'system', action: 'race', details: { i } })));
    expect(await verifyAudit(ctx.pool)).toEqual({ ok: true, events: 30 });
  });
});
