/**
 * Picks the connection for a host from its inventory settings, filling what the inventory
 * leaves open from the OpenSSH client config (the inventory always wins).
 */
import { userInfo } from 'node:os';
import { registerSecret } from '../model/secrets.ts';
import { RunnerError } from '../model/errors.ts';
import { defaultSshConfigFiles, lookupSshConfig, parseJumpSpec } from './sshConfig.ts';
import { LocalConnection } from './local.ts';
import { SshConnection } from './ssh.ts';
import type { SshEndpoint } from './link.ts';
import { expandProxyCommand, type ProxyTokens } from './proxyCommand.ts';
import { DEFAULT_CHANNEL, type BecomeSettings, type Connection } from './connection.ts';
import type { ConnectionSettings, Host } from '../inventory/load.ts';

export interface ConnectOptions {
  /** `-F FILE`: read this instead of the inventory's sshConfigFile or ~/.ssh/config and /etc/ssh/ssh_config. */
  sshConfigFile?: string;
  /** `--ask-pass`: the SSH login password for hosts whose passwordEnv does not give one. */
  sshPassword?: string;
  /** `--ask-become-pass`: the sudo password for hosts whose becomePasswordEnv does not give one. */
  becomePassword?: string;
  /** Asks for an encrypted key's passphrase (on a terminal); without it, only identityPassphraseEnv works. */
  askPassphrase?: (prompt: string) => Promise<string | undefined>;
  /** `--channel`: the command channel strategy for every host (wins over the inventory's `channel`). */
  channel?: 'persistent' | 'exec';
}

/** The strategy a host's commands use (local hosts run processes directly: `exec`). */
export function channelFor(host: Host, opts: ConnectOptions = {}): 'persistent' | 'exec' {
  if (host.connection === 'local') return 'exec';
  return opts.channel ?? host.channel ?? DEFAULT_CHANNEL;
}

export function connectionFor(host: Host, warn: (message: string) => void, opts: ConnectOptions = {}): Connection {
  // Never SSH by accident to a switch or a Windows host an Ansible inventory describes.
  if (host.unsupportedConnection)
    return refused(
      host,
      `${host.name}: ansible_connection "${host.unsupportedConnection}" is not supported (the runner speaks ssh and local only)`,
    );
  const become = becomeSettings(host, opts);
  if (host.connection === 'local') {
    const local = new LocalConnection(host.name);
    local.become = become;
    return local;
  }
  let password = opts.sshPassword;
  if (host.passwordEnv && process.env[host.passwordEnv] !== undefined) password = process.env[host.passwordEnv];
  else if (host.passwordEnv && password === undefined) {
    throw new RunnerError(
      `${host.name}: the inventory reads the SSH password from $${host.passwordEnv}, which is not set (or use --ask-pass)`,
    );
  }
  registerSecret(password);
  const set = (k: keyof ConnectionSettings) => (host.explicit ? host.explicit.has(k) : true);
  const explicitConfig = opts.sshConfigFile ?? host.sshConfigFile;
  const configFile = explicitConfig !== undefined ? [explicitConfig] : defaultSshConfigFiles();
  const alias = set('address') ? host.address : host.name;
  const cfg = lookupSshConfig(alias, configFile);
  const identityFiles = set('identityFile') ? host.identityFiles : (cfg.identityFiles ?? host.identityFiles);
  const jumps: SshEndpoint[] = (host.jump ?? cfg.proxyJump ?? []).map((spec) => {
    const j = parseJumpSpec(spec);
    const jc = lookupSshConfig(j.host, configFile);
    return {
      host: spec,
      address: jc.hostName ?? j.host,
      port: j.port ?? jc.port ?? 22,
      user: j.user ?? jc.user ?? userInfo().username,
      identityFiles: jc.identityFiles ?? identityFiles,
    };
  });
  const address = set('address') ? host.address : (cfg.hostName ?? host.address);
  const port = set('port') ? host.port : (cfg.port ?? host.port);
  const user = set('user') ? host.user : (cfg.user ?? host.user);
  return new SshConnection({
    host: host.name,
    address,
    port,
    user,
    identityFiles,
    password,
    jumps,
    proxyCommand: proxyCommandFor(
      host,
      cfg.proxyCommand,
      { host: address, port, user, alias, localUser: userInfo().username },
      configFile.join(', '),
      warn,
    ),
    passphraseEnv: host.identityPassphraseEnv,
    askPassphrase: opts.askPassphrase,
    hostKeyChecking: set('hostKeyChecking') ? host.hostKeyChecking : (cfg.strictHostKeyChecking ?? host.hostKeyChecking),
    knownHostsFiles: set('knownHostsFile') ? host.knownHostsFiles : (cfg.userKnownHostsFiles ?? host.knownHostsFiles),
    globalKnownHostsFiles: cfg.globalKnownHostsFiles,
    connectTimeoutMs: (set('connectTimeoutSec') ? host.connectTimeoutSec : (cfg.connectTimeoutSec ?? host.connectTimeoutSec)) * 1000,
    keepaliveIntervalMs: (host.serverAliveIntervalSec ?? cfg.serverAliveIntervalSec ?? 5) * 1000,
    keepaliveCountMax: host.serverAliveCountMax ?? cfg.serverAliveCountMax ?? 3,
    become,
    warn,
    channel: channelFor(host, opts),
    shell: host.shell,
  });
}

/**
 * ssh_config's ProxyCommand for this host, tokens expanded. The inventory's `jump` wins over it
 * (the inventory wins over the config everywhere), and says so: a proxy is never dropped silently.
 */
function proxyCommandFor(
  host: Host,
  command: string | undefined,
  tokens: ProxyTokens,
  configFile: string,
  warn: (m: string) => void,
): string | undefined {
  if (command === undefined) return undefined;
  if (host.jump?.length) {
    warn(`${host.name}: the inventory's jump (${host.jump.join(', ')}) is used instead of the ProxyCommand in ${configFile}`);
    return undefined;
  }
  return expandProxyCommand(command, tokens, `${configFile}: Host ${tokens.alias}`);
}

/** The host's own env var wins over `--ask-become-pass`, so one run can mix credentials. */
function becomeSettings(host: Host, opts: ConnectOptions): BecomeSettings {
  const timeoutMs = (host.becomeTimeoutSec ?? 12) * 1000;
  if (host.becomePasswordEnv) {
    const pw = process.env[host.becomePasswordEnv];
    if (pw !== undefined) {
      registerSecret(pw);
      return { password: pw, passwordSource: `$${host.becomePasswordEnv}`, timeoutMs };
    }
  }
  if (opts.becomePassword !== undefined) {
    registerSecret(opts.becomePassword);
    return { password: opts.becomePassword, passwordSource: '--ask-become-pass', timeoutMs };
  }
  const hint = host.becomePasswordEnv
    ? `the inventory names $${host.becomePasswordEnv} for it, which is not set`
    : 'set becomePasswordEnv in the inventory or use --ask-become-pass';
  return { passwordSource: hint, timeoutMs };
}

/** A host the runner must not contact: every attempt fails with `message`, on that host alone. */
function refused(host: Host, message: string): Connection {
  const fail = async (): Promise<never> => {
    throw new RunnerError(message);
  };
  return {
    kind: 'ssh',
    host: host.name,
    address: `${host.address}:${host.port}`,
    user: host.user,
    connect: fail,
    exec: fail,
    reset: async () => {},
    close: async () => {},
  };
}
