import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/**
 * What can be checked of docker/ without a container engine: the compose file parses and says
 * what the README says, every image tag is pinned, and the Dockerfile has its layers in order.
 */
const root = path.resolve(__dirname, '../../..');
const dir = path.join(root, 'docker');
type Service = {
  image?: string;
  build?: unknown;
  profiles?: string[];
  environment?: Record<string, string>;
  command?: string[];
  deploy?: { replicas?: number };
};

describe('docker/', () => {
  const compose = YAML.parse(fs.readFileSync(path.join(dir, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  };
  const s = compose.services;

  it('compose runs the app with PostgreSQL (queues in it), Redis and worker replicas under profiles', () => {
    expect(Object.keys(s).sort()).toEqual(['app', 'ingest-worker', 'mail', 'postgres', 'redis', 'router-worker']);
    for (const name of ['app', 'postgres', 'mail']) expect(s[name].profiles).toBeUndefined();
    expect(s.redis.profiles).toEqual(['redis']);
    expect(s['router-worker'].profiles).toEqual(['workers']);
    expect(s['router-worker'].deploy?.replicas).toBeGreaterThan(1);
    for (const name of ['app', 'ingest-worker', 'router-worker']) {
      expect(s[name].environment?.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
      // unset by default (queues in PostgreSQL); the same value everywhere when set
      expect(s[name].environment?.REDIS_URL).toBe('${REDIS_URL:-}');
    }
  });

  it('pins every image tag', () => {
    const images = [
      ...Object.values(s)
        .map((x) => x.image)
        .filter((i): i is string => !!i),
      ...[...fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8').matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]),
    ];
    for (const image of images.filter((i) => i !== 'deliveryline:local')) expect(image).toMatch(/^[\w./-]+:(v?\d+\.\d+[\w.-]*)$/);
  });

  it('Dockerfile: dependencies in their own layer, non-root, Chromium and a Japanese font, a HEALTHCHECK', () => {
    const lines = fs
      .readFileSync(path.join(dir, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'));
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const install = at(/pnpm install --frozen-lockfile/);
    expect(at(/^COPY .*pnpm-lock\.yaml/)).toBeLessThan(install);
    for (const p of ['shared', 'ingest', 'router', 'isp-portal', 'cli'])
      expect(at(new RegExp(`^COPY .*packages/${p}/package\\.json`))).toBeLessThan(install);
    expect(at(/^COPY .*packages packages/)).toBeGreaterThan(install);
    expect(at(/^USER (?!root)\w+/)).toBeGreaterThan(-1);
    expect(at(/^USER (?!root)\w+/)).toBeLessThan(install);
    expect(lines.join('\n')).toMatch(/chromium/);
    expect(lines.join('\n')).toMatch(/fonts-ipafont-gothic/);
    expect(lines.join('\n')).toMatch(/^HEALTHCHECK [^\n]*(\\\n[^\n]*)*CMD \[/m);
    expect(lines.some((l) => /^(CMD|ENTRYPOINT) \[/.test(l))).toBe(true);
    // every package the workspace has gets its manifest copied before the install
    const pkgs = fs.readdirSync(path.join(root, 'packages')).filter((p) => fs.existsSync(path.join(root, 'packages', p, 'package.json')));
    for (const p of pkgs) expect(lines.some((l) => l.includes(`packages/${p}/package.json`))).toBe(true);
  });
});
