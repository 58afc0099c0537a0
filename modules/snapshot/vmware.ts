/**
 * VMware snapshots through `govc` (snapshot.create / snapshot.tree / snapshot.revert /
 * snapshot.remove). The vSphere password reaches govc as GOVC_PASSWORD in the environment
 * of that local process only — never a remote one, never argv.
 */
import { RunnerError, registerSecret } from '../../runner/module.ts';
import type { SnapshotInfo, SnapshotProvider, VmwareConfig } from './provider.ts';

export class GovcError extends RunnerError {}

export class VmwareProvider implements SnapshotProvider {
  readonly label: string;
  readonly #env: Record<string, string>;
  constructor(
    private readonly c: VmwareConfig,
    host: string,
  ) {
    this.label = `vmware ${c.vm}`;
    this.#env = { ...(c.env ?? {}) };
    if (c.passwordEnv) {
      const pw = process.env[c.passwordEnv];
      if (!pw) throw new GovcError(`${host}: the vSphere password is read from $${c.passwordEnv}, which is not set`);
      registerSecret(pw);
      this.#env.GOVC_PASSWORD = pw;
    }
  }

  async #govc(args: string[]): Promise<string> {
    const bin = this.c.govc ?? 'govc';
    const { execa } = await import('execa'); // on first use: ~80 ms of start-up otherwise
    const r = await execa(bin, args, { env: this.#env, reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0) {
      const why =
        (r as { code?: string }).code === 'ENOENT'
          ? `${bin} not found (install govc or set snapshot.govc)`
          : `exit ${r.exitCode}: ${String(r.stderr).trim().split('\n').slice(-5).join(' | ')}`;
      throw new GovcError(`${this.label}: govc ${args[0]} failed: ${why}`);
    }
    return String(r.stdout);
  }

  async list(): Promise<SnapshotInfo[]> {
    const out = await this.#govc(['snapshot.tree', '-vm', this.c.vm, '-f']);
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((path) => ({ name: path.split('/').at(-1)! }));
  }

  async create(name: string, description: string): Promise<void> {
    await this.#govc(['snapshot.create', '-vm', this.c.vm, '-d', description, '-m=false', name]);
  }

  async rollback(name: string): Promise<void> {
    await this.#govc(['snapshot.revert', '-vm', this.c.vm, name]);
  }

  async remove(name: string): Promise<void> {
    await this.#govc(['snapshot.remove', '-vm', this.c.vm, name]);
  }

  rollbackCommand(name: string): string {
    return `govc snapshot.revert -vm '${this.c.vm}' '${name}'`;
  }
}
