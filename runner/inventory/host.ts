/**
 * The runner's host model: how to reach a host (typed connection settings, from a TypeScript
 * inventory or mapped from Ansible's variables) and its resolved record, checked field by field.
 */
import { homedir, userInfo } from 'node:os';
import { resolve, isAbsolute } from 'node:path';
import { InventoryError } from '../model/errors.ts';
import type { HostKeyChecking } from '../connection/knownHosts.ts';
import type { HostVars } from '../model/vars.ts';
import type { AnsibleInventory } from './ansible.ts';

/** How to reach a host; every field may come from inventory defaults, a group or the host. */
export interface ConnectionSettings {
  /** @default the host's name */
  address?: string;
  /** @default 22 */
  port?: number;
  /** @default the controller's user */
  user?: string;
  /** `local` runs on the controller itself. @default 'ssh' */
  connection?: 'ssh' | 'local';
  /** Private keys, tried after the agent. @default ~/.ssh/id_ed25519, id_ecdsa, id_rsa */
  identityFile?: string | string[];
  /** Name of an environment variable holding the SSH password. */
  passwordEnv?: string;
  /** Name of an environment variable holding the sudo password. */
  becomePasswordEnv?: string;
  /** Unknown host keys are refused unless this is 'accept-new' (or ssh_config's StrictHostKeyChecking says so). @default 'strict' */
  hostKeyChecking?: HostKeyChecking;
  /** known_hosts files; the first records new keys. @default ~/.ssh/known_hosts */
  knownHostsFile?: string | string[];
  /** @default 10 */
  connectTimeoutSec?: number;
  /** Jump hosts, outermost first, `[user@]host[:port]` (like ProxyJump; overrides it). */
  jump?: string | string[];
  /** OpenSSH client config read for HostName, User, Port, IdentityFile, ProxyJump, timeouts. @default ~/.ssh/config */
  sshConfigFile?: string;
  /** Name of an environment variable holding the passphrase of encrypted identity files. */
  identityPassphraseEnv?: string;
  /** Keepalive interval; a dead link is noticed after interval × countMax. @default 5 */
  serverAliveIntervalSec?: number;
  /** @default 3 */
  serverAliveCountMax?: number;
  /** How long to wait for sudo's prompt or success marker. @default 12 */
  becomeTimeoutSec?: number;
  /**
   * How commands reach the host: `persistent` (one long-lived framed shell, and one root shell
   * through sudo) or `exec` (an SSH channel per command). @default the runner's default
   */
  channel?: 'persistent' | 'exec';
  /**
   * The shell that runs shell-form tasks (`shell({ cmd })`) on the persistent channel, for the
   * login user and for `become` alike: an absolute path to a POSIX shell, for hosts whose
   * `/bin/sh` will not do (Ansible's `ansible_shell_executable`). argv tasks (`command({ argv })`)
   * run with no shell at all. @default '/bin/sh'
   */
  shell?: string;
}

export interface HostSpec extends ConnectionSettings {
  tags?: string[];
  groups?: string[];
  vars?: Partial<HostVars>;
}

export interface GroupSpec {
  vars?: Partial<HostVars>;
  /** Ansible's ansible_group_priority: among groups of the same depth, higher wins. @default 1 */
  priority?: number;
  hosts?: string[];
  children?: string[];
}

/** How a rollout over this inventory goes; the command line wins, then this, then the playbook. */
export interface RolloutSettings {
  serial?: import('../model/dsl.ts').Serial;
  maxFailPercentage?: number;
  forks?: number;
}

export interface InventorySpec {
  rollout?: RolloutSettings;
  defaults?: ConnectionSettings & { vars?: Partial<HostVars> };
  groups?: Record<string, GroupSpec>;
  hosts: Record<string, HostSpec>;
}

/** The settings a resolved host keeps as the inventory gave them (unset stays unset). */
type PassedThrough =
  | 'passwordEnv'
  | 'becomePasswordEnv'
  | 'sshConfigFile'
  | 'identityPassphraseEnv'
  | 'serverAliveIntervalSec'
  | 'serverAliveCountMax'
  | 'becomeTimeoutSec'
  | 'channel'
  | 'shell';

/** A host resolved: defaults filled in, lists made lists; the other settings passed through. */
export interface Host
  extends
    Pick<ConnectionSettings, PassedThrough>,
    Required<Pick<ConnectionSettings, 'port' | 'user' | 'connection' | 'hostKeyChecking' | 'connectTimeoutSec'>> {
  name: string;
  address: string;
  identityFiles: string[];
  knownHostsFiles: string[];
  jump?: string[];
  /** An ansible_connection the runner cannot serve (network_cli, winrm…): any task on the host fails. */
  unsupportedConnection?: string;
  /** Connection settings the inventory set itself: ~/.ssh/config fills in only the others. */
  explicit?: ReadonlySet<keyof ConnectionSettings>;
  tags: string[];
  /** Every group the host is in, parents included, plus `all`. */
  groups: string[];
  vars: HostVars;
}

export interface Inventory {
  file: string;
  rollout?: RolloutSettings;
  hosts: Host[];
  groups: Map<string, Set<string>>;
  /** An Ansible inventory's own model: patterns then follow its group and host order exactly. */
  ansible?: AnsibleInventory;
  /** Said once at load (Ansible's warnings, ignored settings, untemplated Jinja). */
  warnings: string[];
}

export const CONNECTION_KEYS = [
  'address',
  'port',
  'user',
  'connection',
  'identityFile',
  'passwordEnv',
  'becomePasswordEnv',
  'hostKeyChecking',
  'knownHostsFile',
  'connectTimeoutSec',
  'jump',
  'sshConfigFile',
  'identityPassphraseEnv',
  'serverAliveIntervalSec',
  'serverAliveCountMax',
  'becomeTimeoutSec',
  'channel',
  'shell',
] as const;

/** `jump` as a list of "[user@]host[:port]" words. */
function jumpOf(file: string, value: ConnectionSettings['jump'], where: { host: string; field: string }): string[] | undefined {
  const jump = value === undefined ? undefined : Array.isArray(value) ? value : [value];
  if (jump && !jump.every((j) => typeof j === 'string' && /^[^\s,]+$/.test(j))) {
    throw new InventoryError(file, 'must be a jump host "[user@]host[:port]" or a list of them', where);
  }
  return jump;
}

export function resolveHost(
  file: string,
  base: string,
  name: string,
  c: ConnectionSettings,
  tags: string[],
  groups: string[],
  vars: HostVars,
): Host {
  const where = (field: string) => ({ host: name, field });
  const str = (field: keyof ConnectionSettings) => {
    const v = c[field];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new InventoryError(file, 'must be a non-empty string', where(field));
    return v as string | undefined;
  };
  const positive = (field: 'serverAliveIntervalSec' | 'serverAliveCountMax' | 'becomeTimeoutSec') => {
    const v = c[field];
    if (v !== undefined && (typeof v !== 'number' || !(v > 0))) throw new InventoryError(file, 'must be a positive number', where(field));
    return v;
  };
  const jump = jumpOf(file, c.jump, where('jump'));
  const list = (field: 'identityFile' | 'knownHostsFile') => {
    const v = c[field];
    if (v === undefined) return undefined;
    const arr = Array.isArray(v) ? v : [v];
    if (!arr.every((x) => typeof x === 'string' && x !== ''))
      throw new InventoryError(file, 'must be a path or a list of paths', where(field));
    return arr.map((p) => expandPath(base, p));
  };
  const port = c.port ?? 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InventoryError(file, `must be a port number 1–65535, not ${JSON.stringify(c.port)}`, where('port'));
  const connection = c.connection ?? 'ssh';
  if (connection !== 'ssh' && connection !== 'local')
    throw new InventoryError(file, `must be 'ssh' or 'local', not ${JSON.stringify(connection)}`, where('connection'));
  const hkc = c.hostKeyChecking ?? 'strict';
  if (!['strict', 'accept-new', 'off'].includes(hkc))
    throw new InventoryError(file, `must be 'strict', 'accept-new' or 'off', not ${JSON.stringify(hkc)}`, where('hostKeyChecking'));
  const timeout = c.connectTimeoutSec ?? 10;
  if (typeof timeout !== 'number' || !(timeout > 0))
    throw new InventoryError(file, 'must be a positive number of seconds', where('connectTimeoutSec'));
  if (c.channel !== undefined && c.channel !== 'persistent' && c.channel !== 'exec') {
    throw new InventoryError(file, `must be 'persistent' or 'exec', not ${JSON.stringify(c.channel)}`, where('channel'));
  }
  if (c.shell !== undefined && (typeof c.shell !== 'string' || !/^\/[^\0\n]*[^/\0\n]$/.test(c.shell))) {
    throw new InventoryError(
      file,
      `must be an absolute path to a shell (e.g. '/bin/bash'), not ${JSON.stringify(c.shell)}`,
      where('shell'),
    );
  }
  const ssh = join(homedir(), '.ssh');
  return {
    name,
    address: str('address') ?? name,
    port,
    user: str('user') ?? userInfo().username,
    connection,
    identityFiles: list('identityFile') ?? ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(ssh, f)),
    passwordEnv: str('passwordEnv'),
    becomePasswordEnv: str('becomePasswordEnv'),
    hostKeyChecking: hkc,
    knownHostsFiles: list('knownHostsFile') ?? [join(ssh, 'known_hosts')],
    connectTimeoutSec: timeout,
    jump,
    sshConfigFile: c.sshConfigFile !== undefined ? expandPath(base, str('sshConfigFile')!) : undefined,
    identityPassphraseEnv: str('identityPassphraseEnv'),
    serverAliveIntervalSec: positive('serverAliveIntervalSec'),
    serverAliveCountMax: positive('serverAliveCountMax'),
    becomeTimeoutSec: positive('becomeTimeoutSec'),
    channel: c.channel,
    shell: c.shell,
    explicit: new Set(CONNECTION_KEYS.filter((k) => c[k] !== undefined)),
    tags: [...tags],
    groups,
    vars,
  };
}

const join = (...p: string[]) => resolve(...p);
function expandPath(base: string, p: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : join(base, p);
}
