/**
 * A client for UCware's JSON-RPC API as its public clients use it: JSON-RPC 2.0 over HTTPS
 * POST to `<url><basePath>/<namespace>/<interface>` (base path `/api/2`, older `/api/1`,
 * before 2024 `/ucware/api`), positional params, HTTP Basic or Bearer auth, TLS verified
 * against a CA file or a pinned certificate. No public reference exists: the methods used
 * are the ones seen in those clients (the team's shared/docs/ucware-update-v5.md); anything else lives in
 * `unverified.ts`, off by default.
 */
import { readFileSync } from 'node:fs';
import { httpFetch, RunnerError, registerSecret } from '../../runner/module.ts';
import type { UcwareApiConfig } from './config.ts';

export type DeviceType = 'mac' | 'webrtc' | 'sip-ua' | 'mobile' | 'ipei' | 'app';

export interface UcwareUser {
  id: number;
  username: string;
  firstName?: string;
  lastName?: string;
  email?: string | null;
  extensions?: { number: string; type?: string }[];
}
export interface UcwareSlot {
  id: number;
  deviceType: DeviceType;
  name: string;
  userId: number;
  extensions: string[];
}
export interface UcwareGroup {
  id: number;
  name: string;
  title?: string;
  type: string;
  members: (number | string)[];
  permissions: { permission: string; targetGroup: number | null }[];
}

export class UcwareApiError extends RunnerError {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

export class UcwareApi {
  readonly #auth: string;
  #id = 0;
  constructor(
    readonly host: string,
    readonly url: string,
    private readonly c: UcwareApiConfig,
  ) {
    this.#auth = authHeader(host, c);
  }

  async call<T>(path: 'admin/user' | 'admin/slot' | 'admin/group' | string, method: string, params: unknown[] = []): Promise<T> {
    const endpoint = `${this.url.replace(/\/$/, '')}${this.c.basePath ?? '/api/2'}/${path}`;
    const res = await httpFetch({
      url: endpoint,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: this.#auth },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: ++this.#id }),
      caFile: this.c.caFile,
      pinSha256: this.c.pinSha256,
      timeoutMs: 20_000,
      // Read no further than this (a user list of a large PBX is a few MiB); past it the call fails.
      maxBodyBytes: 64 << 20,
    });
    const where = `${this.host}: ${path}.${method}`;
    if (res.status === 401 || res.status === 403) throw new UcwareApiError(`${where}: HTTP ${res.status}, credentials refused`);
    if (res.status !== 200) throw new UcwareApiError(`${where}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    let msg: { result?: T; error?: { code: number; message: string } };
    try {
      msg = JSON.parse(res.body);
    } catch {
      throw new UcwareApiError(`${where}: the answer is not JSON: ${res.body.slice(0, 200)}`);
    }
    if (msg.error) throw new UcwareApiError(`${where}: error ${msg.error.code}: ${msg.error.message}`, msg.error.code);
    return msg.result as T;
  }

  users = () => this.call<UcwareUser[]>('admin/user', 'getAll');
  slots = () => this.call<UcwareSlot[]>('admin/slot', 'getAll');
  groups = async () => Object.values(await this.call<Record<string, UcwareGroup>>('admin/group', 'getAll'));
  deleteUser = (id: number) => this.call<unknown>('admin/user', 'deleteUser', [id]);
  assignUserNumber = (userId: number, number: string, assign = true) =>
    this.call<unknown>('admin/user', 'assignExtension', [userId, number, assign]);
  newSlot = (slot: { deviceType: DeviceType; name: string; userId: number }) => this.call<UcwareSlot>('admin/slot', 'newSlot', [slot]);
  tickSlot = (slotId: number, number: string) => this.call<unknown>('admin/slot', 'assignExtension', [slotId, number]);
}

/** Basic from user + password (env or file), or Bearer from a token (env or file). */
function authHeader(host: string, c: UcwareApiConfig): string {
  const read = (env?: string, file?: string): string | undefined => {
    if (env && process.env[env]) return process.env[env];
    if (file) return readFileSync(file, 'utf8').trim();
    return undefined;
  };
  const token = read(c.tokenEnv, c.tokenFile);
  if (token) {
    registerSecret(token);
    return `Bearer ${token}`;
  }
  const pw = read(c.passwordEnv, c.passwordFile);
  if (c.user && pw) {
    registerSecret(pw);
    return `Basic ${Buffer.from(`${c.user}:${pw}`).toString('base64')}`;
  }
  throw new UcwareApiError(
    `${host}: no UCware API credentials: set ucwareApi.tokenEnv (Bearer) or ucwareApi.user with passwordEnv (Basic)${c.tokenEnv || c.passwordEnv ? ` — $${c.tokenEnv ?? c.passwordEnv} is not set` : ''}`,
  );
}

export function apiFor(host: { name: string; address: string }, c: UcwareApiConfig | undefined): UcwareApi {
  if (!c) throw new UcwareApiError(`${host.name}: no ucwareApi settings in the inventory`);
  return new UcwareApi(host.name, c.url ?? `https://${host.address}`, c);
}
