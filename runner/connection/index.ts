/**
 * Picks the connection for a host from its inventory settings, filling what the inventory
 * leaves open from the OpenSSH client config (the inventory always wins).
 */
import { userInfo } from 'node:os';
import { registerSecret } from '../model/secrets.ts';
import { RunnerError } from '../model/errors.ts';
import { defaultSshConfigFile, lookupSshConfig, parseJumpSpec } from './sshConfig.ts';
import { LocalConnection } from './local.ts';
import { SshConnection } from './ssh.ts';
import type { SshEndpoint } from './link.ts';
import { DEFAULT_CHANNEL, type BecomeSettings, type Connection } from './connection.ts';
import type { ConnectionSettings, Host } from '../inventory/load.ts';

export interface ConnectOptions {
  /** `-F FILE`: read this instead of the inventory's sshConfigFile or ~/.ssh/config. */
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
  const become = becomeSettings(host, opts);
  if (host.connection === 'local') {
    const local = new LocalConnection(host.name);
    local.become = become;
    return local;
  }
  let password = opts.sshPassword;
  if (host.passwordEnv && process.env[host.passwordEnv] !== undefined) password = process.env[host.passwordEnv];
  else if (host.passwordEnv && password === undefined) {
    throw new RunnerError(`${host.name}: the inventory reads the SSH password from $${host.passwordEnv}, which is not set (or use --ask-pass)`);
  }
  registerSecret(password);
  const set = (k: keyof ConnectionSettings) => (host.explicit ? host.explicit.has(k) : true);
  const configFile = opts.sshConfigFile ?? host.sshConfigFile ?? defaultSshConfigFile();
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
  return new SshConnection({
    host: host.name,
    address: set('address') ? host.address : (cfg.hostName ?? host.address),
    port: set('port') ? host.port : (cfg.port ?? host.port),
    user: set('user') ? host.user : (cfg.user ?? host.user),
    identityFiles,
    password,
    jumps,
    passphraseEnv: host.identityPassphraseEnv,
    askPassphrase: opts.askPassphrase,
    hostKeyChecking: host.hostKeyChecking,
    knownHostsFiles: host.knownHostsFiles,
    connectTimeoutMs: (set('connectTimeoutSec') ? host.connectTimeoutSec : (cfg.connectTimeoutSec ?? host.connectTimeoutSec)) * 1000,
    keepaliveIntervalMs: (host.serverAliveIntervalSec ?? cfg.serverAliveIntervalSec ?? 5) * 1000,
    keepaliveCountMax: host.serverAliveCountMax ?? cfg.serverAliveCountMax ?? 3,
    become,
    warn,
    channel: channelFor(host, opts),
  });
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
