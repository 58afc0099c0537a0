/**
 * Set the host name: `/etc/hostname`, the `127.0.1.1` line of `/etc/hosts` (Debian's and
 * Ubuntu's convention for a host without a fixed address in the file), and the running
 * system's name (`hostname NAME`, so no reboot is needed). Other lines of /etc/hosts stay as
 * they are; when there is no 127.0.1.1 line and another address already names the host, the
 * file is left alone. Idempotent: nothing is written when all three agree. Check mode: full.
 * Diff: /etc/hostname and /etc/hosts.
 *
 * @example
 * hostname({ name: 'pbx-berlin-1' }, { become: true })
 * hostname((h) => ({ name: h.name, domain: 'pbx.example.com' }), { become: true })
 */
import { defineModule, change, noop, exec, upload, type Plan, type Step, type FileDiff, ParamError, sh } from '../runner/module.ts';
import { readFile } from './facts/files.ts';

export interface HostnameParams {
  /** The host name: one label of letters, digits and hyphens (at most 63), e.g. `pbx-berlin-1`. */
  name: string;
  /** DNS domain: the 127.0.1.1 line becomes `127.0.1.1 NAME.DOMAIN NAME`. Unset: `127.0.1.1 NAME`. */
  domain?: string;
}

interface Facts {
  /** What `hostname` prints now. */
  running: string;
  hostnameFile: string | null;
  hosts: string | null;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export const hostname = defineModule<HostnameParams, Facts>({
  name: 'hostname',
  summary: (p) => p.name,
  validate: (p) => {
    if (typeof p.name !== 'string' || !LABEL.test(p.name))
      throw new ParamError(
        `hostname: "name" must be one label (letters, digits, inner hyphens, at most 63), not ${JSON.stringify(p.name)}`,
      );
    if (p.domain !== undefined && !p.domain.split('.').every((l) => LABEL.test(l)))
      throw new ParamError(`hostname: "domain" must be dot-separated labels, not ${JSON.stringify(p.domain)}`);
  },
  facts: async (ctx) => ({
    running: (await ctx.run('hostname', { quiet: true })).stdout.trim(),
    hostnameFile: await readFile(ctx, '/etc/hostname'),
    hosts: await readFile(ctx, '/etc/hosts'),
  }),
  plan,
});

/** Pure: the two files and the running name → what to write. */
export function plan(p: HostnameParams, f: Facts): Plan {
  const steps: Step[] = [];
  const why: string[] = [];
  const diff: FileDiff[] = [];
  const wantFile = `${p.name}\n`;
  if (f.hostnameFile !== wantFile) {
    steps.push(upload('/etc/hostname', wantFile, { mode: '0644' }));
    diff.push({ path: '/etc/hostname', before: f.hostnameFile, after: wantFile });
    why.push(`/etc/hostname ${f.hostnameFile?.trim() || '(none)'} → ${p.name}`);
  }
  const hosts = hostsWith(f.hosts ?? '', p);
  if (hosts !== (f.hosts ?? '')) {
    steps.push(upload('/etc/hosts', hosts, f.hosts === null ? { mode: '0644' } : {}));
    diff.push({ path: '/etc/hosts', before: f.hosts, after: hosts });
    why.push(`/etc/hosts 127.0.1.1 → ${p.domain ? `${p.name}.${p.domain} ` : ''}${p.name}`);
  }
  if (f.running !== p.name) {
    steps.push(exec(sh`hostname ${p.name}`));
    why.push(`running name ${f.running || '(none)'} → ${p.name}`);
  }
  if (steps.length === 0) return noop(`host name is already ${p.name}`);
  return change(why.join(', '), { steps, diff: diff.length ? diff : undefined });
}

/** /etc/hosts with the 127.0.1.1 line naming the host; every other line kept byte for byte. */
export function hostsWith(text: string, p: HostnameParams): string {
  const line = `127.0.1.1\t${p.domain ? `${p.name}.${p.domain}\t` : ''}${p.name}`;
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const names = (l: string) => l.replace(/#.*/, '').trim().split(/\s+/);
  const at = lines.findIndex((l) => names(l)[0] === '127.0.1.1');
  if (at >= 0) {
    if (names(lines[at]!).slice(1).join(' ') === line.split('\t').slice(1).join(' ')) return text;
    lines[at] = line;
  } else {
    // a host with a permanent address is named on that address's line, not on 127.0.1.1 (Debian's advice)
    if (lines.some((l) => names(l).slice(1).includes(p.name) && !/^(127\.|::1$)/.test(names(l)[0]!))) return text;
    const localhost = lines.findIndex((l) => names(l)[0] === '127.0.0.1');
    lines.splice(localhost + 1, 0, line);
  }
  return lines.join('\n') + '\n';
}
