/**
 * `run init [DIR] [--inventory ts|yaml] [--ucware] [--from SPEC]`: scaffolds a playbook
 * repository. An existing package.json is completed (the dependency, scripts, "type"), never
 * replaced; any other file that exists is left alone and named. The dependency is the spec the
 * user installed this package from (a tarball path, `file:`, a git URL): the package is not
 * published, so a bare registry name could fetch a stranger's package.
 *
 * `--ucware` copies the example fleet inventory (the user's data) and wires the packaged
 * upgrade/configure-v5 playbooks rather than copying them: those are this project's procedure,
 * fixed and improved with each release, and a copy would freeze the admin on the version of
 * the day they ran init.
 *
 * @example
 * npx --no-install run init                       # here, a .ts inventory
 * npx --no-install run init fleet --ucware        # a UCware fleet repository in ./fleet
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../model/errors.ts';
import * as t from './initTemplates.ts';

interface PackageJson {
  name?: string;
  type?: string;
  private?: boolean;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export async function initMain(args: string[], write: (l: string) => void = console.log): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { inventory: { type: 'string' }, ucware: { type: 'boolean' }, from: { type: 'string' } },
  });
  if (positionals.length > 1) throw new UsageError('run init [DIR] [--inventory ts|yaml] [--ucware] [--from SPEC]');
  const inventory = v.inventory ?? 'ts';
  if (inventory !== 'ts' && inventory !== 'yaml') throw new UsageError(`--inventory must be ts or yaml, not "${inventory}"`);
  const dest = resolve(positionals[0] ?? '.');
  const s: t.Scaffold = { inventory, ucware: !!v.ucware };
  const spec = v.from ? rebase(v.from, process.cwd(), dest) : installedSpec(dest);
  mkdirSync(dest, { recursive: true });
  const report = { created: [] as string[], kept: [] as string[] };
  write(completePackageJson(dest, spec, s));
  const files: Record<string, string> = {
    'tsconfig.json': t.tsconfig((JSON.parse(readFileSync(join(dest, 'package.json'), 'utf8')) as PackageJson).type === 'module'),
    '.gitignore': t.gitignore(),
    'README.md': t.readme(s, spec),
    'playbooks/vars.ts': t.vars(),
    [t.inventoryFile(s)]: s.ucware ? t.fleetInventory() : s.inventory === 'ts' ? t.tsInventory() : t.yamlInventory(),
  };
  if (!s.ucware) files['playbooks/site.ts'] = t.sitePlaybook();
  for (const [rel, text] of Object.entries(files)) {
    const f = join(dest, rel);
    if (existsSync(f)) {
      report.kept.push(rel);
      continue;
    }
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, text);
    report.created.push(rel);
  }
  if (report.created.length) write(`created: ${report.created.join(', ')}`);
  if (report.kept.length) write(`left alone (already there): ${report.kept.join(', ')}`);
  const inv = t.inventoryFile(s);
  const pb = s.ucware ? 'upgrade' : 'site';
  const cd = dest === process.cwd() ? '' : `cd ${relative(process.cwd(), dest) || '.'} && `;
  write(`next: ${cd}npm install --no-audit --no-fund && npm run typecheck && npx --no-install run ${pb} ${inv} --check --diff`);
  return 0;
}

/** Adds what is missing (dependency, scripts, "type": "module"); keeps every value already there. */
function completePackageJson(dest: string, spec: string, s: t.Scaffold): string {
  const file = join(dest, 'package.json');
  const had = existsSync(file);
  const pkg: PackageJson = had
    ? (JSON.parse(readFileSync(file, 'utf8')) as PackageJson)
    : {
        name: basename(dest)
          .toLowerCase()
          .replace(/[^a-z0-9._-]/g, '-'),
        private: true,
      };
  const added: string[] = [];
  const current = pkg.dependencies?.[t.PKG] ?? pkg.devDependencies?.[t.PKG];
  if (current === undefined || isBareRegistry(current)) {
    pkg.dependencies = { ...pkg.dependencies, [t.PKG]: spec };
    added.push(`dependency ${t.PKG}: ${spec}`);
  }
  if (pkg.type === undefined) {
    pkg.type = 'module';
    added.push('"type": "module"');
  } else if (pkg.type !== 'module')
    added.push(`(kept "type": "${pkg.type}"; tsconfig.json checks the playbooks as the ES modules the runner loads)`);
  for (const [k, cmd] of Object.entries(t.scripts(s))) {
    if (pkg.scripts?.[k] !== undefined) continue;
    pkg.scripts = { ...pkg.scripts, [k]: cmd };
    added.push(`script ${k}`);
  }
  writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
  return had ? `completed package.json: ${added.join(', ') || 'nothing was missing'}` : `created package.json (${added.join(', ')})`;
}

/** `^0.1.0`, `latest`, `*`: what npm would look up on the registry. */
export function isBareRegistry(spec: string): boolean {
  return !/^(file:|git\+|git:|github:|gitlab:|https?:|\.{0,2}\/)/.test(spec) && !/\.t(ar\.)?gz$/.test(spec);
}

/** A `file:` or path spec written relative to `from`, re-expressed for a package.json in `to`. */
export function rebase(spec: string, from: string, to: string): string {
  const m = /^(file:)?(.*)$/.exec(spec)!;
  const isPath = m[1] || /^\.{0,2}\//.test(spec) || /\.t(ar\.)?gz$/.test(spec);
  if (!isPath || /^[a-z+]+:/.test(m[2]!)) return spec;
  const abs = isAbsolute(m[2]!) ? m[2]! : resolve(from, m[2]!);
  const rel = relative(to, abs) || '.';
  return `file:${rel.startsWith('.') ? rel : `./${rel}`}`;
}

/**
 * Where this package was installed from, as a spec valid in `dest`: the dependency in dest's or
 * the enclosing project's package.json, then npm's record in node_modules/.package-lock.json, then
 * this checkout itself (run from a clone of the repository).
 */
export function installedSpec(dest: string): string {
  const root = resolve(import.meta.dirname, '..', '..');
  for (const dir of [...new Set([dest, ...upFrom(process.cwd())])]) {
    const pj = readJson<PackageJson>(join(dir, 'package.json'));
    const dep = pj?.dependencies?.[t.PKG] ?? pj?.devDependencies?.[t.PKG];
    if (dep && !isBareRegistry(dep)) return rebase(dep, dir, dest);
    const lock = readJson<{ packages?: Record<string, { resolved?: string }> }>(join(dir, 'node_modules', '.package-lock.json'));
    const resolved = lock?.packages?.[`node_modules/${t.PKG}`]?.resolved;
    if (resolved && !isBareRegistry(resolved) && !resolved.startsWith('https://registry.')) return rebase(resolved, dir, dest);
  }
  if (existsSync(join(root, '.git')) && !root.includes('/node_modules/')) return rebase(`file:${root}`, process.cwd(), dest);
  throw new UsageError(
    `cannot tell where ${t.PKG} was installed from; say it: run init --from ../${t.PKG}-0.1.0.tgz (a tarball path, file: path or git URL)`,
  );
}

function upFrom(dir: string): string[] {
  const out: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    out.push(d);
    if (dirname(d) === d) return out;
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
