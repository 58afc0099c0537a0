/**
 * apt source files in both formats — one-line (`sources.list`, `*.list`) and deb822
 * (`*.sources`) — parsed with the text position of every field, so an entry can be edited in
 * place: one word changes and every other byte of the file (comments, spacing, other
 * entries) stays as it was.
 */
import { raw } from '../../runner/module.ts';

export interface SourceFile {
  path: string;
  content: string;
}

export interface SourceEntry {
  format: 'one-line' | 'deb822';
  file: string;
  /** 1-based line of the entry (of its first field for deb822). */
  line: number;
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** `[arch=amd64 signed-by=…]` or deb822 fields other than the four above. */
  options: Record<string, string>;
  enabled: boolean;
}

/** A word of a source entry and where it sits in the file's text. */
interface Word {
  field: 'type' | 'uri' | 'suite' | 'component';
  text: string;
  start: number;
  end: number;
}

interface ParsedEntry extends SourceEntry {
  words: Word[];
  /** Character range of the whole entry (one line, or the stanza) in the file's text. */
  start: number;
  end: number;
}

const RS = '\x1e';
const US = '\x1f';

/** Prints every source file as RS path US content; the parse is `parseSourceFiles`. */
export const readSourcesCommand = (only?: string) =>
  raw(
    `for f in ${only ? quoteGlob(only) : '/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources'}; do ` +
      `[ -f "$f" ] || continue; printf '\\036%s\\037' "$f"; cat -- "$f"; done`,
  ).text;
const quoteGlob = (p: string) => "'" + p.replace(/'/g, `'\\''`) + "'";

export function parseSourceFiles(out: string): SourceFile[] {
  return out
    .split(RS)
    .filter((s) => s.includes(US))
    .map((s) => {
      const i = s.indexOf(US);
      return { path: s.slice(0, i), content: s.slice(i + 1) };
    });
}

export const isDeb822 = (path: string) => path.endsWith('.sources');

/** Every entry of a file, with positions. */
export function parseEntries(file: SourceFile): ParsedEntry[] {
  return isDeb822(file.path) ? parseDeb822(file) : parseOneLine(file);
}

export const entriesOf = (file: SourceFile): SourceEntry[] => parseEntries(file).map(({ words: _w, start: _s, end: _e, ...e }) => e);

function parseOneLine(file: SourceFile): ParsedEntry[] {
  const out: ParsedEntry[] = [];
  let offset = 0;
  file.content.split('\n').forEach((text, idx) => {
    const lineStart = offset;
    offset += text.length + 1;
    const body = text.replace(/\s#.*$/, '');
    const m = /^(\s*)(deb|deb-src)(\s+)/.exec(body);
    if (!m) return;
    let pos = m[0].length;
    const words: Word[] = [{ field: 'type', text: m[2]!, start: lineStart + m[1]!.length, end: lineStart + m[1]!.length + m[2]!.length }];
    const options: Record<string, string> = {};
    if (body[pos] === '[') {
      const close = body.indexOf(']', pos);
      if (close < 0) return;
      for (const kv of body
        .slice(pos + 1, close)
        .trim()
        .split(/\s+/)) {
        const eq = kv.indexOf('=');
        if (eq > 0) options[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      pos = close + 1;
    }
    const rest = /\S+/g;
    rest.lastIndex = pos;
    const toks: { text: string; start: number }[] = [];
    for (let t = rest.exec(body); t; t = rest.exec(body)) toks.push({ text: t[0], start: t.index });
    if (toks.length < 2) return;
    toks.forEach((t, i) =>
      words.push({
        field: i === 0 ? 'uri' : i === 1 ? 'suite' : 'component',
        text: t.text,
        start: lineStart + t.start,
        end: lineStart + t.start + t.text.length,
      }),
    );
    out.push({
      format: 'one-line',
      file: file.path,
      line: idx + 1,
      enabled: true,
      options,
      words,
      types: [m[2]!],
      uris: [toks[0]!.text],
      suites: [toks[1]!.text],
      components: toks.slice(2).map((t) => t.text),
      start: lineStart,
      end: lineStart + text.length,
    });
  });
  return out;
}

const FIELD: Record<string, Word['field']> = { types: 'type', uris: 'uri', suites: 'suite', components: 'component' };

function parseDeb822(file: SourceFile): ParsedEntry[] {
  const out: ParsedEntry[] = [];
  let offset = 0;
  let cur: ParsedEntry | undefined;
  let lastKey: string | undefined;
  const finish = () => {
    if (cur && cur.types.length && cur.uris.length) out.push(cur);
    cur = undefined;
    lastKey = undefined;
  };
  file.content.split('\n').forEach((text, idx) => {
    const lineStart = offset;
    offset += text.length + 1;
    if (text.trim() === '') return finish();
    if (text.startsWith('#')) return;
    cur ??= {
      format: 'deb822',
      file: file.path,
      line: idx + 1,
      types: [],
      uris: [],
      suites: [],
      components: [],
      options: {},
      enabled: true,
      words: [],
      start: lineStart,
      end: lineStart,
    };
    cur.end = lineStart + text.length;
    if (/^\s/.test(text)) {
      if (lastKey && cur.options[lastKey] !== undefined) cur.options[lastKey] += '\n' + text.trim();
      return;
    }
    const m = /^([A-Za-z0-9-]+)\s*:\s*/.exec(text);
    if (!m) return;
    const key = m[1]!;
    lastKey = key;
    const value = text.slice(m[0].length);
    const field = FIELD[key.toLowerCase()];
    if (!field) {
      cur.options[key] = value.trim();
      if (key.toLowerCase() === 'enabled') cur.enabled = !/^no$/i.test(value.trim());
      return;
    }
    const re = /\S+/g;
    for (let t = re.exec(value); t; t = re.exec(value)) {
      const start = lineStart + m[0].length + t.index;
      cur.words.push({ field, text: t[0], start, end: start + t[0].length });
      ({ type: cur.types, uri: cur.uris, suite: cur.suites, component: cur.components })[field].push(t[0]);
    }
  });
  finish();
  return out;
}

// ---------------------------------------------------------------- edits

export interface SourceReplace {
  /** Which part of matching entries to change. */
  field: 'uri' | 'suite' | 'component';
  /** The old value: a whole path segment of the URI (`ucware-4.5`), or a whole suite or component. */
  from: string;
  /** The new value, same kind of word as `from`. */
  to: string;
  /** Only entries whose URI contains this text. @default every entry */
  uriContains?: string;
}

const normUri = (u: string) => u.replace(/\/+$/, '');

/** Replaces whole segments/words in place; returns the new text and how many words changed. */
export function replaceInFile(file: SourceFile, r: SourceReplace): { content: string; replaced: number; alreadyTo: number } {
  const edits: { start: number; end: number; text: string }[] = [];
  let alreadyTo = 0;
  for (const e of parseEntries(file)) {
    if (r.uriContains && !e.uris.some((u) => u.includes(r.uriContains!))) continue;
    for (const w of e.words) {
      if (w.field !== r.field) continue;
      if (w.field === 'uri') {
        const segs = w.text.split('/');
        // keep scheme and host (`https:`, ``, `host`) out of the match: only path segments
        const next = segs.map((s, i) => (i >= 3 && s === r.from ? r.to : s)).join('/');
        if (next !== w.text) edits.push({ start: w.start, end: w.end, text: next });
        else if (segs.slice(3).includes(r.to)) alreadyTo++;
      } else if (w.text === r.from) edits.push({ start: w.start, end: w.end, text: r.to });
      else if (w.text === r.to) alreadyTo++;
    }
  }
  let content = file.content;
  for (const ed of edits.sort((a, b) => b.start - a.start)) content = content.slice(0, ed.start) + ed.text + content.slice(ed.end);
  return { content, replaced: edits.length, alreadyTo };
}

/** The one-line entry as apt reads it, for equality: type, URI (no trailing slash), suite, sorted components. */
export function sameEntry(
  a: Pick<SourceEntry, 'types' | 'uris' | 'suites' | 'components'>,
  b: Pick<SourceEntry, 'types' | 'uris' | 'suites' | 'components'>,
): boolean {
  const key = (e: typeof a) =>
    e.types
      .flatMap((t) => e.uris.flatMap((u) => e.suites.map((s) => `${t} ${normUri(u)} ${s} ${[...e.components].sort().join(' ')}`)))
      .sort()
      .join('|');
  return key(a) === key(b);
}

/** Parses one one-line entry (`deb [opts] uri suite comps…`); throws on anything else. */
export function parseLine(line: string): SourceEntry {
  const [e] = parseOneLine({ path: '(param)', content: line.trim() });
  if (!e) throw new Error(`not an apt source line: ${JSON.stringify(line)} (want "deb [options] URI suite [components…]")`);
  const { words: _w, start: _s, end: _e, ...entry } = e;
  return entry;
}

/** Removes entries equal to `want` (whole lines, or whole stanzas); returns the new text and how many went. */
export function removeEntries(file: SourceFile, want: SourceEntry): { content: string; removed: number } {
  const hits = parseEntries(file).filter((e) => sameEntry(e, want));
  let content = file.content;
  for (const h of hits.sort((a, b) => b.start - a.start)) {
    let end = h.end;
    if (content[end] === '\n') end++;
    if (h.format === 'deb822') while (content[end] === '\n') end++;
    content = content.slice(0, h.start) + content.slice(end);
  }
  return { content, removed: hits.length };
}

/** Text of a deb822 stanza for an entry. */
export function formatDeb822(e: Pick<SourceEntry, 'types' | 'uris' | 'suites' | 'components' | 'options'>): string {
  const lines = [`Types: ${e.types.join(' ')}`, `URIs: ${e.uris.join(' ')}`, `Suites: ${e.suites.join(' ')}`];
  if (e.components.length) lines.push(`Components: ${e.components.join(' ')}`);
  for (const [k, v] of Object.entries(e.options)) lines.push(`${k}: ${v.split('\n').join('\n ')}`);
  return lines.join('\n') + '\n';
}

/** Appends text to a file's content, with a newline (and for deb822 a blank line) between. */
export function appendText(content: string, text: string, deb822: boolean): string {
  if (content === '') return text;
  const base = content.endsWith('\n') ? content : content + '\n';
  return deb822 && !base.endsWith('\n\n') ? base + '\n' + text : base + text;
}
