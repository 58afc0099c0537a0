// The repository's TypeScript import graph (type-only imports included), for the structure checks.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../../..');
export const SOURCE_DIRS = ['runner', 'modules', 'playbooks', 'inventory', 'lab', 'bench', 'tests'];

export function sourceFiles(dirs = SOURCE_DIRS): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) {
        if (e !== 'node_modules' && e !== 'typecheck-broken') walk(p);
      } else if (p.endsWith('.ts')) out.push(relative(ROOT, p));
    }
  };
  for (const d of dirs) walk(join(ROOT, d));
  return out.sort();
}

/** Relative imports of a file, resolved to repository paths; `import type` and `export … from` included. */
export function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

/** Every import cycle, as the list of files around it (Tarjan's strongly connected components). */
export function cycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => t !== f)]));
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return found;
}

/** Functions (declarations, methods, arrows bound to a name) longer than `max` lines. */
export function longFunctions(file: string, max: number): { name: string; lines: number }[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: { name: string; lines: number }[] = [];
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  const visit = (n: ts.Node, name: string) => {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) {
      const lines = lineOf(n.getEnd()) - lineOf(n.getStart(sf)) + 1;
      const own = n.name && ts.isIdentifier(n.name) ? n.name.text : name;
      if (lines > max) out.push({ name: own || '(anonymous)', lines });
    }
    const childName =
      ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)
        ? n.name.text
        : ts.isPropertyAssignment(n) && ts.isIdentifier(n.name)
          ? n.name.text
          : name;
    ts.forEachChild(n, (c) => visit(c, childName));
  };
  visit(sf, '');
  return out;
}
