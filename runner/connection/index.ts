/** Picks the connection for a host from its inventory settings. */
import { registerSecret } from '../secrets.ts';
import { RunnerError } from '../errors.ts';
import { LocalConnection } from './local.ts';
import { SshConnection } from './ssh.ts';
import type { Connection } from './connection.ts';
import type { Host } from '../inventory.ts';

export function connectionFor(host: Host, warn: (message: string) => void): Connection {
  if (host.connection === 'local') return new LocalConnection(host.name);
  let password: string | undefined;
  if (host.passwordEnv) {
    password = process.env[host.passwordEnv];
    if (password === undefined) throw new RunnerError(`${host.name}: the inventory reads the SSH password from $${host.passwordEnv}, which is not set`);
    registerSecret(password);
  }
  return new SshConnection({
    host: host.name,
    address: host.address,
    port: host.port,
    user: host.user,
    identityFiles: host.identityFiles,
    password,
    hostKeyChecking: host.hostKeyChecking,
    knownHostsFiles: host.knownHostsFiles,
    connectTimeoutMs: host.connectTimeoutSec * 1000,
    warn,
  });
}
