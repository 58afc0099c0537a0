/**
 * Proxmox VE snapshots over the documented HTTP API: create, list, roll back and delete
 * under `/api2/json/nodes/{node}/qemu/{vmid}/snapshot`, each write returning a task UPID
 * that is polled at `/nodes/{node}/tasks/{upid}/status` until `stopped`, then `exitstatus`
 * is checked. Auth is an API token header, `PVEAPIToken=user@realm!name=secret`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { httpFetch, RunnerError, TimeoutError, registerSecret } from '../../runner/module.ts';
import type { ProxmoxConfig, SnapshotInfo, SnapshotProvider } from './provider.ts';

export class ProxmoxError extends RunnerError {}

export class ProxmoxProvider implements SnapshotProvider {
  readonly label: string;
  readonly #secret: string;
  constructor(
    private readonly c: ProxmoxConfig,
    host: string,
  ) {
    this.label = `proxmox ${c.node}/qemu/${c.vmid}`;
    const secret = process.env[c.tokenSecretEnv];
    if (!secret) throw new ProxmoxError(`${host}: the Proxmox token secret is read from $${c.tokenSecretEnv}, which is not set`);
    registerSecret(secret);
    this.#secret = secret;
  }

  async #call<T>(method: string, path: string, form?: Record<string, string>): Promise<T> {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const res = await httpFetch({
      url: `${this.c.url.replace(/\/$/, '')}/api2/json${path}`,
      method,
      headers: {
        authorization: `PVEAPIToken=${this.c.tokenId}=${this.#secret}`,
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
      caFile: this.c.caFile,
      pinSha256: this.c.pinSha256,
    });
    if (res.status === 401) throw new ProxmoxError(`${this.label}: ${method} ${path}: 401 — token ${this.c.tokenId} rejected`);
    if (res.status < 200 || res.status >= 300)
      throw new ProxmoxError(`${this.label}: ${method} ${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    return (JSON.parse(res.body) as { data: T }).data;
  }

  #vm = () => `/nodes/${encodeURIComponent(this.c.node)}/qemu/${this.c.vmid}`;

  async #wait(upid: string, what: string): Promise<void> {
    const limit = (this.c.taskTimeoutSec ?? 900) * 1000;
    const started = Date.now();
    let status: { status: string; exitstatus?: string } | undefined;
    while (Date.now() - started < limit) {
      status = await this.#call<{ status: string; exitstatus?: string }>(
        'GET',
        `/nodes/${encodeURIComponent(this.c.node)}/tasks/${encodeURIComponent(upid)}/status`,
      );
      if (status.status === 'stopped') {
        if (status.exitstatus === 'OK') return;
        throw new ProxmoxError(`${this.label}: ${what} failed: task ${upid} ended with "${status.exitstatus}"`);
      }
      await sleep((this.c.pollSec ?? 1) * 1000);
    }
    throw new TimeoutError(`${this.label}: ${what} (task ${upid})`, limit, status ? `task still ${status.status}` : undefined);
  }

  async list(): Promise<SnapshotInfo[]> {
    const data = await this.#call<{ name: string; description?: string; snaptime?: number }[]>('GET', `${this.#vm()}/snapshot`);
    // Proxmox lists the live state as a pseudo-snapshot named "current".
    return data.filter((s) => s.name !== 'current').map((s) => ({ name: s.name, description: s.description, time: s.snaptime }));
  }

  async create(name: string, description: string): Promise<void> {
    const upid = await this.#call<string>('POST', `${this.#vm()}/snapshot`, {
      snapname: name,
      description,
      ...(this.c.includeRam ? { vmstate: '1' } : {}),
    });
    await this.#wait(upid, `snapshot "${name}"`);
  }

  async rollback(name: string): Promise<void> {
    const upid = await this.#call<string>('POST', `${this.#vm()}/snapshot/${encodeURIComponent(name)}/rollback`, {});
    await this.#wait(upid, `rollback to "${name}"`);
  }

  async remove(name: string): Promise<void> {
    const upid = await this.#call<string>('DELETE', `${this.#vm()}/snapshot/${encodeURIComponent(name)}`);
    await this.#wait(upid, `delete snapshot "${name}"`);
  }

  rollbackCommand(name: string): string {
    return `qm rollback ${this.c.vmid} ${name}   # on node ${this.c.node}, or: run rollback <inventory> --limit <host> --to ${name}`;
  }
}
