// Issue 14 item 2, performed for real against sshd on loopback: a host whose known key is
// ed25519 comes back presenting only an RSA key (an impostor that lacks the real key); a server
// offering both types must present the known one; unknown hosts are refused by default with a
// line that accepts exactly the key seen; /etc/ssh/ssh_known_hosts, StrictHostKeyChecking,
// UserKnownHostsFile, GlobalKnownHostsFile and Include in ssh_config are honoured.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackConnection, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { SshConnection, type SshOptions } from '../../runner/connection/ssh.ts';
import { connectionFor } from '../../runner/connection/index.ts';
import { buildInventory, type InventorySpec } from '../../runner/inventory/load.ts';
import { clearSshConfigCache } from '../../runner/connection/sshConfig.ts';
import { fingerprint } from '../../runner/connection/knownHosts.ts';
import type { Connection } from '../../runner/connection/connection.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-hostkey-'));
const port = portBase() + 4;
const key = makeClientKey();
const opened: Connection[] = [];
let dual: TestSshd;
const home = join(root, 'home');
const realHome = process.env.HOME;

const pub = (file: string) => readFileSync(file, 'utf8').split(' ').slice(0, 2).join(' ');
const blob = (file: string) => Buffer.from(pub(file).split(' ')[1]!, 'base64');
const token = (s: TestSshd) => `[${s.address}]:${port}`;
const fails = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

function conn(o: Partial<SshOptions> & { address: string }): SshConnection {
  const c = loopbackConnection(key, join(root, 'unused_known_hosts'), {
    host: o.host ?? o.address,
    port,
    globalKnownHostsFiles: [],
    ...o,
  } as SshOptions);
  opened.push(c);
  return c;
}

/** A host from an inventory that leaves host key settings to the defaults and ssh_config. */
function fromInventory(
  name: string,
  sshConfig: string,
  host: Record<string, unknown> = {},
  warn: (m: string) => void = () => {},
): Connection {
  clearSshConfigCache();
  const spec = {
    defaults: { user: 'root', identityFile: key.key, sshConfigFile: sshConfig, connectTimeoutSec: 3 },
    hosts: { [name]: host },
  } as InventorySpec;
  const c = connectionFor(buildInventory(join(root, 'inv.ts'), spec).hosts[0]!, warn);
  opened.push(c);
  return c;
}

test.before(async () => {
  // A server with an ed25519 and an RSA host key.
  const rsa = join(root, 'dual_rsa');
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
  dual = await startSshd({ name: 'hkdual', address: '127.0.0.95', port, client: key, extraConfig: [`HostKey ${rsa}`] });
  (dual as TestSshd & { rsa: string }).rsa = rsa;
  mkdirSync(join(home, '.ssh'), { recursive: true });
  process.env.HOME = home; // ~/.ssh/known_hosts and ~/.ssh/config of the tests, not root's own
});

test.after(async () => {
  process.env.HOME = realHome;
  for (const c of opened) await c.close();
  await dual?.stop();
  rmSync(root, { recursive: true, force: true });
});

test('a host known by its ed25519 key that comes back with only an RSA key is refused as changed, in accept-new too', async () => {
  const s = await startSshd({ name: 'hkswap', address: '127.0.0.96', port, client: key });
  try {
    const file = join(root, 'known_swap');
    await conn({ host: 'pbx-swap', address: s.address, knownHostsFiles: [file] }).exec('true');
    const known = readFileSync(file, 'utf8');
    assert.match(known, / ssh-ed25519 /);
    await s.rekey('rsa'); // the impostor: same address, no ed25519 key, an RSA key of its own
    const marker = join(root, 'ran-on-impostor');
    for (const mode of ['accept-new', 'strict'] as const) {
      const e = await fails(
        conn({ host: 'pbx-swap', address: s.address, knownHostsFiles: [file], hostKeyChecking: mode }).exec(`touch ${marker}`),
      );
      assert.ok(e, `${mode}: connected to a host whose key changed`);
      assert.match(e!.message, /WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!/);
      assert.match(e!.message, /IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!/);
      assert.ok(
        e!.message.includes(`The fingerprint for the RSA key sent by the remote host is ${fingerprint(blob(s.hostKey + '.pub'))}`),
        e!.message,
      );
      assert.ok(e!.message.includes(`Offending ED25519 key in ${file}:1`), e!.message);
      assert.ok(e!.message.includes(`ssh-keygen -f '${file}' -R '${token(s)}'`), e!.message);
    }
    assert.is(readFileSync(file, 'utf8'), known, 'nothing learned');
    assert.not.ok(existsSync(marker), 'a command ran on the impostor');
  } finally {
    await s.stop();
  }
});

test('known-types-first: known_hosts holds only the RSA key of a server offering ed25519 too; strict connects with RSA', async () => {
  const file = join(root, 'known_rsa_only');
  writeFileSync(file, `${token(dual)} ${pub((dual as TestSshd & { rsa: string }).rsa + '.pub')}\n`);
  const c = conn({ host: 'pbx-dual', address: dual.address, knownHostsFiles: [file], hostKeyChecking: 'strict' });
  assert.is((await c.exec('echo via-rsa')).stdout, 'via-rsa\n');
  const ed = join(root, 'known_ed_only');
  writeFileSync(ed, `${token(dual)} ${pub(dual.hostKey + '.pub')}\n`);
  const c2 = conn({ host: 'pbx-dual', address: dual.address, knownHostsFiles: [ed], hostKeyChecking: 'strict' });
  assert.is((await c2.exec('echo via-ed25519')).stdout, 'via-ed25519\n');
});

test('the default is strict: an unknown host is refused with its fingerprint and one line that accepts it', async () => {
  const none = join(root, 'no_config');
  const e = await fails(fromInventory('pbx-new', none, { address: dual.address, port }).exec('true'));
  assert.ok(e, 'an unknown host was accepted by default');
  assert.ok(e!.message.includes(fingerprint(blob(dual.hostKey + '.pub'))), e!.message);
  const line = /accept it with: (echo .*>> \S+)/.exec(e!.message)?.[1];
  assert.ok(line, e!.message);
  assert.ok(line!.endsWith(`>> ${join(home, '.ssh', 'known_hosts')}`), line);
  execFileSync('sh', ['-c', line!]);
  assert.is((await fromInventory('pbx-new', none, { address: dual.address, port }).exec('echo accepted')).stdout, 'accepted\n');
  rmSync(join(home, '.ssh', 'known_hosts'));
});

test('/etc/ssh/ssh_known_hosts is read', async () => {
  const global = '/etc/ssh/ssh_known_hosts';
  const backup = join(root, 'ssh_known_hosts.orig');
  const had = existsSync(global);
  if (had) copyFileSync(global, backup);
  try {
    writeFileSync(global, `${had ? readFileSync(backup, 'utf8') : ''}${token(dual)} ${pub(dual.hostKey + '.pub')}\n`, { mode: 0o644 });
    const c = fromInventory('pbx-global', join(root, 'no_config'), {
      address: dual.address,
      port,
      knownHostsFile: join(root, 'empty_known'),
      hostKeyChecking: 'strict',
    });
    assert.is((await c.exec('echo global')).stdout, 'global\n');
  } finally {
    if (had) copyFileSync(backup, global);
    else rmSync(global, { force: true });
  }
});

test('ssh_config: StrictHostKeyChecking, UserKnownHostsFile and GlobalKnownHostsFile are honoured', async () => {
  const cfg = join(root, 'ssh_config_hk');
  const userFile = join(root, 'cfg_user_known');
  const globalFile = join(root, 'cfg_global_known');
  writeFileSync(globalFile, `${token(dual)} ${pub(dual.hostKey + '.pub')}\n`);
  writeFileSync(
    cfg,
    [
      `Host pbx-learn`,
      `  HostName ${dual.address}`,
      `  Port ${port}`,
      `  StrictHostKeyChecking accept-new`,
      `  UserKnownHostsFile ${userFile}`,
      `  GlobalKnownHostsFile none`,
      `Host pbx-strict`,
      `  HostName ${dual.address}`,
      `  Port ${port}`,
      `  StrictHostKeyChecking yes`,
      `  UserKnownHostsFile ${join(root, 'cfg_other_known')}`,
      `Host pbx-global-cfg`,
      `  HostName ${dual.address}`,
      `  Port ${port}`,
      `  UserKnownHostsFile ${join(root, 'cfg_empty_known')}`,
      `  GlobalKnownHostsFile ${globalFile}`,
      '',
    ].join('\n'),
  );
  assert.is((await fromInventory('pbx-learn', cfg).exec('echo learned')).stdout, 'learned\n');
  assert.match(readFileSync(userFile, 'utf8'), new RegExp(`^\\[${dual.address.replace(/\./g, '\\.')}\\]:${port} ssh-ed25519 `));
  const e = await fails(fromInventory('pbx-strict', cfg).exec('true'));
  assert.match(e?.message ?? 'connected', /unknown host key/);
  assert.not.ok(existsSync(join(root, 'cfg_other_known')));
  assert.is((await fromInventory('pbx-global-cfg', cfg).exec('echo from-global')).stdout, 'from-global\n');
  // The inventory still wins over ssh_config.
  const e2 = await fails(
    fromInventory('pbx-learn', cfg, { hostKeyChecking: 'strict', knownHostsFile: join(root, 'inv_known') }).exec('true'),
  );
  assert.match(e2?.message ?? 'connected', /unknown host key/);
});

test('Include in ssh_config is followed (relative to ~/.ssh, globs, then the lines after it)', async () => {
  mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
  const kh = join(root, 'inc_known');
  writeFileSync(
    join(home, '.ssh', 'conf.d', '10-pbx.conf'),
    `Host pbx-inc\n  HostName ${dual.address}\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ${kh}\n`,
  );
  const cfg = join(home, '.ssh', 'config');
  writeFileSync(cfg, `Include conf.d/*.conf\nPort ${port}\n`);
  const c = fromInventory('pbx-inc', cfg);
  assert.is((await c.exec('echo included')).stdout, 'included\n');
  assert.ok(existsSync(kh));
  rmSync(cfg);
});

test.run();
