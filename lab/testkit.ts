// Helpers for tests that use the lab (tests/lab/*.test.ts): bring it up if needed, ssh, https.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { up } from './lab.ts';
import { readLab, readApiCredentials, type LabHost, type LabState } from './state.ts';
import { labSshArgs } from './sshArgs.ts';

/** the running lab with at least `n` hosts, all booted (same code as `npm run lab -- up N`; a no-op when warm) */
export async function ensureLab(n = 3): Promise<LabState> {
  await up({ hosts: n });
  const lab = readLab();
  // LAB_SUITE=trixie npm test: the tests must meet the release they were asked to run on
  const want = process.env.LAB_SUITE;
  const other = want ? lab.hosts.slice(0, n).filter((h) => h.suite !== want) : [];
  if (other.length)
    throw new Error(`LAB_SUITE=${want}, but ${other.map((h) => `${h.name} runs ${h.suite}`).join(', ')}: \`npm run lab -- reset\` first`);
  return lab;
}

export function host(lab: LabState, name: string): LabHost {
  const h = lab.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name} in the lab`);
  return h;
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** runs `command` over ssh (BatchMode, strict host key checking with the lab's known_hosts, stdin from `input` or EOF) */
export function ssh(
  lab: LabState,
  h: LabHost,
  command: string,
  opts: { user?: string; input?: string; timeoutMs?: number } = {},
): SshResult {
  const r: SpawnSyncReturns<string> = spawnSync('ssh', [...labSshArgs(lab, `${opts.user ?? 'root'}@${h.address}`), command], {
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
/** like ssh() but throws unless the command exits 0; returns trimmed stdout */
export function sshOk(lab: LabState, h: LabHost, command: string, opts: { user?: string; input?: string } = {}): string {
  const r = ssh(lab, h, command, opts);
  if (r.code !== 0) throw new Error(`ssh ${h.name} ${command}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function bootId(lab: LabState, h: LabHost): string | undefined {
  const r = ssh(lab, h, 'cat /proc/sys/kernel/random/boot_id', { timeoutMs: 5000 });
  return r.code === 0 ? r.stdout.trim() : undefined;
}
/** polls until the host answers ssh with a boot id different from `old`; returns it */
export async function waitNewBoot(lab: LabState, h: LabHost, old: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const id = bootId(lab, h);
    if (id && id !== old) return id;
    await sleep(200);
  }
  throw new Error(`${h.name} did not come back with a new boot id within ${timeoutMs} ms`);
}

export interface HttpResult {
  status: number;
  body: string;
}
/** HTTPS request verified against the lab CA */
export function https(
  lab: LabState,
  h: LabHost,
  path: string,
  opts: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: h.address,
        port: 443,
        path,
        method: opts.method ?? 'GET',
        ca: readFileSync(lab.caFile),
        servername: undefined,
        headers: { ...(opts.body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(opts.body);
  });
}

/** one JSON-RPC call to the host's API stand-in; path 'admin/user' or '/api/2/admin/user'; auth 'basic' | 'bearer' | 'none' */
export async function rpc(
  lab: LabState,
  h: LabHost,
  path: string,
  method: string,
  params: unknown[] = [],
  auth: 'basic' | 'bearer' | 'none' = 'bearer',
): Promise<{ status: number; result?: unknown; error?: { code: number; message: string } }> {
  const c = readApiCredentials(lab);
  const headers: Record<string, string> = {};
  if (auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;
  if (auth === 'bearer') headers.authorization = `Bearer ${c.token}`;
  const r = await https(lab, h, `/api/2/${path.replace(/^\/?(api\/2\/)?/, '')}`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
  });
  let parsed: { result?: unknown; error?: { code: number; message: string } } = {};
  try {
    parsed = JSON.parse(r.body);
  } catch {
    /* not JSON (e.g. 502 page) */
  }
  return { status: r.status, ...parsed };
}
