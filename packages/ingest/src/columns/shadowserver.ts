import { HeaderError, normaliseHeader, type Profile } from './profile';

/**
 * Shadowserver report layout (see docs formats.md): `timestamp` in UTC without an offset, the
 * host in `src_ip` (legacy `ip`), its port in `src_port` (legacy `port`), the family in
 * `family`, `infection` or `tag` (legacy HTTP sinkhole reports: `type`). Only infected-host
 * reports are lists of infected terminals: a scan, honeypot or referer report describes other
 * things, so the profile refuses them — by report type from the file name
 * (`YYYY-MM-DD-<report>[-suffix].csv`) when it has one, else from the header.
 */
export const SHADOWSERVER: Profile = {
  name: 'shadowserver',
  fields: {
    ip: ['src_ip', 'ip'],
    observedAt: ['timestamp'],
    port: ['src_port', 'port'],
    malware: ['family', 'infection', 'tag'],
  },
  timezone: 'UTC',
  detect: [],
};

/** Infected-host reports (Shadowserver's sinkhole and drone reports, v4 "event" and legacy names). */
const INFECTED = new Set([
  'botnet_drone',
  'botnet_drone_hadoop',
  'sinkhole_http_drone',
  'microsoft_sinkhole',
  'drone',
  'event4_sinkhole',
  'event6_sinkhole',
  'event4_sinkhole_http',
  'event6_sinkhole_http',
  'event4_sinkhole_dns',
  'event6_sinkhole_dns',
  'event4_microsoft_sinkhole',
  'event6_microsoft_sinkhole',
  'event4_microsoft_sinkhole_http',
  'event6_microsoft_sinkhole_http',
  'event4_ddos_participant',
]);

/** Not infected-host lists, named for a clear refusal; any other unknown report name is refused too. */
const OTHER: [RegExp, string][] = [
  [/_http_referer$/, 'a referer report (the address is the referring web site, not an infected host)'],
  [/honeypot|brute_force/, 'a honeypot report (attacks seen by honeypots)'],
  [/^scan6?_|^event[46]_scan|_scan$/, 'a scan report (exposed services, not infections)'],
  [/blocklist|spam|phish|compromised_website|ip_spoofer|amplification|darknet/, 'not an infected-host report'],
];

/** The report type in a Shadowserver file name, or null when the name is not one. */
export function reportType(fileName: string): string | null {
  const base = fileName
    .split(/[\\/]/)
    .pop()!
    .toLowerCase()
    .replace(/(\.(csv|txt|tsv|gz|zip))+$/, '');
  const m = /^(?:\d{4}-\d{2}-\d{2}-)?([a-z0-9]+(?:_[a-z0-9]+)+)(?:-[a-z0-9_.-]*)?$/.exec(base);
  return m ? m[1] : null;
}

/** Shadowserver's header: quoted snake_case names with `timestamp` and their geo/ASN columns. */
export function looksLikeShadowserver(header: string[]): boolean {
  const h = new Set(header.map(normaliseHeader));
  const host = h.has('src_ip') || h.has('ip') || h.has('http_referer_ip');
  const geo = [
    'asn',
    'src_asn',
    'geo',
    'src_geo',
    'naics',
    'src_naics',
    'public_source',
    'http_referer_asn',
    'src_hostname',
    'device_vendor',
  ].some((c) => h.has(c));
  // a trimmed export still says `src_ip` + `src_port` + `infection`/`family`, which generic lists do not
  const event = h.has('src_ip') && h.has('src_port') && (h.has('infection') || h.has('family'));
  return h.has('timestamp') && host && (geo || event);
}

/** Throws unless the file is an infected-host report; returns the extra malware columns its layout uses. */
export function checkShadowserverReport(header: string[], fileName: string): string[] {
  const h = new Set(header.map(normaliseHeader));
  const type = reportType(fileName);
  const refuse = (what: string) => {
    throw new HeaderError(
      'profile.not_infected_report',
      `${type ? `report "${type}"` : 'this Shadowserver report'} is ${what}; only infected-host reports ` +
        `(sinkhole, drone, e.g. event4_sinkhole_http, botnet_drone) are lists of infected terminals`,
    );
  };
  const legacyHttp = h.has('type') && h.has('http_agent') && !h.has('infection');
  if (type && !INFECTED.has(type)) {
    const known = OTHER.find(([re]) => re.test(type));
    if (known) refuse(known[1]);
    if (/^(event[46]_|botnet|sinkhole|microsoft|scan|honeypot|drone)/.test(type)) refuse('not a report type this profile knows');
  }
  if (!h.has('src_ip') && !h.has('ip')) {
    refuse(h.has('http_referer_ip') ? OTHER[0][1] : 'without a host address column (src_ip or ip)');
  }
  if (!type || !INFECTED.has(type)) {
    if (['username', 'password', 'client_version', 'payload_url'].some((c) => h.has(c))) refuse(OTHER[1][1]);
    if (!h.has('infection') && !h.has('family') && !legacyHttp) refuse('without an infection or family column (a scan report?)');
  }
  return legacyHttp ? ['type'] : [];
}
