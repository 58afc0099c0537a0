/**
 * The two Python helpers Ansible's INI plugin leans on: `shlex.split(line, comments=True)` for
 * host lines, and `ast.literal_eval` for values (`port=22` is an int, `x="a b"` a string,
 * `l=[1, 'a']` a list, `yes` stays the string "yes"). Whatever literal_eval refuses stays text.
 */

/** POSIX shlex with `#` comments and whitespace splitting; throws on an unclosed quote. */
export function shlexSplit(line: string): string[] {
  const out: string[] = [];
  let tok = '';
  let has = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (has) out.push(tok);
      tok = '';
      has = false;
      i++;
    } else if (c === '#') {
      break;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('No escaped character');
      tok += line[i + 1];
      has = true;
      i += 2;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('No closing quotation');
      tok += line.slice(i + 1, end);
      has = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      has = true;
      for (;;) {
        if (i >= line.length) throw new Error('No closing quotation');
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          tok += line[i + 1];
          i += 2;
        } else {
          tok += d;
          i++;
        }
      }
      i++;
    } else {
      tok += c;
      has = true;
      i++;
    }
  }
  if (has) out.push(tok);
  return out;
}

class NotLiteral extends Error {}

/** `ast.literal_eval(text)`, or `text` itself when Python would raise ValueError/SyntaxError. */
export function literalEval(text: string): unknown {
  try {
    const p = new LiteralParser(text);
    const v = p.expr();
    p.ws();
    if (p.i < p.s.length) throw new NotLiteral();
    return v;
  } catch (e) {
    if (e instanceof NotLiteral) return text;
    throw e;
  }
}

class LiteralParser {
  i = 0;
  constructor(readonly s: string) {
    // Python refuses leading indentation (IndentationError, a SyntaxError)
    if (/^[ \t]/.test(s)) throw new NotLiteral();
  }

  ws(): void {
    for (;;) {
      while (this.i < this.s.length && /[ \t\f]/.test(this.s[this.i]!)) this.i++;
      if (this.s[this.i] === '#') {
        while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      } else if (this.s[this.i] === '\\' && this.s[this.i + 1] === '\n') this.i += 2;
      else return;
    }
  }

  // Newlines only count as whitespace inside brackets, as in Python's tokenizer.
  wsn(): void {
    for (;;) {
      this.ws();
      if (this.s[this.i] === '\n' || this.s[this.i] === '\r') this.i++;
      else return;
    }
  }

  expr(depth = 0): unknown {
    this.depth(depth);
    depth ? this.wsn() : this.ws();
    const c = this.s[this.i];
    if (c === undefined) throw new NotLiteral();
    if (c === '[') return this.seq(']', depth);
    if (c === '(') {
      const v = this.seq(')', depth, true);
      return v;
    }
    if (c === '{') return this.dict(depth);
    if (c === '-' || c === '+') {
      this.i++;
      const v = this.expr(depth + 1);
      if (typeof v !== 'number') throw new NotLiteral();
      return c === '-' ? -v : v;
    }
    if (c === '"' || c === "'" || (/[rRbBuU]/.test(c) && /["']/.test(this.s[this.i + 1] ?? ''))) return this.strings(depth);
    if (/[0-9.]/.test(c)) return this.number();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[0].length;
      if (m[0] === 'True') return true;
      if (m[0] === 'False') return false;
      if (m[0] === 'None') return null;
    }
    throw new NotLiteral();
  }

  private depth(d: number): void {
    if (d > 200) throw new NotLiteral();
  }

  private seq(close: string, depth: number, tuple = false): unknown[] {
    this.i++;
    const out: unknown[] = [];
    let commas = 0;
    for (;;) {
      this.wsn();
      if (this.s[this.i] === close) {
        this.i++;
        // `(1)` is just 1 — a parenthesised expression, not a tuple
        if (tuple && out.length === 1 && commas === 0) return out[0] as unknown[];
        return out;
      }
      out.push(this.expr(depth + 1));
      this.wsn();
      if (this.s[this.i] === ',') {
        this.i++;
        commas++;
      } else if (this.s[this.i] !== close) throw new NotLiteral();
    }
  }

  private dict(depth: number): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.wsn();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.expr(depth + 1);
      this.wsn();
      // a set literal `{1, 2}` is a literal too, but JSON has no sets: treat as text
      if (this.s[this.i] !== ':') throw new NotLiteral();
      this.i++;
      const v = this.expr(depth + 1);
      if (k !== null && typeof k === 'object') throw new NotLiteral();
      out[k === true ? 'True' : k === false ? 'False' : k === null ? 'None' : String(k)] = v;
      this.wsn();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw new NotLiteral();
    }
  }

  private strings(depth: number): string {
    let out = '';
    let any = false;
    for (;;) {
      depth ? this.wsn() : this.ws();
      let prefix = '';
      while (/[rRbBuUfF]/.test(this.s[this.i] ?? '') && prefix.length < 2) prefix += this.s[this.i++];
      const q = this.s[this.i];
      if (q !== '"' && q !== "'") {
        if (prefix || !any) throw new NotLiteral();
        this.i -= prefix.length;
        return out;
      }
      if (/[bBfF]/.test(prefix)) throw new NotLiteral(); // bytes can't become text; f-strings aren't literals
      out += this.string(q, /[rR]/.test(prefix));
      any = true;
    }
  }

  private string(q: string, raw: boolean): string {
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const end = triple ? q.repeat(3) : q;
    this.i += end.length;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) throw new NotLiteral();
      if (this.s.startsWith(end, this.i)) {
        this.i += end.length;
        return out;
      }
      const c = this.s[this.i]!;
      if (!triple && c === '\n') throw new NotLiteral();
      if (c === '\\') {
        const n = this.s[this.i + 1];
        if (n === undefined) throw new NotLiteral();
        if (raw) {
          out += c + n;
          this.i += 2;
          continue;
        }
        this.i += 2;
        const simple: Record<string, string> = {
          n: '\n',
          t: '\t',
          r: '\r',
          '\\': '\\',
          "'": "'",
          '"': '"',
          a: '\x07',
          b: '\b',
          f: '\f',
          v: '\v',
          '0': '\0',
          '\n': '',
        };
        if (n === 'x' || n === 'u' || n === 'U') {
          const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
          const hex = this.s.slice(this.i, this.i + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new NotLiteral();
          out += String.fromCodePoint(parseInt(hex, 16));
          this.i += len;
        } else if (/[0-7]/.test(n)) {
          const m = /^[0-7]{1,3}/.exec(this.s.slice(this.i - 1))!;
          out += String.fromCharCode(parseInt(m[0], 8));
          this.i += m[0].length - 1;
        } else if (n in simple) out += simple[n];
        else out += '\\' + n;
        continue;
      }
      out += c;
      this.i++;
    }
  }

  private number(): number {
    const rest = this.s.slice(this.i);
    const forms = [
      /^0[xX](?:_?[0-9a-fA-F])+/,
      /^0[oO](?:_?[0-7])+/,
      /^0[bB](?:_?[01])+/,
      /^(?:(?:[0-9](?:_?[0-9])*)?\.(?:[0-9](?:_?[0-9])*)?|[0-9](?:_?[0-9])*)(?:[eE][-+]?[0-9](?:_?[0-9])*)?[jJ]?/,
    ];
    for (const [k, re] of forms.entries()) {
      const m = re.exec(rest);
      if (!m || m[0] === '.' || m[0] === '') continue;
      const t = m[0].replace(/_/g, '');
      // Python 3 refuses leading zeros in decimal integers (`0755`, but `00` and `0.5` are fine)
      if (k === 3 && /^0+[0-9]/.test(t) && /^[0-9]+$/.test(t) && !/^0+$/.test(t)) throw new NotLiteral();
      if (/[jJ]$/.test(t)) throw new NotLiteral(); // complex: not JSON
      if (/[A-Za-z0-9_]/.test(rest[m[0].length] ?? '')) throw new NotLiteral();
      this.i += m[0].length;
      if (k === 0) return parseInt(t.slice(2), 16);
      if (k === 1) return parseInt(t.slice(2), 8);
      if (k === 2) return parseInt(t.slice(2), 2);
      return Number(t);
    }
    throw new NotLiteral();
  }
}
