/** Ansible inventories as runner hosts: connection variables at every level, refusals, vault, precedence. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInventory, loadInventory } from '../../../../runner/inventory/load.ts';
import { selectHosts, tagsSelect } from '../../../../runner/inventory/select.ts';
import { Vault } from '../../../../runner/inventory/vault.ts';

const dir = mkdtempSync(join(tmpdir(), 'inv-fa-'));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const cases = join(import.meta.dirname, '../../../fixtures/inventory/cases');

test('connection variables map at group and host level, legacy ansible_ssh_* names included', async () => {
  const f = write(
    'conn.ini',
    `[legacy]
old1 ansible_ssh_host=192.0.2.10
[legacy:vars]
ansible_ssh_user=legacy-user
ansible_ssh_port=2022
[modern]
new1 ansible_host=192.0.2.20 ansible_shell_executable=/bin/bash
local1 ansible_connection=local
switch1 ansible_connection=network_cli
smart1 ansible_connection=smart
[modern:vars]
ansible_port="2222"
ansible_python_interpreter=/usr/bin/python3
[all:vars]
ansible_user=deploy
ansible_ssh_private_key_file=~/.ssh/fleet_ed25519
motd="{{ inventory_hostname }} says hi"
`,
  );
  const inv = await loadInventory(f);
  const by = Object.fromEntries(inv.hosts.map((h) => [h.name, h]));
  assert.equal([by.old1!.address, by.old1!.user, by.old1!.port], ['192.0.2.10', 'legacy-user', 2022]);
  assert.equal([by.new1!.address, by.new1!.user, by.new1!.port], ['192.0.2.20', 'deploy', 2222]);
  assert.equal(by.new1!.identityFiles, [join(homedir(), '.ssh/fleet_ed25519')]);
  assert.is(by.new1!.shell, '/bin/bash');
  assert.is(by.old1!.shell, undefined);
  assert.is(by.local1!.connection, 'local');
  assert.is(by.smart1!.connection, 'ssh');
  assert.is(by.switch1!.unsupportedConnection, 'network_cli');
  assert.ok(by.new1!.explicit!.has('port') && !by.new1!.explicit!.has('jump'));
  assert.ok(inv.warnings.some((w) => w.startsWith('ansible_python_interpreter is ignored')));
  assert.ok(inv.warnings.some((w) => w.startsWith('variable motd holds Jinja')));
  assert.is(by.old1!.vars.motd, '{{ inventory_hostname }} says hi');
});

test('passwords in an inventory are refused, naming the host, the variable and what to use instead', async () => {
  try {
    await loadInventory(join(cases, 'edge-connection-vars/hosts.yml'));
    assert.unreachable();
  } catch (e) {
    assert.match(
      (e as Error).message,
      /host "old2", field "ansible_ssh_pass": passwords don't belong in an inventory: name an environment variable with `passwordEnv`/,
    );
  }
  const f = write('become.yml', 'all:\n  vars:\n    ansible_become_password: hunter2\n  hosts:\n    h1:\n');
  try {
    await loadInventory(f);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /field "ansible_become_password": .*`becomePasswordEnv`/);
  }
});

test('a bad ansible_port names the host and the variable', async () => {
  try {
    await loadInventory(write('port.yml', 'all:\n  hosts:\n    h1:\n      ansible_port: twenty\n'));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /host "h1", field "ansible_port": must be a port number 1–65535, not "twenty"/);
  }
});

test('!vault values are decrypted with the password, refused without, naming file, line and variable', async () => {
  const src = join(cases, 'edge-vault/hosts.yml');
  const pw = readFileSync(join(cases, 'edge-vault/vault-pass.txt'), 'utf8').trim();
  const inv = await loadInventory(src, { vault: new Vault([pw]) });
  assert.is(inv.hosts[0]!.vars.api_token, 'inline-secret');
  assert.is(inv.hosts[0]!.address, '192.0.2.5');
  // only the inline value encrypted: the vault files are another test's subject
  const only = write('inline.yml', readFileSync(src, 'utf8'));
  try {
    await loadInventory(only);
    assert.unreachable();
  } catch (e) {
    assert.match(
      (e as Error).message,
      /inline\.yml: host "pbx1": line 5: variable api_token is vault-encrypted and no vault password was given/,
    );
  }
});

test("Ansible inventories: --limit follows the group's own host order, warns on a term matching nothing, reads @file", async () => {
  const inv = await loadInventory(join(cases, 'edge-patterns/hosts.ini'));
  const warnings: string[] = [];
  const sel = (p: string) =>
    selectHosts(inv.hosts, inv.groups, p, { ansible: inv.ansible!.data, warn: (w) => warnings.push(w) }).map((h) => h.name);
  assert.equal(sel('dbservers[-1]'), ['web2']);
  assert.equal(sel('germany[1:2]'), ['web3', 'db1']); // germany's 2nd and 3rd host (db1, web3), in the inventory's order
  assert.equal(sel('webservers:nosuch'), ['web1', 'web2', 'web3', 'web4']);
  assert.equal(warnings, ['Could not match supplied host pattern, ignoring: nosuch']);
  assert.equal(sel(`@${join(cases, 'edge-patterns/limit.txt')}`), ['web1', 'db2']);
  assert.throws(() => sel('nosuch2'), /--limit "nosuch2" matches no host/);
});

test("a playbook's hosts pattern is Ansible's, and --limit narrows it", async () => {
  const inv = await loadInventory(join(cases, 'edge-patterns/hosts.ini'));
  const sel = (play: string, limit?: string) =>
    selectHosts(inv.hosts, inv.groups, limit, { ansible: inv.ansible!.data, play, warn: () => {} }).map((h) => h.name);
  assert.equal(sel('dbservers:webservers'), ['db1', 'db2', 'web2', 'web1', 'web3', 'web4']);
  assert.equal(sel('germany:!munich', 'web*'), ['web1']);
  assert.throws(() => sel('staging', 'web1'), /hosts "staging" with --limit "web1" matches no host/);
});

test('TypeScript inventories: nested groups follow Ansible precedence (depth, then priority, then name), not file order', () => {
  const inv = buildInventory('inv.ts', {
    defaults: { vars: { v: 'defaults' } },
    groups: {
      berlin: { vars: { v: 'berlin (depth 2)', w: 'berlin' } },
      pbx: { vars: { v: 'pbx (depth 1)' }, children: ['berlin'] },
      zzz: { vars: { w: 'zzz (depth 1)' }, hosts: ['h1'] },
      aaa: { vars: { p: 'aaa (priority 5)' }, priority: 5, hosts: ['h1'] },
      bbb: { vars: { p: 'bbb' }, hosts: ['h1'] },
    },
    hosts: { h1: { groups: ['berlin'] } },
  });
  assert.is(inv.hosts[0]!.vars.v, 'berlin (depth 2)');
  assert.is(inv.hosts[0]!.vars.w, 'berlin');
  assert.is(inv.hosts[0]!.vars.p, 'aaa (priority 5)');
});

test('tags: repeated options add up; an empty --tags selects only always tasks', () => {
  assert.ok(tagsSelect(['x'], { tags: ['a', 'x'] }));
  assert.not.ok(tagsSelect(['x'], { tags: ['a'], skipTags: ['b', 'x'] }));
  assert.not.ok(tagsSelect([], { tags: [''] }));
  assert.ok(tagsSelect(['always'], { tags: [''] }));
  assert.ok(tagsSelect(['always'], { skipTags: ['all', 'b'] }));
});

test.run();
