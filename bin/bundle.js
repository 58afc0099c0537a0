// Start-up without loader hooks. Loading the runner's ~100 TypeScript modules through tsx's hooks
// costs ~0.3 s a run (each module is a round trip to the hooks thread). Instead, the CLI, every
// playbook and inventory of the project and any .ts file named on the command line are bundled
// once by esbuild (already here as tsx's compiler) into ES modules with shared chunks, so every
// entry sees the same instance of each runner module, and imported natively. The bundle is
// cached in the user's project (node_modules/.cache/ucw-run/ beside the nearest package.json
// above the working directory) and rebuilt when any of its input files changes
// (size or mtime). Types are not checked here: the CLI does that itself. A build goes to a
// directory of its own and a pointer file names it (renamed into place), so runs building at
// the same time never pull a bundle from under each other.
//
// startBundled() returns false when it cannot serve this run (no esbuild, a build error): then
// bin/run.js loads the CLI through tsx as before, and the error shows there (UCW_BUNDLE_DEBUG=1
// prints the build error too).
//
// The cache is the controller's own (playbooks and inventories name hosts, users, vault paths):
// folders 0700 and files 0600 whatever the umask, as runner/output/privateFiles.ts does for logs
// (this file is plain JavaScript, loaded before any TypeScript, so it has its own two helpers).
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const CACHE = join(cacheHome(), 'node_modules', '.cache', 'ucw-run');

/**
 * Bundles import the runner's packages by name, so they live where those names resolve: the
 * user's project when the runner is installed there, else the runner's own folder (a run from a
 * directory that has no node_modules, such as /tmp).
 */
function cacheHome() {
  const p = projectDir();
  return p === ROOT || existsSync(join(p, 'node_modules', SELF.name)) ? p : ROOT;
}

/** The user's project: the nearest directory above the working directory with a package.json. */
export function projectDir(cwd = process.cwd()) {
  for (let d = resolve(cwd); ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return resolve(cwd);
  }
}
const STALE_MS = 10 * 60_000; // unreferenced bundles older than this are removed

/** `mkdir -p`, each folder on the way and the folder itself 0700. */
function privateDir(dir) {
  const missing = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  for (const d of missing) mkdirSync(d, { mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Written 0600 (mode, then chmod: the umask masks the first). */
function privateFile(file, data) {
  writeFileSync(file, data, { mode: 0o600 });
  chmodSync(file, 0o600);
}

const tsFiles = (dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(dir, f))
    : [];

/** Entry files: the CLI, the packaged playbooks, the user's playbooks and inventories, and .ts files on the command line. */
function entries(argv) {
  const named = argv
    .filter((a) => /\.m?ts$/.test(a))
    .map((a) => resolve(a))
    .filter((f) => existsSync(f));
  const own = [...tsFiles(resolve('playbooks')), ...tsFiles(resolve('inventory'))];
  const all = [
    join(ROOT, 'runner', 'cli', 'cli.ts'),
    ...tsFiles(join(ROOT, 'playbooks')),
    ...tsFiles(join(ROOT, 'inventory')),
    ...own,
    ...named,
  ];
  return [...new Set(all)].sort();
}

function fresh(meta) {
  try {
    for (const [file, [size, mtime]] of Object.entries(meta.inputs)) {
      const st = statSync(file);
      if (st.size !== size || st.mtimeMs !== mtime) return false;
    }
    return true;
  } catch {
    return false;
  }
}

// esbuild leaves import.meta.url alone, which in a chunk would point into the cache: give each
// file its own location back (modules read files beside them, e.g. the task agent).
const keepImportMeta = {
  name: 'keep-import-meta',
  setup(b) {
    b.onLoad({ filter: /\.m?ts$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      if (text.includes('import.meta')) {
        text = text
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
          .replaceAll('import.meta.filename', JSON.stringify(args.path));
      }
      return { contents: text, loader: 'ts', resolveDir: dirname(args.path) };
    });
  },
};

// A user's playbook imports the runner by its package name ('ucw-runner', 'ucw-runner/modules'):
// bundled from the package's sources, not left to Node (which does not load .ts from node_modules),
// so it is the same runner instance as the CLI's.
const selfImports = {
  name: 'self-imports',
  setup(b) {
    const re = new RegExp(`^${SELF.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/.*)?$`);
    b.onResolve({ filter: re }, (args) => {
      const target = SELF.exports?.[`.${re.exec(args.path)[1] ?? ''}`];
      return target ? { path: join(ROOT, target) } : undefined;
    });
  },
};

async function build(list, pointer) {
  const { build: esbuild } = await import('esbuild');
  const dir = join(CACHE, `b-${process.pid}-${Date.now().toString(36)}`);
  const r = await esbuild({
    entryPoints: list,
    outdir: dir,
    outbase: '/',
    entryNames: '[dir]/[name]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    metafile: true,
    // Linked maps cost nothing unless asked for: NODE_OPTIONS=--enable-source-maps makes stack
    // traces name the TypeScript sources (it doubles start-up, so it is not the default).
    sourcemap: 'linked',
    logLevel: 'silent',
    plugins: [selfImports, keepImportMeta],
    write: false,
  });
  for (const out of r.outputFiles) {
    privateDir(dirname(out.path));
    privateFile(out.path, out.contents);
  }
  const inputs = {};
  for (const f of Object.keys(r.metafile.inputs)) {
    const abs = resolve(f);
    const st = statSync(abs);
    inputs[abs] = [st.size, st.mtimeMs];
  }
  const map = Object.fromEntries(list.map((f) => [f, pathToFileURL(join(dir, relative('/', f).replace(/\.m?ts$/, '.js'))).href]));
  const meta = { dir, inputs, map };
  privateFile(`${pointer}.${process.pid}`, JSON.stringify(meta));
  renameSync(`${pointer}.${process.pid}`, pointer);
  prune();
  return meta;
}

function prune() {
  const live = new Set();
  const names = readdirSync(CACHE);
  for (const p of names.filter((n) => n.endsWith('.bundle.json'))) {
    try {
      live.add(JSON.parse(readFileSync(join(CACHE, p), 'utf8')).dir);
    } catch {
      /* being written */
    }
  }
  for (const d of names.filter((n) => n.startsWith('b-'))) {
    const full = join(CACHE, d);
    if (!live.has(full) && Date.now() - statSync(full).mtimeMs > STALE_MS) rmSync(full, { recursive: true, force: true });
  }
}

/** Runs the CLI from the bundle; false when it cannot (the caller falls back to tsx). */
export async function startBundled(argv) {
  if (process.env.UCW_NO_BUNDLE) return false;
  const list = entries(argv);
  const pointer = join(CACHE, `${createHash('sha256').update(list.join('\n')).digest('hex').slice(0, 16)}.bundle.json`);
  let meta;
  try {
    chmodSync(CACHE, 0o700); // a cache made before it was private: close it
    meta = JSON.parse(readFileSync(pointer, 'utf8'));
    if (!fresh(meta)) meta = undefined;
  } catch {
    meta = undefined;
  }
  if (!meta) {
    try {
      privateDir(CACHE);
      meta = await build(list, pointer);
    } catch (e) {
      if (process.env.UCW_BUNDLE_DEBUG) console.error('bundle:', e);
      return false;
    }
  }
  // The runner imports playbooks and inventories through runner/cli/importTs.ts, which looks here first.
  globalThis.__ucwBundle = new Map(Object.entries(meta.map));
  await import(meta.map[join(ROOT, 'runner', 'cli', 'cli.ts')]);
  return true;
}
