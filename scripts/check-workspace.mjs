// Checks of the workspace that no compiler or linter makes (run by `pnpm lint`):
// 1. no two migrations share a number (files already applied are never renamed, so the three
//    0005 files of 0.1.0 stay as they are; any other shared number fails);
// 2. a third-party package that more than one package uses takes its version from the workspace
//    catalog (`catalog:` in package.json, the version in pnpm-workspace.yaml);
// 3. a package imports a sibling only if its package.json declares it.
import fs from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const problems = [];

const KNOWN_SHARED_NUMBERS = new Map([['0005', ['0005_delivery-languages.sql', '0005_delivery.sql', '0005_outcomes-bulk.sql']]]);
const migrations = fs.readdirSync(path.join(root, 'packages/shared/migrations')).filter((f) => f.endsWith('.sql'));
const byNumber = new Map();
for (const f of migrations) {
  const n = /^(\d{4})_/.exec(f)?.[1];
  if (!n) problems.push(`migration ${f}: its name does not start with a four-digit number and an underscore`);
  else byNumber.set(n, [...(byNumber.get(n) ?? []), f]);
}
for (const [n, files] of byNumber) {
  if (files.length < 2) continue;
  const known = KNOWN_SHARED_NUMBERS.get(n) ?? [];
  const extra = files.filter((f) => !known.includes(f));
  if (extra.length)
    problems.push(
      `migrations share the number ${n}: ${files.join(', ')} (a migration already applied keeps its name: give the newer one the next free number, ${String(Math.max(...[...byNumber.keys()].map(Number)) + 1).padStart(4, '0')})`,
    );
}

const packagesDir = path.join(root, 'packages');
const pkgs = fs.readdirSync(packagesDir).filter((d) => fs.existsSync(path.join(packagesDir, d, 'package.json')));
const manifests = [
  ...pkgs.map((d) => [`packages/${d}`, JSON.parse(fs.readFileSync(path.join(packagesDir, d, 'package.json'), 'utf8'))]),
  ['.', JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))],
];
const users = new Map();
for (const [where, m] of manifests) {
  for (const kind of ['dependencies', 'devDependencies']) {
    for (const [dep, version] of Object.entries(m[kind] ?? {})) {
      if (dep.startsWith('@deliveryline/')) continue;
      users.set(dep, [...(users.get(dep) ?? []), { where, version }]);
    }
  }
}
for (const [dep, uses] of users) {
  if (uses.length < 2) continue;
  const own = uses.filter((u) => u.version !== 'catalog:');
  if (own.length)
    problems.push(
      `${dep} is used by ${uses.map((u) => u.where).join(', ')}: declare its version once in the catalog of pnpm-workspace.yaml and write "catalog:" in ${own.map((u) => `${u.where}/package.json`).join(', ')}`,
    );
}

function* tsFiles(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}
for (const d of pkgs) {
  const m = JSON.parse(fs.readFileSync(path.join(packagesDir, d, 'package.json'), 'utf8'));
  const declared = new Set([m.name, ...Object.keys(m.dependencies ?? {}), ...Object.keys(m.devDependencies ?? {})]);
  for (const f of tsFiles(path.join(packagesDir, d, 'src'))) {
    for (const [, name] of fs.readFileSync(f, 'utf8').matchAll(/from '(@deliveryline\/[a-z-]+)(?:\/[a-z-]+)?'/g)) {
      if (!declared.has(name))
        problems.push(`${path.relative(root, f)} imports ${name}, which packages/${d}/package.json does not declare`);
    }
  }
}

if (problems.length) {
  for (const p of problems) console.error(`check-workspace: ${p}`);
  process.exit(1);
}
console.log(`check-workspace: ${migrations.length} migrations, ${users.size} third-party packages, ${pkgs.length} packages: fine`);
