import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInventory, loadInventory } from '../../../../runner/inventory/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'ucw-inv-'));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

test('TS spec: defaults < parent group < child group < host, for vars and connection settings', () => {
  const inv = buildInventory('/x/inv.ts', {
    defaults: { user: 'ucware', port: 22, vars: { site: 'none', level: 0 } },
    groups: { de: { vars: { site: 'de', level: 1 }, children: ['berlin'] }, berlin: { vars: { site: 'berlin' } } },
    hosts: { b1: { address: '10.0.0.1', groups: ['berlin'], vars: { level: 9 }, port: 2222 }, x: {} },
  });
  const b1 = inv.hosts[0]!;
  assert.is(b1.address, '10.0.0.1');
  assert.is(b1.port, 2222);
  assert.is(b1.user, 'ucware');
  assert.equal(b1.vars, { site: 'berlin', level: 9 });
  assert.equal(b1.groups.sort(), ['all', 'berlin', 'de']);
  assert.equal([...inv.groups.get('de')!], ['b1']);
  assert.is(inv.hosts[1]!.address, 'x');
  assert.is(inv.hosts[1]!.hostKeyChecking, 'strict', 'unknown host keys are refused unless accept-new is chosen');
  assert.ok(inv.hosts[1]!.knownHostsFiles[0]!.endsWith('.ssh/known_hosts'));
});

const bad: [string, object, RegExp][] = [
  ['bad port', { hosts: { h1: { port: 70000 } } }, /inv\.ts: host "h1", field "port": must be a port number/],
  ['unknown field', { hosts: { h1: { adress: 'x' } } }, /host "h1", field "adress": unknown field/],
  ['bad connection', { hosts: { h1: { connection: 'telnet' } } }, /field "connection": must be 'ssh' or 'local'/],
  ['bad hostKeyChecking', { hosts: { h1: { hostKeyChecking: 'no' } } }, /field "hostKeyChecking"/],
  ['group lists unknown host', { groups: { g: { hosts: ['nope'] } }, hosts: {} }, /group "g", field "hosts": lists unknown host "nope"/],
  ['tags not a list', { hosts: { h1: { tags: 'berlin' } } }, /host "h1", field "tags": must be a list/],
  ['bad host name', { hosts: { 'a b': {} } }, /host "a b": invalid host name/],
  ['cycle', { groups: { a: { children: ['b'] }, b: { children: ['a'] } }, hosts: { h: { groups: ['a'] } } }, /cycle/],
  ['empty address', { hosts: { h1: { address: '' } } }, /field "address": must be a non-empty string/],
  ['relative shell', { hosts: { h1: { shell: 'bash' } } }, /host "h1", field "shell": must be an absolute path to a shell/],
  ['shell not a string', { hosts: { h1: { shell: true } } }, /field "shell": must be an absolute path/],
];

test('shell: the task shell per host (defaults < host), unset means /bin/sh', () => {
  // A TypeScript inventory's groups carry vars only; connection settings sit in defaults or on the host.
  const inv = buildInventory('/x/inv.ts', {
    defaults: { shell: '/bin/bash' },
    hosts: { a: {}, b: { shell: '/usr/bin/ksh' } },
  } as never);
  assert.equal(
    inv.hosts.map((h) => h.shell),
    ['/bin/bash', '/usr/bin/ksh'],
  );
  assert.equal(
    buildInventory('/x/inv.ts', { hosts: { c: {} } } as never).hosts.map((h) => h.shell),
    [undefined],
  );
});
for (const [name, spec, re] of bad) {
  test(`invalid inventory: ${name}`, () => assert.throws(() => buildInventory('inv.ts', spec as never), re));
}

test('YAML: all/children/hosts/vars, ansible_* aliases, tags', async () => {
  const f = write(
    'prod.yml',
    `all:
  vars:
    ansible_user: ucware
    snapshot: none
  hosts:
    lab1: { ansible_host: 10.250.0.11 }
  children:
    berlin:
      vars: { site: berlin }
      hosts:
        pbx1: { ansible_host: 10.1.0.5, ansible_port: 2222, tags: [vm] }
      children:
        berlin_dc2:
          hosts:
            pbx2: { ansible_ssh_host: 10.1.0.6, licenceFile: lic/pbx2.lic }
`,
  );
  const inv = await loadInventory(f);
  const by = Object.fromEntries(inv.hosts.map((h) => [h.name, h]));
  assert.is(by.pbx1!.port, 2222);
  assert.is(by.pbx1!.user, 'ucware');
  assert.equal(by.pbx1!.tags, ['vm']);
  assert.is(by.pbx2!.vars.site, 'berlin');
  assert.is(by.pbx2!.vars.licenceFile, 'lic/pbx2.lic');
  assert.is(by.pbx2!.vars.snapshot, 'none');
  assert.equal(by.pbx2!.groups.sort(), ['all', 'berlin', 'berlin_dc2']);
  assert.is(by.lab1!.address, '10.250.0.11');
  assert.is(by.pbx2!.address, '10.1.0.6'); // the legacy ansible_ssh_host counts (issue 15)
});

// Changed with issue 15: Ansible takes any top-level group (not only `all:`) and skips an unknown
// key with a warning, so these are no longer errors; a YAML syntax error still is.
test('YAML errors name the file and line; Ansible-accepted shapes load (with its warnings)', async () => {
  try {
    await loadInventory(write('bad.yml', 'all:\n  hosts: [\n'));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /bad\.yml: invalid YAML at line/);
  }
  const top = await loadInventory(write('top.yml', 'web:\n  hosts: {web1: }\n'));
  assert.equal(
    top.hosts.map((h) => h.name),
    ['web1'],
  );
  const skipped = await loadInventory(write('skip.yml', 'all:\n  hosts: {a: }\n  hostz: {}\n'));
  assert.equal(skipped.warnings, ['Skipping unexpected key (hostz) in group (all), only "vars", "children" and "hosts" are valid']);
});

test('a TS inventory file loads; a missing one is named', async () => {
  const f = write('lab.ts', `export default { hosts: { a: { address: '127.0.0.1', connection: 'local' } } };\n`);
  const inv = await loadInventory(f);
  assert.is(inv.hosts[0]!.connection, 'local');
  try {
    await loadInventory(join(dir, 'nope.ts'));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /nope\.ts: file not found/);
  }
});

test.run();
