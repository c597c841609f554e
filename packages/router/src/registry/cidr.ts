import { parseIp } from '@deliveryline/shared';
import { wordsOf } from '../lpm/lpm';

export interface ParsedCidr {
  family: 4 | 6;
  network: bigint;
  /** the network as uint32 words: [v4] or four big-endian words for IPv6 */
  words: number[];
  length: number;
  text: string;
}

export type CidrResult = ({ ok: true } & ParsedCidr) | { ok: false; code: string; message: string };

function toBigint(ip: Extract<ReturnType<typeof parseIp>, { ok: true }>): bigint {
  if (ip.family === 4) return BigInt(ip.v4);
  const [a, b, c, d] = ip.words;
  return (BigInt(a) << 96n) | (BigInt(b) << 64n) | (BigInt(c) << 32n) | BigInt(d);
}

function fromBigint(v: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((v >> s) & 0xffffn).toString(16));
  const r = parseIp(groups.join(':'));
  return r.ok ? r.text : groups.join(':');
}

/** Parses `network/length`; a prefix with host bits set is refused with the network it probably meant. */
export function parseCidr(raw: string): CidrResult {
  const s = raw.trim();
  const slash = s.indexOf('/');
  if (slash < 0) return { ok: false, code: 'cidr.no_length', message: `"${s}" has no prefix length (write e.g. ${s}/24)` };
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!ip.ok) return { ok: false, code: 'cidr.invalid', message: `"${s}": ${ip.message}` };
  const max = ip.family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
    return { ok: false, code: 'cidr.bad_length', message: `"${s}": the prefix length must be 0–${max}` };
  }
  const length = Number(lenText);
  const value = toBigint(ip);
  const hostBits = BigInt(max - length);
  const network = (value >> hostBits) << hostBits;
  if (network !== value) {
    return {
      ok: false,
      code: 'cidr.host_bits',
      message: `"${s}" has host bits set; the network is ${fromBigint(network, ip.family)}/${length}`,
    };
  }
  return { ok: true, family: ip.family, network, words: wordsOf(network, ip.family), length, text: `${ip.text}/${length}` };
}
