import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { Worker } from 'bullmq';
import { submitList, getList } from '@deliveryline/shared';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { startIngestWorker } from '../worker';
import { saveSourceProfile } from '../repositories/profile-store.repository';
import { returnedRows } from '../exports/returned-file';
import { gzipOf, xlsxOf, zipOf } from '../testing/fixtures';
import { settled } from '../testing/settled';

const SAMPLES = '/work/shared/samples/shadowserver';

/** Every kind of file a coordinator receives, through the real queue and worker, with exact counts and UTC times. */
describe('parse-list through the ingest worker', () => {
  let ctx: TestContext;
  let workers: Worker[];
  let dir: string;
  beforeAll(async () => {
    ctx = await openTestContext();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-parse-'));
    workers = startIngestWorker(ctx);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  async function ingest(
    name: string,
    bytes: Buffer | string,
    o: { timezone?: string; profile?: string; encoding?: string; source?: string; campaign?: string } = {},
  ) {
    const file = path.join(dir, `${n++}-${name}`);
    fs.writeFileSync(file, bytes);
    const listId = await submitList(ctx, {
      path: file,
      fileName: name,
      sourceId: o.source ?? 'src',
      campaignId: o.campaign ?? `c${n}`,
      ...o,
    });
    // wait for the condition, not for a time: the list leaves parsing
    await settled(ctx.pool, listId);
    const list = (await getList(ctx.pool, listId))!;
    const entries = (
      await ctx.pool.query(
        `SELECT row_no, host(ip) AS ip, observed_at, port, malware, extra FROM entries WHERE list_id = $1 ORDER BY row_no`,
        [listId],
      )
    ).rows;
    const rejects = (
      await ctx.pool.query(`SELECT row_no, line_no, reason, message, raw FROM rejects WHERE list_id = $1 ORDER BY row_no`, [listId])
    ).rows;
    const times = entries.map((e) => (e.observed_at as Date).toISOString());
    return { list, listId, entries, rejects, times };
  }
  const counts = (l: { rows_read: number | null; rejected: number | null; duplicates: number | null; received: number | null }) => [
    l.rows_read,
    l.received,
    l.rejected,
    l.duplicates,
  ];

  it('Shift_JIS, Japanese headers, JST times without offset, CRLF, full-width input', async () => {
    const text =
      'IPアドレス,観測日時,ポート,マルウェア名,備考\r\n' +
      '220.102.13.163,2015/04/20 10:15:30,80,ゲームオーバーゼウス,\r\n' +
      '２２０．１０２．１３．１６４,2015/4/20 9:05,８０８０,ｹﾞｰﾑｵｰﾊﾞｰ　,手入力\r\n' +
      '220.102.13.163,2015/04/20 10:15:30,80,ゲームオーバーゼウス,重複\r\n' +
      '192.168.001.5,2015/04/20 10:15:30,80,x,\r\n' +
      '220.102.13.165,平成27年4月20日 10時15分,,x,\r\n';
    const r = await ingest('police.csv', iconv.encode(text, 'cp932'), { timezone: 'Asia/Tokyo' });
    expect(r.list.state).toBe('parsed');
    expect(counts(r.list)).toEqual([5, 3, 1, 1]);
    expect(r.times).toEqual(['2015-04-20T01:15:30.000Z', '2015-04-20T00:05:00.000Z', '2015-04-20T01:15:00.000Z']);
    expect(r.entries.map((e) => [e.ip, e.port, e.malware])).toEqual([
      ['220.102.13.163', 80, 'ゲームオーバーゼウス'],
      ['220.102.13.164', 8080, 'ゲームオーバー'],
      ['220.102.13.165', null, 'x'],
    ]);
    expect(r.entries[1].extra).toEqual({ 備考: '手入力' });
    expect(r.rejects).toEqual([
      {
        row_no: 4,
        line_no: 5,
        reason: 'ip.leading_zero',
        raw: '192.168.001.5,2015/04/20 10:15:30,80,x,',
        message: 'field "IPアドレス": "192.168.001.5" has a leading zero in an octet (octal or decimal?); write 192.168.1.5',
      },
    ]);
  });

  it('UTF-8 with BOM, ISO times with offsets, IPv6 and IPv4-mapped IPv6', async () => {
    const r = await ingest(
      'cert.csv',
      '\uFEFFip,timestamp,port\r\n2001:DB8::1,2014-06-02T10:15:30+09:00,443\r\n::ffff:203.0.113.9,2014-06-02T01:15:30Z,\r\n',
    );
    expect(counts(r.list)).toEqual([2, 2, 0, 0]);
    expect(r.entries.map((e) => e.ip)).toEqual(['2001:db8::1', '203.0.113.9']);
    expect(r.times).toEqual(['2014-06-02T01:15:30.000Z', '2014-06-02T01:15:30.000Z']);
  });

  it('a real Shadowserver report: profile chosen from the header, timestamps read as UTC whatever --timezone says', async () => {
    const r = await ingest('2021-03-04-event4_sinkhole_http-jp.csv', fs.readFileSync(`${SAMPLES}/event4_sinkhole_http.csv`), {
      timezone: 'Asia/Tokyo',
    });
    expect(r.list.state).toBe('parsed');
    expect(counts(r.list)).toEqual([5, 5, 0, 0]);
    expect(r.times[0]).toBe('2021-03-04T00:00:00.000Z');
    expect(r.entries.map((e) => e.malware)).toEqual(['andromeda', 'andromeda', 'andromeda', expect.any(String), expect.any(String)]);
    expect(r.entries[0]).toMatchObject({ ip: '103.196.1.2', port: 60902 });
    const legacy = await ingest('microsoft_sinkhole.csv', fs.readFileSync(`${SAMPLES}/microsoft_sinkhole.csv`));
    expect(legacy.list.received! + legacy.list.rejected! + legacy.list.duplicates!).toBe(107);
    expect(legacy.entries[0]).toMatchObject({ ip: '77.12.73.138', port: 64742, malware: 'b68-zeroaccess-1-64bit' });
    expect(legacy.times[0]).toBe('2014-09-12T00:00:00.000Z');
  });

  it('refuses a Shadowserver report that is not an infected-host list', async () => {
    const r = await ingest('2021-03-04-event4_sinkhole_http_referer.csv', fs.readFileSync(`${SAMPLES}/event4_sinkhole_http_referer.csv`));
    expect(r.list.state).toBe('failed');
    expect(r.list.failure).toMatch(/^profile\.not_infected_report: report "event4_sinkhole_http_referer" is a referer report/);
    const hp = await ingest('honeypot.csv', fs.readFileSync(`${SAMPLES}/event4_honeypot_brute_force.csv`));
    expect(hp.list.failure).toMatch(/honeypot report/);
    expect(r.entries).toHaveLength(0);
  });

  it('zip and gzip, with exact counts', async () => {
    const csv =
      'ip,observed_at\n203.0.113.1,2015-04-20 10:00:00\n203.0.113.2,2015-04-20 10:00:00\n203.0.113.2,2015-04-20 10:00:00\nbad,2015-04-20 10:00:00\n';
    const z = await ingest('list.zip', zipOf([{ name: 'list.csv', data: csv }]), { timezone: '+09:00' });
    expect(counts(z.list)).toEqual([4, 2, 1, 1]);
    expect(z.times).toEqual(['2015-04-20T01:00:00.000Z', '2015-04-20T01:00:00.000Z']);
    const g = await ingest('list.csv.gz', gzipOf(csv), { timezone: 'UTC' });
    expect(counts(g.list)).toEqual([4, 2, 1, 1]);
    expect(g.times).toEqual(['2015-04-20T10:00:00.000Z', '2015-04-20T10:00:00.000Z']);
  });

  it("xlsx with date cells, read in the list's time zone", async () => {
    const x = await ingest(
      'list.xlsx',
      await xlsxOf([
        ['IPアドレス', '検知日時'],
        ['198.51.100.7', new Date(Date.UTC(2015, 3, 20, 10, 15, 30))],
      ]),
      { timezone: 'Asia/Tokyo' },
    );
    expect(counts(x.list)).toEqual([1, 1, 0, 0]);
    expect(x.times).toEqual(['2015-04-20T01:15:30.000Z']);
  });

  it('a dirty file: every row decided, each reject with its row, line and reason', async () => {
    const text =
      [
        'ip;observed_at;port;malware',
        '203.0.113.1;2015-04-20 10:00;80;goz', // 1 ok
        ';2015-04-20 10:00;80;goz', // 2 ip.empty
        '203.0.113.300;2015-04-20 10:00;80;goz', // 3 ip.invalid
        '"203.0.113.2";"2015-04-20\n10:00";80;goz', // 4 time.invalid, starts on line 5
        '203.0.113.3;2099-01-01 00:00;80;goz', // 5 time.future
        '203.0.113.4;2015-04-20 10:00;70000;goz', // 6 port.invalid
        '203.0.113.5;2015-04-20 10:00;;' + 'x'.repeat(300), // 7 malware.too_long
        '10.0.0.0/8;2015-04-20 10:00;;', // 8 ip.has_prefix
        '203.0.113.1;2015-04-20 10:00;80;goz', // 9 duplicate of 1
        '203.0.113.1;2015-04-20 11:00;80;goz', // 10 ok: same address, another time
        '203.0.113.6;"2015-04-20 10:00;80;goz', // 11 unclosed quote
        '203.0.113.7;1429491600;;', // 12 ok (unix seconds)
      ].join('\r\n') + '\r\n';
    const r = await ingest('dirty.csv', text, { timezone: 'UTC' });
    expect(counts(r.list)).toEqual([12, 3, 8, 1]);
    expect(r.rejects.map((x) => [x.row_no, x.line_no, x.reason])).toEqual([
      [2, 3, 'ip.empty'],
      [3, 4, 'ip.invalid'],
      [4, 5, 'time.invalid'],
      [5, 7, 'time.future'],
      [6, 8, 'port.invalid'],
      [7, 9, 'malware.too_long'],
      [8, 10, 'ip.has_prefix'],
      [11, 13, 'csv.unclosed_quote'],
    ]);
    expect(r.rejects[2].raw).toBe('"203.0.113.2";"2015-04-20\n10:00";80;goz');
    expect(r.times).toEqual(['2015-04-20T10:00:00.000Z', '2015-04-20T11:00:00.000Z', '2015-04-20T01:00:00.000Z']);
  });

  it('rejects each naive row when no time zone is known and keeps the rest; a future row is a reject quoting the file', async () => {
    const text = 'ip,time\n203.0.113.1,2015-04-20T10:00:00+09:00\n203.0.113.2,2015/04/20 10:00\n203.0.113.3,2099-01-01T00:00:00+09:00\n';
    const r = await ingest('mixed-naive.csv', text);
    expect(r.list.state).toBe('parsed');
    expect(counts(r.list)).toEqual([3, 1, 2, 0]);
    expect(r.rejects.map((x) => [x.row_no, x.reason])).toEqual([
      [2, 'time.naive_without_zone'],
      [3, 'time.future'],
    ]);
    expect(r.rejects[0].message).toContain('"2015/04/20 10:00"');
    expect(r.rejects[1].message).toContain('"2099-01-01T00:00:00+09:00"');
    expect(r.rejects[1].message).not.toContain('2098-12-31T15:00');
  });

  it('fails a list none of whose rows can be read because every time is naive, saying what to choose; the same file is then taken again', async () => {
    const text = 'ip,time\n203.0.113.1,2015-04-20 10:00\n';
    const r = await ingest('naive.csv', text, { campaign: 'naive-retry' });
    expect(r.list.state).toBe('failed');
    expect(r.list.failure).toMatch(/^list\.naive_times: no row could be read: .*\(row 1, line 2\).*time zone field or with --timezone/);
    expect(r.entries).toHaveLength(0);
    // as the message says: upload again with --timezone, in the same campaign
    const again = await ingest('naive.csv', text, { campaign: 'naive-retry', timezone: 'Asia/Tokyo' });
    expect(again.listId).not.toBe(r.listId);
    expect(counts(again.list)).toEqual([1, 1, 0, 0]);
    expect(again.times).toEqual(['2015-04-20T01:00:00.000Z']);
    // a list that did not fail still holds its file in the campaign
    await expect(ingest('naive.csv', text, { campaign: 'naive-retry', timezone: 'Asia/Tokyo' })).rejects.toThrow(
      `this file was already uploaded to campaign naive-retry as list ${again.listId}; nothing was added`,
    );
    expect((await getList(ctx.pool, r.listId))!.state).toBe('failed');
  });

  it("a source's own profile from the database is chosen from the header", async () => {
    await ctx.pool.query(`INSERT INTO sources (id, name) VALUES ('isp-x', 'x') ON CONFLICT DO NOTHING`);
    await saveSourceProfile(ctx.pool, 'isp-x', {
      name: 'isp-x',
      fields: { ip: ['端末アドレス'], observedAt: ['発生時刻'], port: [], malware: ['種別'] },
      timezone: 'Asia/Tokyo',
      detect: ['端末アドレス', '種別'],
    });
    const r = await ingest('x.csv', '端末アドレス,発生時刻,種別\n203.0.113.9,2015/04/20 10:00,mirai\n', { source: 'isp-x' });
    expect((r.list as unknown as { read_as: string }).read_as).toBe('utf-8/csv(,) profile=isp-x');
    expect(r.times).toEqual(['2015-04-20T01:00:00.000Z']);
    expect(r.entries[0].malware).toBe('mirai');
  });

  it("the returned file keeps the source's layout for a Shift_JIS zip", async () => {
    const text = 'IPアドレス,観測日時,備考\r\n203.0.113.1,2015/04/20 10:00,一\r\n203.0.113.2,2015/04/20 10:00,二\r\n';
    const r = await ingest('ret.zip', zipOf([{ name: 'ret.csv', data: iconv.encode(text, 'cp932') }]), { timezone: 'Asia/Tokyo' });
    await ctx.pool.query(`INSERT INTO routes (list_id, seq, state, reason) VALUES ($1, 2, 'returned', 'no_member')`, [r.listId]);
    let out = '';
    for await (const s of returnedRows(ctx.pool, r.listId)) out += s;
    expect(out.replace(/\r\n/g, '\n')).toBe('IPアドレス,観測日時,備考,return_reason\n203.0.113.2,2015/04/20 10:00,二,no_member\n');
  });

  it('a list of more than 100,000 entries gets a partition of its own, attached with every index; repeats are found across partitions', async () => {
    const first = await ingest('first.csv', 'ip,observed_at,port\n10.0.0.5,2015-04-20 10:00:00,5\n', {
      timezone: 'UTC',
      campaign: 'takedown',
    });
    const rows = ['ip,observed_at,port'];
    for (let i = 0; i < 120_000; i++) rows.push(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255},2015-04-20 10:00:00,${i % 60000}`);
    rows.push(rows[1], 'bad,2015-04-20 10:00:00,80'); // a duplicate, a reject
    const big = await ingest('big.csv', rows.join('\n') + '\n', { timezone: 'UTC', campaign: 'takedown' });
    expect(counts(big.list)).toEqual([120_002, 120_000, 1, 1]);
    const part = `entries_l${big.listId}`;
    const q = async (sql: string, params: unknown[] = []) => (await ctx.pool.query(sql, params)).rows;
    expect(
      (await q(`SELECT inhrelid::regclass::text AS t FROM pg_inherits WHERE inhparent = 'entries'::regclass`)).map((r) => r.t),
    ).toContain(part);
    // the partition's three indexes are the parent's, attached, not built twice
    expect(
      await q(
        `SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                     WHERE c.relname LIKE $1 AND i.inhparent::regclass::text IN ('entries_id_idx', 'entries_list_seq_idx', 'entries_ip_idx')`,
        [`${part}_%`],
      ),
    ).toEqual([{ n: 3 }]);
    expect(
      await q(`SELECT count(*)::int AS n, count(DISTINCT seq)::int AS seqs, max(seq) AS last, count(DISTINCT id)::int AS ids FROM ${part}`),
    ).toEqual([{ n: 120_000, seqs: 120_000, last: 120_000, ids: 120_000 }]);
    expect(await q(`SELECT count(*)::int AS n FROM entries_shared WHERE list_id = $1`, [big.listId])).toEqual([{ n: 0 }]);
    expect(big.entries[0]).toMatchObject({ row_no: 1, ip: '10.0.0.0', port: 0 });
    // marked before the partition was attached: the one entry an earlier list of the campaign holds
    const firstId = (await q('SELECT id FROM entries WHERE list_id = $1', [first.listId]))[0].id;
    expect(await q(`SELECT host(ip) AS ip, repeat_of FROM entries WHERE list_id = $1 AND repeat_of IS NOT NULL`, [big.listId])).toEqual([
      { ip: '10.0.0.5', repeat_of: firstId },
    ]);

    // a small list of the same campaign: stored in the default partition, its repeats point into the big list's
    const small = await ingest('small.csv', `ip,observed_at,port\n10.0.1.2,2015-04-20 10:00:00,258\n10.9.9.9,2015-04-20 10:00:00,1\n`, {
      timezone: 'UTC',
      campaign: 'takedown',
    });
    expect(counts(small.list)).toEqual([2, 2, 0, 0]);
    const marks = await q(
      `SELECT host(n.ip) AS ip, p.list_id AS from_list, host(p.ip) AS from_ip, n.tableoid::regclass::text AS t
         FROM entries n LEFT JOIN entries p ON p.id = n.repeat_of WHERE n.list_id = $1 ORDER BY n.row_no`,
      [small.listId],
    );
    expect(marks).toEqual([
      { ip: '10.0.1.2', from_list: big.listId, from_ip: '10.0.1.2', t: 'entries_shared' },
      { ip: '10.9.9.9', from_list: null, from_ip: null, t: 'entries_shared' },
    ]);
    const ids = await q(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM entries WHERE list_id IN ($1, $2)`, [
      big.listId,
      small.listId,
    ]);
    expect(ids[0].n).toBe(ids[0].d);
  });

  it('a list of several windows keeps every entry exactly as written (encoded in their own thread, two windows in flight)', async () => {
    // four windows: the first encoded here, the rest in the encoding thread, whose memory is reused from the fourth on
    const n = 330_000;
    const malware = ['goz', 'vawtrak', 'ゼウス'];
    const rows = ['ip,observed_at,port,malware,note'];
    const want: string[] = [];
    for (let i = 0; i < n; i++) {
      const ip =
        i % 6
          ? `${11 + (i % 200)}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
          : `2001:db8:${((i >> 16) + 1).toString(16)}::${((i & 0xffff) + 1).toString(16)}`;
      const t = new Date(Date.UTC(2015, 3, 1) + ((i * 7919) % 2_592_000) * 1000).toISOString().replace('.000Z', 'Z');
      const port = i % 5 ? String((i * 13) % 65536) : '';
      const note = i % 1000 ? '' : `n${i}`;
      rows.push(`${ip},${t},${port},${malware[i % 3]},${note}`);
      want.push(`${i + 1}|${ip}|${t}|${port}|${malware[i % 3]}|${note ? JSON.stringify({ note }) : ''}`);
    }
    const big = await ingest('windows.csv', rows.join('\n') + '\n', { campaign: 'windows' });
    expect(counts(big.list)).toEqual([n, n, 0, 0]);
    const got = big.entries.map(
      (e, k) =>
        `${e.row_no}|${e.ip}|${big.times[k].replace('.000Z', 'Z')}|${e.port ?? ''}|${e.malware}|${e.extra ? JSON.stringify(e.extra) : ''}`,
    );
    expect(got.length).toBe(n);
    expect(got.filter((g, k) => g !== want[k]).slice(0, 3)).toEqual([]);
    // seq numbers every entry once, and ascends with (ip, observed_at) within each window
    const seq = (
      await ctx.pool.query(`SELECT count(DISTINCT seq)::int AS d, min(seq) AS lo, max(seq) AS hi FROM entries WHERE list_id = $1`, [
        big.listId,
      ])
    ).rows[0];
    expect(seq).toEqual({ d: n, lo: 1, hi: n });
  });

  it('a list of a few entries and many refused rows stays in the shared partition (the rejects fill their chunk first)', async () => {
    const rows = ['ip,observed_at,port', '203.0.113.7,2015-04-20 10:00:00,80'];
    for (let i = 0; i < 25_000; i++) rows.push(`bad-${i},2015-04-20 10:00:00,80`); // more than INGEST_COPY_CHUNK (20,000)
    rows.push('203.0.113.8,2015-04-20 10:00:00,80');
    const r = await ingest('mostly-bad.csv', rows.join('\n') + '\n', { timezone: 'UTC' });
    expect(counts(r.list)).toEqual([25_002, 2, 25_000, 0]);
    expect(r.entries.map((e) => e.ip)).toEqual(['203.0.113.7', '203.0.113.8']);
    const where = await ctx.pool.query(`SELECT DISTINCT tableoid::regclass::text AS t FROM entries WHERE list_id = $1`, [r.listId]);
    expect(where.rows).toEqual([{ t: 'entries_shared' }]);
    const own = await ctx.pool.query(`SELECT to_regclass($1) AS t`, [`entries_l${r.listId}`]);
    expect(own.rows).toEqual([{ t: null }]);
  });

  it('a big list that fails while its first window is being stored leaves no table of its own behind', async () => {
    // the first window (100,000 entries) goes to its own table while the parsing goes on; one
    // row past MAX_ROWS then fails the list, often while that table is still being made or filled
    const rows = ['ip,observed_at,port'];
    for (let i = 0; i < 180_001; i++) rows.push(`11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255},2015-04-20T10:00:00Z,${i % 60000}`);
    const env = ctx.env as { MAX_ROWS: number };
    const max = env.MAX_ROWS;
    env.MAX_ROWS = 180_000;
    let r;
    try {
      r = await ingest('fails-late.csv', rows.join('\n') + '\n');
    } finally {
      env.MAX_ROWS = max;
    }
    expect(r.list.state).toBe('failed');
    expect(r.list.failure).toMatch(/^file\.too_many_rows: /);
    // what the list's sends were doing when it failed has ended before the table is dropped
    const own = await ctx.pool.query(`SELECT to_regclass($1) AS t`, [`entries_l${r.listId}`]);
    expect(own.rows).toEqual([{ t: null }]);
    expect(r.entries).toEqual([]);
    expect(r.rejects).toEqual([]);
  });
});
