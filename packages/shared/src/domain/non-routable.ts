import { parseIp } from './ip';

/**
 * Address space no member can hold: entries in it are returned with reason `non_routable`.
 * From the IANA special-purpose registries (RFC 6890 and successors), restricted to blocks
 * that are not globally reachable.
 */
export const NON_ROUTABLE: ReadonlyArray<{ cidr: string; what: string }> = [
  { cidr: '0.0.0.0/8', what: 'this network' },
  { cidr: '10.0.0.0/8', what: 'private (RFC 1918)' },
  { cidr: '100.64.0.0/10', what: 'shared address space for CGNAT (RFC 6598)' },
  { cidr: '127.0.0.0/8', what: 'loopback' },
  { cidr: '169.254.0.0/16', what: 'link-local' },
  { cidr: '172.16.0.0/12', what: 'private (RFC 1918)' },
  { cidr: '192.0.0.0/24', what: 'IETF protocol assignments' },
  { cidr: '192.0.2.0/24', what: 'documentation (TEST-NET-1)' },
  { cidr: '192.88.99.0/24', what: 'deprecated 6to4 relay anycast' },
  { cidr: '192.168.0.0/16', what: 'private (RFC 1918)' },
  { cidr: '198.18.0.0/15', what: 'benchmarking' },
  { cidr: '198.51.100.0/24', what: 'documentation (TEST-NET-2)' },
  { cidr: '203.0.113.0/24', what: 'documentation (TEST-NET-3)' },
  { cidr: '224.0.0.0/4', what: 'multicast' },
  { cidr: '240.0.0.0/4', what: 'reserved (incl. broadcast)' },
  { cidr: '::/128', what: 'unspecified' },
  { cidr: '::1/128', what: 'loopback' },
  { cidr: '::/96', what: 'deprecated IPv4-compatible' },
  { cidr: '64:ff9b:1::/48', what: 'local-use IPv4/IPv6 translation' },
  { cidr: '100::/64', what: 'discard-only' },
  { cidr: '2001::/23', what: 'IETF protocol assignments' },
  { cidr: '2001:db8::/32', what: 'documentation' },
  { cidr: '3fff::/20', what: 'documentation' },
  { cidr: '5f00::/16', what: 'SRv6 SIDs' },
  { cidr: 'fc00::/7', what: 'unique local' },
  { cidr: 'fe80::/10', what: 'link-local' },
  { cidr: 'fec0::/10', what: 'deprecated site-local' },
  { cidr: 'ff00::/8', what: 'multicast' },
];

/**
 * The non-routable block holding an address (canonical text, as `parseIp` gives it), or null.
 * A plain scan: the table is small; the router compiles it into its matcher for the hot path.
 */
export function nonRoutableBlock(ipText: string): { cidr: string; what: string } | null {
  const ip = parseIp(ipText);
  if (!ip.ok) return null;
  const words = ip.family === 4 ? [ip.v4] : ip.words;
  for (const b of NON_ROUTABLE) {
    const [net, lenText] = b.cidr.split('/');
    const n = parseIp(net);
    if (!n.ok || n.family !== ip.family) continue;
    const nw = n.family === 4 ? [n.v4] : n.words;
    let left = Number(lenText);
    let inside = true;
    for (let k = 0; k < words.length && left > 0 && inside; k++, left -= 32) {
      const bits = Math.min(32, left);
      const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
      inside = (words[k] & mask) >>> 0 === (nw[k] & mask) >>> 0;
    }
    if (inside) return b;
  }
  return null;
}
