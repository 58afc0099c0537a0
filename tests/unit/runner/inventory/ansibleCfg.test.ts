/** ansible.cfg: Ansible's search order and the settings Ansible users keep there. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findAnsibleCfg, readAnsibleCfg } from '../../../../runner/inventory/ansibleCfg.ts';

const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
writeFileSync(
  join(dir, 'ansible.cfg'),
  `# comment
[defaults]
inventory = inventory/prod, /etc/extra.ini
remote_user = ops ; who we are
private_key_file = ~/.ssh/fleet
host_key_checking = False
forks = 20
gathering = smart

[privilege_escalation]
become = True
become_user = root
`,
);

test('reads inventory (relative to the file), remote_user, private_key_file, host_key_checking, forks; names what it ignores', () => {
  const cfg = readAnsibleCfg(join(dir, 'ansible.cfg'));
  assert.equal(cfg.inventory, [join(dir, 'inventory/prod'), '/etc/extra.ini']);
  assert.is(cfg.remoteUser, 'ops');
  assert.match(cfg.privateKeyFile!, /\/\.ssh\/fleet$/);
  assert.is(cfg.hostKeyChecking, 'off');
  assert.is(cfg.forks, 20);
  assert.equal(cfg.warnings.length, 2);
  assert.match(cfg.warnings[0]!, /become\/become_user are ignored/);
  assert.match(cfg.warnings[1]!, /settings the runner ignores: \[defaults\] gathering$/);
});

test('search order: $ANSIBLE_CONFIG (file or directory), then ./ansible.cfg unless the directory is world-writable', () => {
  const other = join(dir, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'ansible.cfg'), '[defaults]\n');
  assert.is(findAnsibleCfg({ ANSIBLE_CONFIG: other }, dir), join(other, 'ansible.cfg'));
  assert.is(findAnsibleCfg({}, dir), join(dir, 'ansible.cfg'));
  chmodSync(dir, 0o777);
  assert.is.not(findAnsibleCfg({}, dir), join(dir, 'ansible.cfg'));
  chmodSync(dir, 0o755);
});

test('a bad forks names the file', () => {
  writeFileSync(join(dir, 'bad.cfg'), '[defaults]\nforks = many\n');
  assert.throws(() => readAnsibleCfg(join(dir, 'bad.cfg')), /bad\.cfg: \[defaults\] forks must be a whole number/);
});

test.run();
