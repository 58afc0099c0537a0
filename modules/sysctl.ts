/**
 * Set a kernel parameter now (`sysctl -w`) and keep it across reboots (a `key = value` line in a
 * file under `/etc/sysctl.d/`), or drop the persisted line (`present: false`; the running value
 * stays until reboot). Values compare with whitespace normalised (`32768	60999` = `32768 60999`).
 * Idempotent: the running value and the file decide. Check mode: full. Diff: the file.
 *
 * @example
 * sysctl({ name: 'net.ipv4.tcp_keepalive_time', value: 600 }, { become: true })
 * sysctl({ name: 'vm.swappiness', value: 10, file: '/etc/sysctl.d/60-swap.conf' }, { become: true })
 */
import { defineModule, change, noop, exec, ParamError, sh, type Plan, type Step } from '../runner/module.ts';
import { readFile, statFile, type FileStat } from './facts/files.ts';
import { fileChange } from './lib/writeFile.ts';

export interface SysctlParams {
  /** The key, e.g. `net.ipv4.ip_forward`. */
  name: string;
  /** The wanted value. */
  value?: string | number;
  /** Whether the setting should be persisted. @default true */
  present?: boolean;
  /** Where it is persisted. @default '/etc/sysctl.d/99-ucw-runner.conf' */
  file?: string;
  /** Also set the running value (`sysctl -w`). @default true */
  apply?: boolean;
}

export interface SysctlFacts {
  /** `sysctl -n` (null: the key does not exist in this kernel or namespace). */
  running: string | null;
  stat: FileStat;
  content: string | null;
}

const KEY = /^[a-zA-Z0-9_][a-zA-Z0-9_.\/-]*$/;
const norm = (v: string | number) => String(v).trim().split(/\s+/).join(' ');
const fileOf = (p: SysctlParams) => p.file ?? '/etc/sysctl.d/99-ucw-runner.conf';

export const sysctl = defineModule<SysctlParams, SysctlFacts>({
  name: 'sysctl',
  summary: (p) => `${p.name}${p.present === false ? ' (not persisted)' : ` = ${p.value}`}`,
  validate: (p) => {
    if (!KEY.test(p.name ?? '')) throw new ParamError(`sysctl: ${JSON.stringify(p.name)} is not a sysctl key`);
    if (p.present !== false && (p.value === undefined || /[\n=]/.test(String(p.value))))
      throw new ParamError('sysctl: "value" is required, one line without "="');
    if (!fileOf(p).startsWith('/etc/sysctl.d/') || !fileOf(p).endsWith('.conf'))
      throw new ParamError('sysctl: "file" must be /etc/sysctl.d/*.conf (systemd-sysctl and procps read only *.conf there)');
  },
  facts: async (ctx, p) => {
    const r = await ctx.run(sh`sysctl -n ${p.name}`, { quiet: true, okExitCodes: 'any' });
    const stat = await statFile(ctx, fileOf(p));
    return {
      running: r.exitCode === 0 ? r.stdout.replace(/\n$/, '') : null,
      stat,
      content: stat.exists ? await readFile(ctx, fileOf(p)) : null,
    };
  },
  plan,
});

/** The `key = value` lines of a sysctl.d file (last one wins, as sysctl reads it). */
export function parseSysctlConf(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of text.split('\n')) {
    const x = /^\s*-?([^#;=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(l);
    if (x) m.set(x[1]!, x[2]!);
  }
  return m;
}

/** Pure: running value and file → `sysctl -w` and/or the file's new text. */
export function plan(p: SysctlParams, f: SysctlFacts): Plan {
  const path = fileOf(p);
  const lines = (f.content ?? '').split('\n').filter((l, i, a) => !(l === '' && i === a.length - 1));
  const isKey = (l: string) => parseSysctlConf(l).has(p.name);
  const steps: Step[] = [];
  const why: string[] = [];
  let after: string;
  if (p.present === false)
    after = lines
      .filter((l) => !isKey(l))
      .map((l) => l + '\n')
      .join('');
  else {
    if (f.running === null) throw new ParamError(`sysctl: the kernel has no ${p.name} (sysctl -n failed)`);
    const line = `${p.name} = ${norm(p.value!)}`;
    const i = lines.findIndex(isKey);
    const out = i >= 0 ? lines.filter((l, j) => j <= i || !isKey(l)).map((l, j) => (j === i ? line : l)) : [...lines, line];
    after = out.map((l) => l + '\n').join('');
    if ((p.apply ?? true) && norm(f.running) !== norm(p.value!))
      (steps.push(exec(sh`sysctl -q -w ${`${p.name}=${norm(p.value!)}`}`)), why.push(`${p.name} ${norm(f.running)} → ${norm(p.value!)}`));
  }
  const same = after === (f.content ?? '') || (f.content === null && p.present === false);
  const c = same ? { steps: [], why: [] } : fileChange(path, f.content, after, f.stat, { mode: f.stat.exists ? undefined : '0644' });
  steps.push(...c.steps);
  why.push(...c.why);
  if (!steps.length)
    return noop(
      `${p.name} ${p.present === false ? `is not persisted in ${path}` : `is ${norm(f.running ?? '')} and persisted in ${path}`}`,
    );
  return change(why.join(', '), { steps, diff: same ? undefined : [{ path, before: f.content, after }] });
}
