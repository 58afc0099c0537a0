/**
 * ssh_config's `ProxyCommand`: the link's first hop is a local command's stdin and stdout, as
 * OpenSSH does it (`ssh -W %h:%p bastion`, `nc`, a corporate proxy wrapper). A host meant to be
 * reached that way is never contacted directly: the command is the transport or the host fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { RunnerError } from '../model/errors.ts';

export interface ProxyTokens {
  /** %h: the HostName the target resolves to. */
  host: string;
  /** %p */
  port: number;
  /** %r: the remote user. */
  user: string;
  /** %n: the alias as given. */
  alias: string;
  /** %u: the local user. */
  localUser: string;
}

/** OpenSSH's tokens for ProxyCommand; one we do not know is refused, never passed on as text. */
export function expandProxyCommand(command: string, t: ProxyTokens, where: string): string {
  const values: Record<string, string> = { '%': '%', h: t.host, p: String(t.port), r: t.user, n: t.alias, u: t.localUser };
  return command.replace(/%(.)/g, (all, c: string) => {
    const v = values[c];
    if (v === undefined) throw new RunnerError(`${where}: ProxyCommand token ${all} is not supported (known: %h %p %r %n %u %%)`);
    return v;
  });
}

/** The proxy command as a socket for ssh2: its stdout is what we read, its stdin what we write. */
export class ProxyStream extends Duplex {
  readonly #child: ChildProcess;
  #stderr = '';
  #exit?: string;
  readonly #exited: Promise<void>;

  constructor(readonly command: string) {
    super();
    // `exec`, as OpenSSH does: the proxy is the shell's process, so killing it ends the link.
    this.#child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    const child = this.#child;
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.once('exit', (code, signal) => (this.#exit = signal ? `killed by ${signal}` : `exit ${code}`));
    child.once('error', (e) => {
      this.#exit = `could not start: ${e.message}`;
      this.destroy(e);
    });
    child.stderr!.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-2000)));
    child.stdout!.on('data', (d: Buffer) => {
      if (!this.push(d)) child.stdout!.pause();
    });
    child.stdout!.once('end', () => this.push(null));
    child.stdin!.on('error', () => undefined); // EPIPE once the proxy is gone: its exit says why
  }

  override _read(): void {
    this.#child.stdout!.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.#child.stdin!.writable) this.#child.stdin!.write(chunk, () => cb());
    else cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.#child.stdin!.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    cb(err);
  }

  /** What became of the proxy, for the error when the link through it failed (waits briefly for its exit). */
  async describe(): Promise<string> {
    await Promise.race([this.#exited, new Promise((r) => setTimeout(r, 1000))]);
    const said = this.#stderr.trim().split('\n').filter(Boolean).at(-1);
    return `ProxyCommand \`${this.command}\`${this.#exit ? ` ${this.#exit}` : ''}${said ? `: ${said}` : ''}`;
  }
}
