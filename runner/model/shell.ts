/**
 * Building remote shell lines safely: every interpolated value is POSIX single-quoted,
 * so a value reaches the host as one literal word and is never executed.
 *
 * @example
 * sh`apt-get -y install ${['ucware', 'ucware-core']}`  // apt-get -y install ucware ucware-core
 * sh`cat ${"it's $(here)"}`                            // cat 'it'\''s $(here)'
 */

const SAFE = /^[A-Za-z0-9_\/.\-+@:=,%]+$/;

/** POSIX single-quoting, valid for `sh`, `dash` and `bash` alike (zx's `$'…'` is bash-only). */
export function quote(value: string): string {
  if (value === '') return "''";
  if (SAFE.test(value)) return value;
  return "'" + value.replace(/'/g, `'\\''`) + "'";
}

/** A fragment inserted verbatim by `sh` — only for text the code itself wrote, never for input. */
export class Raw {
  constructor(readonly text: string) {}
}
export const raw = (text: string) => new Raw(text);

/** A secret value: prints as `***`, and `sh` refuses it, because secrets go on stdin, never in argv. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '***';
  }
  toJSON(): string {
    return '***';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret(***)';
  }
}
export const secret = (value: string) => new Secret(value);

export type ShellValue = string | number | Raw | readonly (string | number)[];

function render(value: ShellValue | Secret): string {
  if (value instanceof Secret) throw new TypeError('a secret cannot be put on a command line: pass it on stdin');
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return value.map((v) => quote(String(v))).join(' ');
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw new TypeError(`cannot put a ${typeof value} on a command line`);
  return quote(value);
}

/** Tagged template: a shell line where each `${value}` is quoted as one word (arrays as several). */
export function sh(strings: TemplateStringsArray, ...values: (ShellValue | Secret)[]): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return out;
}

/** Wraps a line for `sh -c`, e.g. to run it under sudo or in a subshell. */
export const shC = (line: string) => `sh -c ${quote(line)}`;
