// The public API as the compiler sees it: every name each package.json `exports` entry exports
// (values and types), read with the TypeScript checker, so a re-export counts as it would for a user.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** `exports` entries that are TypeScript modules: subpath → file. */
export function entryPoints(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string> };
  const out: Record<string, string> = {};
  for (const [sub, file] of Object.entries(pkg.exports)) if (file.endsWith('.ts')) out[`${pkg.name}${sub.slice(1)}`] = join(ROOT, file);
  return out;
}

/** Entry → sorted exported names. */
export function exportedNames(entries: Record<string, string>): Record<string, string[]> {
  const program = ts.createProgram(Object.values(entries), {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const out: Record<string, string[]> = {};
  for (const [spec, file] of Object.entries(entries)) {
    const sf = program.getSourceFile(file);
    const sym = sf && checker.getSymbolAtLocation(sf);
    out[spec] = sym
      ? checker
          .getExportsOfModule(sym)
          .map((s) => s.name)
          .sort()
      : [];
  }
  return out;
}

/** API.md: `## \`spec\`` headings, each followed by lines that start with `- \`name\``. */
export function documentedNames(md: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let cur: string | undefined;
  for (const line of md.split('\n')) {
    const h = /^## `([^`]+)`/.exec(line);
    if (h) out[(cur = h[1]!)] = [];
    else if (/^#/.test(line)) cur = undefined;
    const item = /^- `([A-Za-z_$][\w$]*)`/.exec(line);
    if (item && cur) out[cur]!.push(item[1]!);
  }
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}
