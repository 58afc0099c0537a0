/**
 * `run doc [module]`: a module's reference, read from its source file's TSDoc with the
 * TypeScript compiler API (the `typescript` package, loaded only for this
 * command): what it does, check/diff support, every parameter with its type, default and
 * description, the result's fields, and the examples. Without a name: the list of modules.
 *
 * @example
 * run doc               # every module, one line each
 * run doc aptSources    # the full reference of one
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../model/errors.ts';

export interface ParamDoc {
  name: string;
  type: string;
  optional: boolean;
  description: string;
  default?: string;
  /** Fields of the type when it is an interface of the module or of a file it imports. */
  fields?: ParamDoc[];
}

export interface ModuleDoc {
  name: string;
  file: string;
  /** First sentence. */
  summary: string;
  description: string;
  checkMode: 'full' | 'none';
  /** The plan carries a diff (shown with --diff). */
  diff: boolean;
  examples: string[];
  paramsType?: string;
  params: ParamDoc[];
  resultType?: string;
  result: ParamDoc[];
}

const MODULE_DIR = resolve(import.meta.dirname, '..', '..', 'modules');

type TS = typeof import('typescript');
let tsMod: TS | undefined;
async function ts(): Promise<TS> {
  tsMod ??= ((await import('typescript')) as unknown as { default: TS }).default;
  return tsMod;
}

/** Module names: files anywhere under modules/ (ucware/ included) that call defineModule. */
export function moduleFiles(dir = MODULE_DIR): { name: string; file: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .sort()
    .map((f) => join(dir, f))
    .filter((f) => /defineModule\s*</.test(readFileSync(f, 'utf8')))
    .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/export const (\w+) = defineModule</g)].map((m) => ({ name: m[1]!, file })));
}

/** Parses one module file. Pure over the source text (given the compiler). */
type Ts = TS;

/** The module's TSDoc: the comment at the top of the file (before the imports), as the house style puts it. */
function fileHead(t: Ts, text: string): { description: string; examples: string[] } | undefined {
  const first = t.getLeadingCommentRanges(text, 0)?.find((c) => text.slice(c.pos, c.pos + 3) === '/**');
  if (!first) return undefined;
  const body = text
    .slice(first.pos + 3, first.end - 2)
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n');
  const [desc = '', ...rest] = body.split(/^@example\s*$/m);
  return { description: desc.trim(), examples: rest.map((e) => e.replace(/^@\w+[\s\S]*$/m, '').trim()).filter(Boolean) };
}

/** Interfaces of the files a module imports from (e.g. ./facts/sources.ts), for one level of nesting. */
function importedInterfaces(
  t: Ts,
  sf: import('typescript').SourceFile,
  file: string,
  interfaces: Map<string, import('typescript').InterfaceDeclaration>,
): void {
  for (const st of sf.statements) {
    if (!t.isImportDeclaration(st) && !t.isExportDeclaration(st)) continue;
    const spec = st.moduleSpecifier && t.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
    if (!spec?.startsWith('.')) continue;
    const dep = resolve(file, '..', spec);
    if (!existsSync(dep)) continue;
    const dsf = t.createSourceFile(dep, readFileSync(dep, 'utf8'), t.ScriptTarget.Latest, true);
    const walk = (n: import('typescript').Node) => {
      if (t.isInterfaceDeclaration(n) && !interfaces.has(n.name.text)) interfaces.set(n.name.text, n);
      t.forEachChild(n, walk);
    };
    walk(dsf);
  }
}

export async function moduleDoc(file: string, name = basename(file, '.ts')): Promise<ModuleDoc> {
  const t = await ts();
  const text = readFileSync(file, 'utf8');
  const sf = t.createSourceFile(file, text, t.ScriptTarget.Latest, true);
  const interfaces = new Map<string, import('typescript').InterfaceDeclaration>();
  let typeArgs: string[] = [];

  const jsdocOf = (node: import('typescript').Node) => {
    const docs = (node as unknown as { jsDoc?: import('typescript').JSDoc[] }).jsDoc ?? [];
    const d = docs.at(-1);
    const description = d ? (typeof d.comment === 'string' ? d.comment : (t.getTextOfJSDocComment(d.comment) ?? '')) : '';
    const tags = (d?.tags ?? []).map((tag) => ({
      name: tag.tagName.text,
      text: typeof tag.comment === 'string' ? tag.comment : (t.getTextOfJSDocComment(tag.comment) ?? ''),
    }));
    return { description: description.trim(), tags };
  };

  const head = fileHead(t, text);

  const visit = (node: import('typescript').Node) => {
    if (t.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
    if (t.isCallExpression(node) && t.isIdentifier(node.expression) && node.expression.text === 'defineModule' && node.typeArguments) {
      const decl = node.parent && t.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : undefined;
      if (!decl || decl === name) typeArgs = node.typeArguments.map((a) => a.getText(sf));
    }
    t.forEachChild(node, visit);
  };
  visit(sf);
  importedInterfaces(t, sf, file, interfaces);

  const members = (typeName: string | undefined, depth = 0): ParamDoc[] => {
    const i = typeName ? interfaces.get(typeName) : undefined;
    if (!i) return [];
    const isf = i.getSourceFile();
    // `interface P extends EditedFileParams`: the shared fields first, then the module's own
    const inherited = (i.heritageClauses ?? []).flatMap((h) => h.types.flatMap((x) => members(x.expression.getText(isf), depth)));
    const own = i.members.filter(t.isPropertySignature).map((m) => {
      const d = jsdocOf(m);
      const type = m.type ? m.type.getText(isf).replace(/\s+/g, ' ') : 'unknown';
      const inner = /^[A-Z]\w*$/.test(type) && depth === 0 ? members(type, 1) : [];
      return {
        fields: inner.length ? inner : undefined,
        name: m.name.getText(isf),
        type,
        optional: !!m.questionToken,
        description: d.description.replace(/\s+/g, ' '),
        default: d.tags.find((x) => x.name === 'default')?.text.trim(),
      };
    });
    return [...inherited.filter((x) => !own.some((o) => o.name === x.name)), ...own];
  };
  const [paramsType, , resultType] = typeArgs;
  const description = head?.description ?? '';
  const checkMode = /checkMode:\s*'none'/.test(text) ? 'none' : 'full';
  return {
    name,
    file,
    description,
    checkMode,
    diff: /\bdiff(\s*:|\.push\()/.test(text),
    summary: shorten(
      description
        .split(/\n\s*\n/)[0]
        ?.split(/(?<=\.)\s|:\n/)[0]
        ?.replace(/\s+/g, ' ') ?? '',
    ),
    examples: head?.examples ?? [],
    paramsType,
    params: members(paramsType),
    resultType,
    result: members(resultType),
  };
}

const shorten = (s: string, n = 110) => (s.length > n ? s.slice(0, s.lastIndexOf(' ', n - 1)) + ' …' : s);

const wrap = (s: string, indent: string, width = 100) => {
  const out: string[] = [];
  let line = '';
  for (const w of s.split(/\s+/).filter(Boolean)) {
    if (line && (indent + line + ' ' + w).length > width) {
      out.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(indent + line);
  return out;
};

export function formatDoc(d: ModuleDoc): string[] {
  const out = [`${d.name} — ${d.file.replace(process.cwd() + '/', '')}`, ''];
  for (const para of d.description.split(/\n\s*\n/))
    out.push(...(para.split('\n').some((l) => /^\s*- /.test(l)) ? para.split('\n').map((l) => '  ' + l.trim()) : wrap(para, '  ')), '');
  out.push(
    `  Check mode: ${d.checkMode === 'none' ? 'not supported (the task is skipped under --check)' : 'supported (--check plans without changing anything)'}`,
  );
  out.push(`  Diff: ${d.diff ? 'yes (--diff shows the planned change)' : 'no'}`, '');
  const rows = (ps: ParamDoc[], indent: string, required: boolean) => {
    for (const p of ps) {
      out.push(
        `${indent}${p.name}${p.optional ? '?' : ''}: ${p.type}${p.default !== undefined ? `   [default: ${p.default}]` : p.optional || !required ? '' : '   (required)'}`,
      );
      if (p.description) out.push(...wrap(p.description, indent + '    '));
      if (p.fields) rows(p.fields, indent + '    ', required);
    }
  };
  const table = (title: string, type: string | undefined, ps: ParamDoc[], required: boolean) => {
    if (!ps.length) return;
    out.push(`${title}${type ? ` (${type})` : ''}:`);
    rows(ps, '  ', required);
    out.push('');
  };
  table('Parameters', d.paramsType, d.params, true);
  table('Result', d.resultType, d.result, false);
  if (d.examples.length) {
    out.push('Examples:');
    for (const e of d.examples) out.push(...e.split('\n').map((l) => '  ' + l));
  }
  return out;
}

/**
 * The `run doc [module]` command; returns the exit code. Lists the packaged modules and, beside
 * them, the user's own: those under `modules/` of the working directory (a name of theirs wins).
 */
export async function printDoc(
  name: string | undefined,
  write: (line: string) => void = console.log,
  ownDir = resolve('modules'),
): Promise<number> {
  const own = ownDir === MODULE_DIR ? [] : moduleFiles(ownDir);
  const mods = [...own, ...moduleFiles()];
  if (!name) {
    const w = Math.max(...mods.map((d) => d.name.length));
    const section = async (title: string, list: { name: string; file: string }[]) => {
      const docs = await Promise.all(list.map((m) => moduleDoc(m.file, m.name)));
      write(title);
      for (const d of docs.sort((a, b) => a.name.localeCompare(b.name))) write(`  ${d.name.padEnd(w)}  ${d.summary}`);
    };
    await section('Modules (run doc NAME for one):', moduleFiles());
    if (own.length) await section(`Your modules (${ownDir.replace(process.cwd() + '/', '')}/):`, own);
    return 0;
  }
  const m = mods.find((x) => x.name === name) ?? mods.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!m) throw new UsageError(`no module "${name}"; modules: ${mods.map((x) => x.name).join(', ')}`);
  for (const l of formatDoc(await moduleDoc(m.file, m.name))) write(l);
  return 0;
}
