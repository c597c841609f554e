import fs from 'node:fs';
import path from 'node:path';

/** The published figures (shared/docs/domain.md). */
export const GOZ = {
  id: 'goz-2014',
  name: 'Game Over Zeus 2014',
  source: 'jpcert',
  members: 14,
  rounds: [
    { received: 1320, delivered: 839 },
    { received: 19482, delivered: 13028 },
    { received: 46718, delivered: 31725 },
    { received: 88001, delivered: 58647 },
  ],
} as const;

export const VAWTRAK = {
  id: 'vawtrak-2015',
  name: 'VAWTRAK 2015',
  source: 'mpd',
  members: 16,
  rounds: [{ received: 43565, delivered: 33196 }],
} as const;

export interface CampaignSpec {
  id: string;
  name: string;
  source: string;
  members: number;
  rounds: ReadonlyArray<{ received: number; delivered: number }>;
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same files everywhere. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MOVE_AT = Date.parse('2014-07-01T00:00:00+09:00');

/**
 * A demo registry: member k holds `(101+k).0.0.0/10` and `2400:(100+k)::/32`; member 1 also holds
 * a more specific block inside member 0's; `118.0.0.0/16` moved from member 2 to member 3 on
 * 2014-07-01 (JST); member `isp-left` has left (inactive) and still holds `119.0.0.0/16`.
 */
export function writeRegistry(dir: string, members: number): { membersCsv: string; prefixesCsv: string } {
  fs.mkdirSync(dir, { recursive: true });
  const m = ['member_id,name,contact_email,active'];
  const p = ['member_id,cidr,valid_from,valid_to'];
  for (let k = 0; k < members; k++) {
    const id = `isp-${String(k + 1).padStart(2, '0')}`;
    m.push(`${id},Demo ISP ${k + 1} (デモISP ${k + 1}),noc@${id}.example;abuse@${id}.example,true`);
    p.push(`${id},${101 + k}.0.0.0/10,,`);
    p.push(`${id},2400:${(0x100 + k).toString(16)}::/32,,`);
  }
  p.push(`isp-02,101.1.0.0/16,,`);
  p.push(`isp-03,118.0.0.0/16,,2014-07-01T00:00:00+09:00`);
  p.push(`isp-04,118.0.0.0/16,2014-07-01T00:00:00+09:00,`);
  m.push(`isp-left,Departed ISP (退会ISP),noc@left.example,false`);
  p.push(`isp-left,119.0.0.0/16,,`);
  const membersCsv = path.join(dir, 'members.csv');
  const prefixesCsv = path.join(dir, 'prefixes.csv');
  fs.writeFileSync(membersCsv, m.join('\n') + '\n');
  fs.writeFileSync(prefixesCsv, p.join('\n') + '\n');
  return { membersCsv, prefixesCsv };
}

const v4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const MALWARE = ['GameOverZeus', 'GOZ', 'Zeus P2P', 'ゲームオーバーゼウス'];

/**
 * One list per round in the plain CSV layout (ip,timestamp,port,malware), with exactly
 * `delivered` entries in members' space and `received − delivered` that no member can take,
 * plus noise that must not count: refused rows and exact duplicates.
 */
export function writeRounds(dir: string, spec: CampaignSpec, seed = 2014): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const rand = rng(seed);
  const files: string[] = [];
  let counter = 1;
  spec.rounds.forEach((round, r) => {
    const lines = ['ip,timestamp,port,malware'];
    const base = Date.parse(`2014-06-${String(2 + r * 7).padStart(2, '0')}T00:00:00Z`);
    const entries: string[] = [];
    for (let i = 0; i < round.received; i++) {
      const n = counter++;
      const t = new Date(base + Math.floor(rand() * 6 * 86_400_000)).toISOString().replace('.000Z', 'Z');
      const port = 1024 + Math.floor(rand() * 60000);
      const mal = MALWARE[Math.floor(rand() * MALWARE.length)];
      let ip: string;
      let when = t;
      if (i < round.delivered) {
        const k = n % spec.members;
        const roll = rand();
        if (roll < 0.15)
          ip = `2400:${(0x100 + k).toString(16)}:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::${(1 + (n % 200)).toString(16)}`;
        else if (roll < 0.2 && spec.members > 3) {
          // the moved block: before the move it is member 2's (isp-03), after it member 3's (isp-04)
          ip = v4(((118 << 24) >>> 0) + (n % 65536));
          when = new Date(MOVE_AT + (rand() < 0.5 ? -1 : 1) * (1 + Math.floor(rand() * 10 * 86_400_000))).toISOString();
        } else if (roll < 0.25 && spec.members > 1)
          ip = v4(((101 << 24) >>> 0) + (1 << 16) + (n % 65536)); // isp-02's block inside isp-01's
        else ip = v4((((101 + k) << 24) >>> 0) + (n % (1 << 22)));
      } else {
        const roll = rand();
        if (roll < 0.1)
          ip = `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`; // non_routable
        else if (roll < 0.15)
          ip = v4(((119 << 24) >>> 0) + (n % 65536)); // member_inactive
        else if (roll < 0.25)
          ip = `2a00:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`; // no_member (IPv6)
        else ip = v4(((150 << 24) >>> 0) + n); // no_member
      }
      entries.push(`${ip},${when},${port},${mal}`);
    }
    // shuffle so members' and returned entries interleave, as in a real dump
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [entries[i], entries[j]] = [entries[j], entries[i]];
    }
    entries.forEach((e, i) => {
      lines.push(e);
      if (i % 997 === 5) lines.push(e); // an exact duplicate: collapsed
      if (i % 1499 === 7) lines.push(`192.168.001.${i % 200},2014-06-02T10:00:00Z,80,GOZ`); // leading zero: refused
      if (i % 2503 === 9) lines.push(`not-an-ip,2014-06-02T10:00:00Z,80,GOZ`); // refused
    });
    const file = path.join(dir, `${spec.id}-round${r + 1}.csv`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    files.push(file);
  });
  return files;
}
