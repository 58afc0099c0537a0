/**
 * Type-checks a playbook and an inventory, and everything they import, before any host is
 * contacted: tsx only strips types, so without this a wrong or misspelt module parameter
 * would reach the hosts. A successful check is cached with the sha256 of every file the
 * program read; the next start rehashes them and, when all match, never loads TypeScript.
 *
 * @example
 * const r = await typeCheck(['playbooks/upgrade-4.5-to-5.ts', 'inventory/lab.ts'])
 * if (!r.ok) for (const d of r.diagnostics) console.error(formatDiagnostic(d))
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type * as TS from 'typescript';
import { privateDir, writePrivateFile } from '../output/privateFiles.ts';

export interface TypeDiagnostic {
  /** Absolute path; absent for a diagnostic about the configuration. */
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  col?: number;
  /** The TSnnnn number. */
  code: number;
  message: string;
}

/** What a compile reports: its errors, and the files whose contents decided them. */
export interface Compiled {
  diagnostics: TypeDiagnostic[];
  files: string[];
  /** sha256 of each file's text as the compiler read it: a file saved during the check no longer matches. */
  read?: Record<string, string>;
}

export interface TypeCheckOptions {
  /** The tsconfig whose compilerOptions apply. @default the nearest tsconfig.json above the first entry (a packaged playbook's is the user's project's), else the runner's */
  tsconfig?: string;
  /** @default node_modules/.cache/ucw-run/typecheck.json in the user's project (the nearest package.json above the cwd) when the runner is installed there, else in the runner's folder, else $XDG_CACHE_HOME/ucw-run/typecheck.json */
  cacheFile?: string;
  /** Runs on a cache miss, before the compiler is loaded (the CLI says that this takes a moment). */
  onCompile?: () => void;
  /** For tests: replaces the TypeScript compiler. */
  compile?: (entries: string[], tsconfig: string) => Promise<Compiled>;
}

export interface TypeCheckResult {
  ok: boolean;
  /** True when an earlier successful check still holds and nothing was compiled. */
  cached: boolean;
  diagnostics: TypeDiagnostic[];
  /** Files hashed into the cache (0 when the check failed). */
  files: number;
  durationMs: number;
}

const RUNNER_ROOT = resolve(import.meta.dirname, '..', '..');
const CACHE_VERSION = 1;
const CACHE_MAX_ENTRIES = 32;

export async function typeCheck(files: string[], o: TypeCheckOptions = {}): Promise<TypeCheckResult> {
  const started = Date.now();
  const entries = [...new Set(files.map((f) => resolve(f)))].sort();
  const tsconfig = resolve(o.tsconfig ?? findUp(dirname(entries[0] ?? '.'), 'tsconfig.json') ?? runnerTsconfig());
  const cacheFile = o.cacheFile ?? defaultCacheFile();
  const key = sha256(JSON.stringify({ entries, tsconfig }));
  const deps = depsFingerprint();
  const cache = readCache(cacheFile);
  const hit = cache.checks[key];
  if (hit && hit.deps === deps && Object.entries(hit.files).every(([f, h]) => hashFile(f) === h)) {
    return { ok: true, cached: true, diagnostics: [], files: Object.keys(hit.files).length, durationMs: Date.now() - started };
  }
  o.onCompile?.();
  const compiledFrom = Date.now();
  const { diagnostics, files: used, read } = await (o.compile ?? compileWithTypeScript)(entries, tsconfig);
  if (diagnostics.length) return { ok: false, cached: false, diagnostics, files: 0, durationMs: Date.now() - started };
  const hashes: Record<string, string> = {};
  let settled = true;
  for (const f of new Set(used)) {
    try {
      // Saved while the compiler ran: the hash may not be of the text that was checked. What the
      // compiler read is exact; a file's mtime is the fallback (a coarse file-system clock can lag).
      hashes[f] = sha256(readFileSync(f));
      const seen = read?.[f];
      if (seen !== undefined ? seen !== hashes[f] : Math.floor(statSync(f).mtimeMs) > compiledFrom) settled = false;
    } catch {
      settled = false;
    }
  }
  if (settled) {
    cache.checks[key] = { entries, tsconfig, deps, files: hashes, checkedAt: new Date().toISOString() };
    writeCache(cacheFile, cache);
  }
  return { ok: true, cached: false, diagnostics: [], files: Object.keys(hashes).length, durationMs: Date.now() - started };
}

/** `playbooks/x.ts:12:5: error TS2353: message`, the path relative to `cwd`; later message lines indented. */
export function formatDiagnostic(d: TypeDiagnostic, cwd = process.cwd()): string {
  const at = d.file ? `${relative(cwd, d.file) || d.file}${d.line ? `:${d.line}:${d.col ?? 1}` : ''}: ` : '';
  return `${at}error TS${d.code}: ${d.message.split('\n').join('\n  ')}`;
}

// ---- the compiler --------------------------------------------------------------------------

type Ts = typeof TS;

/** Compiles `entries` with the tsconfig's options; lib and node_modules files are covered by depsFingerprint. */
export async function compileWithTypeScript(entries: string[], tsconfig: string): Promise<Compiled> {
  const ts = ((await import('typescript')) as unknown as { default: Ts }).default;
  const configErrors: TS.Diagnostic[] = [];
  const extended = new Map<string, TS.ExtendedConfigCacheEntry>();
  const configHost: TS.ParseConfigFileHost = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d) };
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, undefined, configHost, extended);
  if (!parsed) return { diagnostics: configErrors.map((d) => toDiagnostic(ts, d)), files: [] };
  // TS18003 "no inputs were found": the tsconfig's include is not what we compile.
  configErrors.push(...parsed.errors.filter((d) => d.code !== 18003));
  const options = { ...parsed.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const read: Record<string, string> = {};
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => {
    const text = readFile(file);
    if (text !== undefined) read[resolve(file)] = sha256(text);
    return text;
  };
  const getSourceFile = host.getSourceFile.bind(host);
  // A .ts file with no "type": "module" above it (a playbook in /tmp) is CommonJS to NodeNext, where
  // its import/export would be errors; tsx loads it as a module, so it is checked as one.
  host.getSourceFile = (file, how, ...rest) => {
    const cjs =
      typeof how === 'object' &&
      how.impliedNodeFormat === ts.ModuleKind.CommonJS &&
      /\.tsx?$/.test(file) &&
      !file.includes('/node_modules/');
    return getSourceFile(file, cjs ? { ...how, impliedNodeFormat: ts.ModuleKind.ESNext } : how, ...rest);
  };
  const program = ts.createProgram({ rootNames: entries, options, host });
  const all = [...configErrors, ...ts.getPreEmitDiagnostics(program)].filter((d) => d.category === ts.DiagnosticCategory.Error);
  const own = program.getSourceFiles().filter((sf) => !program.isSourceFileDefaultLibrary(sf) && !sf.fileName.includes('/node_modules/'));
  const diagnostics = [
    ...all.map((d) => toDiagnostic(ts, d)),
    ...own.flatMap((sf) => excessParamsReturned(ts, program.getTypeChecker(), sf)),
  ];
  // The nearest package.json decides whether NodeNext reads a file as ESM or CommonJS.
  const packageJsons = own.map((sf) => findUp(dirname(sf.fileName), 'package.json')).filter((f): f is string => !!f);
  return { diagnostics, files: [...own.map((sf) => resolve(sf.fileName)), tsconfig, ...extended.keys(), ...packageJsons], read };
}

function toDiagnostic(ts: Ts, d: TS.Diagnostic): TypeDiagnostic {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return { code: d.code, message };
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return { file: resolve(d.file.fileName), line: line + 1, col: character + 1, code: d.code, message };
}

/**
 * tsc checks a literal `command({ cmd, bogus })` for unknown properties, but not the object a
 * per-host function returns, `command((h) => ({ cmd, bogus }))`: the arrow's return type is
 * inferred first, and a function type is then only checked for assignability. Playbooks use that
 * form for every per-host value, so the runner applies the same rule there.
 */
function excessParamsReturned(ts: Ts, checker: TS.TypeChecker, sf: TS.SourceFile): TypeDiagnostic[] {
  const out: TypeDiagnostic[] = [];
  const isModuleCall = (call: TS.CallExpression) => !!checker.getTypeAtLocation(call.expression).getProperty('def');
  const checkLiteral = (lit: TS.ObjectLiteralExpression) => {
    const want = checker.getContextualType(lit);
    if (!want || !isClosed(want)) return;
    for (const p of lit.properties) {
      if (!(ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p) || ts.isMethodDeclaration(p)) || !p.name) continue;
      if (ts.isComputedPropertyName(p.name) || ts.isPrivateIdentifier(p.name)) continue;
      const name = p.name.text;
      if (!known(want, name)) {
        const { line, character } = sf.getLineAndCharacterOfPosition(p.name.getStart(sf));
        out.push({
          file: resolve(sf.fileName),
          line: line + 1,
          col: character + 1,
          code: 2353,
          message: `Object literal may only specify known properties, and '${name}' does not exist in type '${checker.typeToString(want)}'.\n(returned by a per-host function; \`tsc\` does not check this, \`run\` does)`,
        });
      }
      if (ts.isPropertyAssignment(p)) flows(p.initializer);
    }
  };
  // Only the expressions whose value becomes the params: not arguments of inner calls, which tsc checks itself.
  const flows = (e: TS.Expression): void => {
    if (ts.isParenthesizedExpression(e)) flows(e.expression);
    else if (ts.isConditionalExpression(e)) (flows(e.whenTrue), flows(e.whenFalse));
    else if (
      ts.isBinaryExpression(e) &&
      [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(e.operatorToken.kind)
    )
      flows(e.right);
    else if (ts.isObjectLiteralExpression(e)) checkLiteral(e);
  };
  const returns = (body: TS.Node): void => {
    if (ts.isReturnStatement(body)) return void (body.expression && flows(body.expression));
    if (ts.isFunctionLike(body)) return;
    ts.forEachChild(body, returns);
  };
  const known = (t: TS.Type, name: string): boolean =>
    t.isUnion() ? t.types.some((m) => known(m, name)) : !!checker.getPropertyOfType(t, name);
  const isClosed = (t: TS.Type): boolean => {
    if (t.isUnion()) return t.types.every(isClosed);
    if (!(t.flags & ts.TypeFlags.Object) || checker.getIndexInfosOfType(t).length) return false;
    return checker.getPropertiesOfType(t).length > 0;
  };
  const visit = (node: TS.Node): void => {
    if (ts.isCallExpression(node) && node.arguments.length && isModuleCall(node)) {
      const fn = node.arguments[0]!;
      if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) {
        if (ts.isBlock(fn.body)) returns(fn.body);
        else flows(fn.body);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

// ---- the cache -----------------------------------------------------------------------------

interface CacheEntry {
  entries: string[];
  tsconfig: string;
  deps: string;
  files: Record<string, string>;
  checkedAt: string;
}

interface CacheFile {
  version: number;
  checks: Record<string, CacheEntry>;
}

// Installed as a package the runner ships no tsconfig.json, only the base a project extends.
const runnerTsconfig = () => [join(RUNNER_ROOT, 'tsconfig.json'), join(RUNNER_ROOT, 'tsconfig.base.json')].find((f) => existsSync(f))!;

// Beside the bundles (bin/bundle.js cacheHome): the user's project when the runner is installed
// there, else the runner's own folder (a playbook run from /tmp), else the user's cache folder.
function defaultCacheFile(): string {
  const project = dirname(findUp(process.cwd(), 'package.json') ?? join(process.cwd(), 'package.json'));
  const home = project === RUNNER_ROOT || existsSync(join(project, 'node_modules', 'ucw-runner')) ? project : RUNNER_ROOT;
  const modules = join(home, 'node_modules');
  const base = existsSync(modules) ? join(modules, '.cache') : process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ucw-run', 'typecheck.json');
}

/** node_modules as a whole: the lock file plus the compiler's own version (its lib files). */
function depsFingerprint(): string {
  const lock = findUp(RUNNER_ROOT, 'package-lock.json');
  let tsVersion = 'none';
  try {
    const pkg = createRequire(join(RUNNER_ROOT, 'package.json')).resolve('typescript/package.json');
    tsVersion = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    // No typescript: the compile will say so; nothing cached can be valid anyway.
  }
  return sha256(`${CACHE_VERSION}\n${tsVersion}\n${lock ? readFileSync(lock, 'utf8') : 'no lock file'}`);
}

function readCache(file: string): CacheFile {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    if (c.version === CACHE_VERSION && c.checks && typeof c.checks === 'object') return c;
  } catch {
    // Missing or damaged: start over.
  }
  return { version: CACHE_VERSION, checks: {} };
}

function writeCache(file: string, cache: CacheFile): void {
  const keep = Object.entries(cache.checks)
    .sort(([, a], [, b]) => b.checkedAt.localeCompare(a.checkedAt))
    .slice(0, CACHE_MAX_ENTRIES);
  const text = JSON.stringify({ version: CACHE_VERSION, checks: Object.fromEntries(keep) }, null, 1);
  try {
    // 0700/0600 like everything under the cache; renamed into place, so a run reading at the
    // same moment sees the old file or the new one.
    privateDir(dirname(file));
    writePrivateFile(file, text);
  } catch {
    // An unwritable cache only costs the next run another check.
  }
}

function hashFile(file: string): string | undefined {
  try {
    return sha256(readFileSync(file));
  } catch {
    return undefined;
  }
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function findUp(dir: string, name: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, name))) return join(d, name);
    if (dirname(d) === d) return undefined;
  }
}
