// ssh_config's ProxyCommand (issue 14 item 14): a host meant to be reached through a bastion is
// reached through it — the command (here OpenSSH's own `ssh -W` through a second real sshd) is
// the transport — or it fails naming the command; it is never contacted directly. Before the fix
// the setting was ignored and the runner dialled the HostName itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { connectionFor } from '../../runner/connection/index.ts';
import { clearSshConfigCache } from '../../runner/connection/sshConfig.ts';
import type { SshConnection } from '../../runner/connection/ssh.ts';
import { buildInventory } from '../../runner/inventory/load.ts';
import { UnreachableError } from '../../runner/model/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-proxy-'));
const port = portBase() + 4;
const key = makeClientKey();
let bastion: TestSshd;
let target: TestSshd;
const opened: SshConnection[] = [];

/** OpenSSH as the proxy: through the bastion to `to` (`%h:%p` or a fixed address). */
const viaBastion = (to: string) =>
  `ssh -F /dev/null -i ${key.key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p ${port} -W ${to} root@${bastion.address}`;

function connect(alias: string, config: string, warn: (m: string) => void = () => {}): SshConnection {
  clearSshConfigCache();
  const cfg = join(root, `config-${alias}`);
  writeFileSync(cfg, config);
  const inv = buildInventory(join(root, 'inv.ts'), {
    defaults: {
      hostKeyChecking: 'accept-new',
      knownHostsFile: join(root, 'known_hosts'),
      sshConfigFile: cfg,
      identityFile: key.key,
      connectTimeoutSec: 5,
    },
    hosts: { [alias]: {} },
  });
  const c = connectionFor(inv.hosts[0]!, warn) as SshConnection;
  opened.push(c);
  return c;
}

test.before(async () => {
  bastion = await startSshd({ name: 'bastion', address: '127.0.0.92', port, client: key });
  target = await startSshd({ name: 'behind', address: '127.0.0.93', port, client: key });
});

test.after(async () => {
  for (const c of opened) await c.close();
  await bastion?.stop();
  await target?.stop();
  rmSync(root, { recursive: true, force: true });
});

test('ProxyCommand is the transport: a HostName the controller cannot reach directly works through it', async () => {
  // `behind.invalid` does not resolve: only the proxy, which names the real address, gets there.
  const c = connect(
    'pbx-behind',
    `Host pbx-behind\n  HostName behind.invalid\n  Port ${port}\n  User root\n  ProxyCommand ${viaBastion(`${target.address}:${port}`)}\n`,
  );
  assert.is((await c.exec('echo through-the-bastion')).stdout, 'through-the-bastion\n');
  assert.ok(bastion.sessionPids().length > 0, 'the bastion carries the session');
  assert.is((await c.exec('hostname >/dev/null; echo again')).stdout, 'again\n', 'the persistent channel works over the proxy');
});

test('ProxyCommand tokens %h %p %r are expanded as OpenSSH does', async () => {
  const c = connect(
    'pbx-tokens',
    `Host pbx-tokens\n  HostName ${target.address}\n  Port ${port}\n  User root\n  ProxyCommand ${viaBastion('%h:%p')} -l %r\n`,
  );
  assert.match(c.options.proxyCommand!, new RegExp(`-W ${target.address.replace(/\./g, '\\.')}:${port} .* -l root$`));
  assert.is((await c.exec('echo tokens')).stdout, 'tokens\n');
});

test('a proxy that fails: unreachable, naming the command, its exit and what it said', async () => {
  const c = connect(
    'pbx-noproxy',
    `Host pbx-noproxy\n  HostName ${target.address}\n  Port ${port}\n  User root\n  ProxyCommand sh -c 'echo "bastion says no route to %h" >&2; exit 3'\n`,
  );
  const e = await c.exec('echo never').then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.instance(e, UnreachableError);
  assert.match(
    (e as Error).message,
    /^pbx-noproxy \(127\.0\.0\.93:\d+\) unreachable: through ProxyCommand `sh -c .*` exit 3: bastion says no route to 127\.0\.0\.93/,
  );
});

test("the inventory's jump wins over ProxyCommand, and says so", async () => {
  clearSshConfigCache();
  const cfg = join(root, 'config-jumpwins');
  writeFileSync(cfg, `Host pbx-jw\n  HostName ${target.address}\n  Port ${port}\n  User root\n  ProxyCommand false\n`);
  const inv = buildInventory(join(root, 'inv.ts'), {
    defaults: {
      hostKeyChecking: 'accept-new',
      knownHostsFile: join(root, 'known_hosts'),
      sshConfigFile: cfg,
      identityFile: key.key,
      connectTimeoutSec: 5,
      user: 'root',
    },
    hosts: { 'pbx-jw': { jump: [`root@${bastion.address}:${port}`] } },
  });
  const warnings: string[] = [];
  const c = connectionFor(inv.hosts[0]!, (m) => warnings.push(m)) as SshConnection;
  opened.push(c);
  assert.is(c.options.proxyCommand, undefined);
  assert.match(warnings.join('\n'), /the inventory's jump .* is used instead of the ProxyCommand/);
  assert.is((await c.exec('echo jumped')).stdout, 'jumped\n');
});

test.run();
