// ~/.ssh/config lookups (through the ssh-config parser) and how connectionFor merges them with the inventory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { lookupSshConfig, parseJumpSpec, clearSshConfigCache } from '../../../../runner/connection/sshConfig.ts';
import { connectionFor } from '../../../../runner/connection/index.ts';
import { buildInventory } from '../../../../runner/inventory/load.ts';
import type { SshConnection } from '../../../../runner/connection/ssh.ts';

const dir = mkdtempSync(join(tmpdir(), 'ucw-sshcfg-'));
const cfg = join(dir, 'config');
writeFileSync(
  cfg,
  `# PBX fleet
Host pbx-ber-*
  User ucware
  Port 2222
  ProxyJump bastion.example.org,admin@10.9.0.1:2200
  ServerAliveInterval 15
  serveralivecountmax 4

Host pbx-ber-1
  HostName 10.1.0.5
  IdentityFile ~/.ssh/id_pbx
  IdentityFile keys/second

Host bastion.example.org
  HostName 192.0.2.10
  User jump

Host pbx-%h
  HostName %h.internal

Host *
  ConnectTimeout 7
  User fallback
`,
);

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('first match wins per key; IdentityFile accumulates and expands ~; ProxyJump is a list', () => {
  clearSshConfigCache();
  const c = lookupSshConfig('pbx-ber-1', cfg);
  assert.equal(c, {
    hostName: '10.1.0.5',
    user: 'ucware',
    port: 2222,
    identityFiles: [join(homedir(), '.ssh/id_pbx'), join(homedir(), '.ssh/keys/second')],
    proxyJump: ['bastion.example.org', 'admin@10.9.0.1:2200'],
    connectTimeoutSec: 7,
    serverAliveIntervalSec: 15,
    serverAliveCountMax: 4,
  });
  assert.equal(lookupSshConfig('other', cfg), { user: 'fallback', connectTimeoutSec: 7 });
  assert.equal(lookupSshConfig('x', join(dir, 'missing')), {});
});

test('jump specs', () => {
  assert.equal(parseJumpSpec('admin@10.9.0.1:2200'), { user: 'admin', host: '10.9.0.1', port: 2200 });
  assert.equal(parseJumpSpec('bastion'), { user: undefined, host: 'bastion', port: undefined });
  assert.equal(parseJumpSpec('[fd00::1]:22'), { user: undefined, host: 'fd00::1', port: 22 });
  assert.throws(() => parseJumpSpec('a@b@c:x'), /invalid jump host/);
});

test('connectionFor: the config fills gaps, the inventory wins, -F overrides the inventory file', () => {
  clearSshConfigCache();
  const inv = buildInventory(join(dir, 'inv.ts'), {
    defaults: { sshConfigFile: cfg },
    hosts: {
      'pbx-ber-1': {},
      'pbx-ber-2': { user: 'root', port: 22, identityFile: '/keys/k', connectTimeoutSec: 3, jump: 'root@10.0.0.1' },
    },
  });
  const a = connectionFor(inv.hosts[0]!, () => {}) as SshConnection;
  assert.is(a.address, '10.1.0.5:2222');
  assert.is(a.user, 'ucware');
  assert.equal(a.options.identityFiles, [join(homedir(), '.ssh/id_pbx'), join(homedir(), '.ssh/keys/second')]);
  assert.is(a.options.connectTimeoutMs, 7000);
  assert.is(a.options.keepaliveIntervalMs, 15_000);
  assert.is(a.options.keepaliveCountMax, 4);
  assert.equal(
    a.options.jumps!.map((j) => `${j.user}@${j.address}:${j.port}`),
    ['jump@192.0.2.10:22', 'admin@10.9.0.1:2200'],
    'the jump host resolves through the config too',
  );
  const b = connectionFor(inv.hosts[1]!, () => {}) as SshConnection;
  assert.is(b.address, 'pbx-ber-2:22');
  assert.is(b.user, 'root');
  assert.equal(b.options.identityFiles, ['/keys/k']);
  assert.is(b.options.connectTimeoutMs, 3000);
  assert.equal(
    b.options.jumps!.map((j) => `${j.user}@${j.address}:${j.port}`),
    ['root@10.0.0.1:22'],
  );
  const other = join(dir, 'other');
  writeFileSync(other, 'Host pbx-ber-1\n  HostName 10.7.7.7\n');
  const f = connectionFor(inv.hosts[0]!, () => {}, { sshConfigFile: other }) as SshConnection;
  assert.is(f.address, '10.7.7.7:22');
});

test('become settings: the host env var wins over --ask-become-pass; a named but unset var is explained', () => {
  const inv = buildInventory(join(dir, 'inv2.ts'), {
    defaults: { sshConfigFile: join(dir, 'missing') },
    hosts: { a: { becomePasswordEnv: 'UCW_T_BECOME_A' }, b: { becomePasswordEnv: 'UCW_T_UNSET' }, c: {} },
  });
  process.env.UCW_T_BECOME_A = 'from-env';
  try {
    const [a, b, c] = inv.hosts.map((h) => connectionFor(h, () => {}, { becomePassword: 'from-K' }));
    assert.is(a!.become!.password, 'from-env');
    assert.is(b!.become!.password, 'from-K');
    assert.is(c!.become!.password, 'from-K');
    const none = connectionFor(inv.hosts[1]!, () => {});
    assert.is(none.become!.password, undefined);
    assert.match(none.become!.passwordSource!, /\$UCW_T_UNSET .*not set/);
  } finally {
    delete process.env.UCW_T_BECOME_A;
  }
});

test('ProxyCommand: read whole, tokens expanded for the connection, `none` is none; with ProxyJump too it is refused', () => {
  clearSshConfigCache();
  const file = join(dir, 'proxy');
  writeFileSync(
    file,
    'Host pbx-p\n  HostName 10.2.0.9\n  User ucware\n  Port 2201\n  ProxyCommand ssh -W %h:%p -l %r "jump host" %n 100%%\n\n' +
      'Host pbx-none\n  ProxyCommand none\n\nHost pbx-both\n  ProxyJump bastion\n  ProxyCommand nc %h %p\n\nHost pbx-odd\n  ProxyCommand connect %C\n',
  );
  assert.is(lookupSshConfig('pbx-p', file).proxyCommand, 'ssh -W %h:%p -l %r "jump host" %n 100%%');
  assert.is(lookupSshConfig('pbx-none', file).proxyCommand, undefined);
  assert.throws(() => lookupSshConfig('pbx-both', file), /Host pbx-both: both ProxyJump and ProxyCommand apply/);
  const inv = buildInventory(join(dir, 'inv-proxy.ts'), { defaults: { sshConfigFile: file }, hosts: { 'pbx-p': {}, 'pbx-odd': {} } });
  const c = connectionFor(inv.hosts[0]!, () => {}) as SshConnection;
  assert.is(c.options.proxyCommand, 'ssh -W 10.2.0.9:2201 -l ucware "jump host" pbx-p 100%');
  assert.throws(() => connectionFor(inv.hosts[1]!, () => {}), /ProxyCommand token %C is not supported/);
});

test('Include: globs in name order, splice in place, then the lines after it; nested; relative to ~/.ssh', () => {
  clearSshConfigCache();
  const d = join(dir, 'inc.d');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, '20-b.conf'), 'Host pbx-inc\n  User from-b\n  Port 2020\n');
  writeFileSync(join(d, '10-a.conf'), `Include ${join(dir, 'deeper.conf')}\nHost pbx-inc\n  HostName 10.2.0.1\n  User from-a\n`);
  writeFileSync(join(d, '.hidden.conf'), 'Host *\n  User hidden\n');
  writeFileSync(join(dir, 'deeper.conf'), 'Host pbx-deep\n  HostName 10.3.0.1\n');
  const main = join(dir, 'inc-main');
  writeFileSync(main, `Include ${d}/*.conf ${join(dir, 'absent.conf')}\nConnectTimeout 4\nHost pbx-other\n  User other\n`);
  assert.equal(lookupSshConfig('pbx-inc', main), { hostName: '10.2.0.1', user: 'from-a', port: 2020, connectTimeoutSec: 4 });
  assert.equal(
    lookupSshConfig('pbx-deep', main),
    { hostName: '10.3.0.1', connectTimeoutSec: 4 },
    'top-level lines after an Include apply to every host',
  );
  assert.equal(lookupSshConfig('pbx-other', main), { user: 'other', connectTimeoutSec: 4 });
  // Relative to ~/.ssh, as ssh does for a user's config.
  const rel = join(dir, 'inc-rel');
  writeFileSync(rel, 'Include ucw-test-definitely-absent-*.conf\n');
  assert.equal(lookupSshConfig('x', rel), {});
});

test('Include inside a Host block: plain directives are spliced into it; files with blocks of their own are refused loudly', () => {
  clearSshConfigCache();
  writeFileSync(join(dir, 'plain.conf'), '  User spliced\n');
  writeFileSync(join(dir, 'blocks.conf'), 'Host pbx-x\n  User x\n');
  const ok = join(dir, 'inc-block-ok');
  writeFileSync(ok, `Host pbx-b\n  Include ${join(dir, 'plain.conf')}\n  Port 2\n`);
  assert.equal(lookupSshConfig('pbx-b', ok), { user: 'spliced', port: 2 });
  assert.equal(lookupSshConfig('pbx-c', ok), {});
  const bad = join(dir, 'inc-block-bad');
  writeFileSync(bad, `Host pbx-b\n  Include ${join(dir, 'blocks.conf')}\n`);
  assert.throws(
    () => lookupSshConfig('pbx-b', bad),
    (e: Error) => e.message.includes(bad) && e.message.includes('blocks.conf') && /move the Include out of the block/.test(e.message),
  );
  const loop = join(dir, 'inc-loop');
  writeFileSync(loop, `Include ${loop}\n`);
  assert.throws(() => lookupSshConfig('x', loop), /Include nested more than 16 deep/);
  const wild = join(dir, 'inc-wild');
  writeFileSync(wild, `Include ${dir}/*/x.conf\n`);
  assert.throws(() => lookupSshConfig('x', wild), /wildcards are supported in the file name only/);
});

test('host key settings: StrictHostKeyChecking (ask is strict), UserKnownHostsFile (~, %-tokens, none), GlobalKnownHostsFile', () => {
  clearSshConfigCache();
  const f = join(dir, 'hk');
  writeFileSync(
    f,
    [
      'Host h-yes',
      '  StrictHostKeyChecking yes',
      '  UserKnownHostsFile ~/.ssh/kh_%u "/x/%h kh" /y/%n',
      '  GlobalKnownHostsFile none',
      '  HostName real.example',
      'Host h-ask',
      '  StrictHostKeyChecking ask',
      'Host h-new',
      '  StrictHostKeyChecking accept-new',
      'Host h-no',
      '  StrictHostKeyChecking no',
      'Host h-bad',
      '  StrictHostKeyChecking maybe',
      'Host h-tok',
      '  UserKnownHostsFile /z/%k',
      '',
    ].join('\n'),
  );
  assert.equal(lookupSshConfig('h-yes', f), {
    hostName: 'real.example',
    strictHostKeyChecking: 'strict',
    userKnownHostsFiles: [join(homedir(), '.ssh', `kh_${userInfo().username}`), '/x/real.example kh', '/y/h-yes'],
    globalKnownHostsFiles: [],
  });
  assert.is(lookupSshConfig('h-ask', f).strictHostKeyChecking, 'strict');
  assert.is(lookupSshConfig('h-new', f).strictHostKeyChecking, 'accept-new');
  assert.is(lookupSshConfig('h-no', f).strictHostKeyChecking, 'off');
  assert.throws(() => lookupSshConfig('h-bad', f), /StrictHostKeyChecking must be yes, ask, accept-new, no or off, not "maybe"/);
  assert.throws(() => lookupSshConfig('h-tok', f), /the token %k .* is not supported/);
});

test('connectionFor: ssh_config host key settings fill gaps; the inventory wins', () => {
  clearSshConfigCache();
  const f = join(dir, 'hk-conn');
  writeFileSync(f, 'Host *\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile /cfg/known\n  GlobalKnownHostsFile /cfg/global\n');
  const inv = buildInventory(join(dir, 'inv3.ts'), {
    defaults: { sshConfigFile: f },
    hosts: { a: {}, b: { hostKeyChecking: 'strict', knownHostsFile: '/inv/known' } },
  });
  const [a, b] = inv.hosts.map((h) => connectionFor(h, () => {}) as SshConnection);
  assert.equal(
    [a!.options.hostKeyChecking, a!.options.knownHostsFiles, a!.options.globalKnownHostsFiles],
    ['accept-new', ['/cfg/known'], ['/cfg/global']],
  );
  assert.equal([b!.options.hostKeyChecking, b!.options.knownHostsFiles], ['strict', ['/inv/known']]);
});

test.run();
