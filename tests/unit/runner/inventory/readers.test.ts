/** The readers' own rules, table-driven: PyYAML's scalars, Python literals, INI errors, refusals, vault. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseYaml11, resolvePlain } from '../../../../runner/inventory/yaml11.ts';
import { literalEval, shlexSplit } from '../../../../runner/inventory/pyLiteral.ts';
import { loadAnsibleSources } from '../../../../runner/inventory/ansible.ts';
import { Vault } from '../../../../runner/inventory/vault.ts';
import { mask, clearSecrets } from '../../../../runner/model/secrets.ts';

const plain: [string, unknown][] = [
  ['yes', true],
  ['No', false],
  ['ON', true],
  ['off', false],
  ['y', 'y'],
  ['n', 'n'],
  ['0755', 493],
  ['0o17', '0o17'],
  ['1:30', 90],
  ['1_000', 1000],
  ['1e3', '1e3'],
  ['1.0e+3', 1000],
  ['0x1F', 31],
  ['0b101', 5],
  ['08', '08'],
  ['~', null],
  ['', null],
  ['2002-12-14', '2002-12-14'],
  ['2001-12-14t21:59:43.10-05:00', '2001-12-14T21:59:43.100000-05:00'],
  ['1.30.2', '1.30.2'],
  ['.inf', Infinity],
  ['-.5', '-.5'],
  ['190:20:30', 685230],
];
for (const [text, want] of plain) test(`yaml 1.1 plain scalar ${JSON.stringify(text)}`, () => assert.equal(resolvePlain(text), want));

test('yaml: quoted stays text, duplicate keys warn and the last wins, errors name line and column', () => {
  const warnings: string[] = [];
  assert.equal(
    parseYaml11('a: "yes"\nb: 1\nb: 2\n', 'f.yml', (w) => warnings.push(w)),
    { a: 'yes', b: 2 },
  );
  assert.match(warnings[0]!, /duplicate dict key \(b\)/);
  assert.throws(() => parseYaml11('a: [1\nb: 2\n', 'f.yml'), /f\.yml: invalid YAML at line \d+, column \d+/);
  assert.throws(() => parseYaml11('a: !foo x\n', 'f.yml'), /constructor for the tag '!foo'/);
});

const literals: [string, unknown][] = [
  ['22', 22],
  ['"a b"', 'a b'],
  ["'x'", 'x'],
  ['yes', 'yes'],
  ['True', true],
  ['None', null],
  ['[1, "a"]', [1, 'a']],
  ["{'k': [1, 2]}", { k: [1, 2] }],
  ['0755', '0755'],
  ['0x10', 16],
  ['1_000', 1000],
  ['-5', -5],
  ['1.5', 1.5],
  ['1+2', '1+2'],
  ['5 # comment', 5],
  ['/usr/bin/python3', '/usr/bin/python3'],
  ['', ''],
  ['(1, 2)', [1, 2]],
  ['(3)', 3],
  ['"a" "b"', 'ab'],
  ['1.2.3', '1.2.3'],
];
for (const [text, want] of literals)
  test(`ini value ${JSON.stringify(text)} (ast.literal_eval)`, () => assert.equal(literalEval(text), want));

test('shlex: quotes, escapes, comments; an open quote is an error', () => {
  assert.equal(shlexSplit(`h1 a="two words" b='x y' c=d\\ e # rest`), ['h1', 'a=two words', 'b=x y', 'c=d e']);
  assert.equal(shlexSplit('h#1 x=1'), ['h']);
  assert.throws(() => shlexSplit('h1 a="open'), /No closing quotation/);
});

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'inv-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

test('INI errors name the file and line', () => {
  const d = dir({ 'hosts.ini': '[web]\nweb1\n[web:kids]\nx\n' });
  assert.throws(() => loadAnsibleSources([join(d, 'hosts.ini')]), /hosts\.ini: 3: Section \[web:kids\] has unknown type: kids/);
  const e = dir({ 'hosts.ini': '[web]\nweb1 novalue\n' });
  assert.throws(() => loadAnsibleSources([join(e, 'hosts.ini')]), /2: Expected key=value host variable assignment, got: novalue/);
});

test('inventory scripts and plugin configurations are refused by name, not parsed as groups', () => {
  const d = dir({
    'ec2.py': '#!/usr/bin/env python3\nprint("{}")\n',
    'proxmox.yml': 'plugin: community.general.proxmox\nurl: https://pve:8006\n',
  });
  chmodSync(join(d, 'ec2.py'), 0o755);
  assert.throws(() => loadAnsibleSources([join(d, 'ec2.py')]), /executable inventory script: not supported/);
  assert.throws(
    () => loadAnsibleSources([join(d, 'proxmox.yml')]),
    /plugin: community\.general\.proxmox\): inventory plugins are not supported/,
  );
});

const vaultCase = join(import.meta.dirname, '../../../fixtures/inventory/cases/edge-vault');
test('vault: no password names the file; a wrong one fails; decrypted values become secrets', () => {
  assert.throws(
    () => loadAnsibleSources([join(vaultCase, 'hosts.yml')]),
    /all\/v12\.yml: is vault-encrypted and no vault password was given/,
  );
  assert.throws(() => loadAnsibleSources([join(vaultCase, 'hosts.yml')], { vault: new Vault(['wrong']) }), /Decryption failed/);
  clearSecrets();
  const pw = readFileSync(join(vaultCase, 'vault-pass.txt'), 'utf8').trim();
  const inv = loadAnsibleSources([join(vaultCase, 'hosts.yml')], { vault: new Vault([pw]) });
  const vars = inv.hostvars(inv.data.hosts.get('pbx1')!);
  assert.is(vars.vaulted_db_password, 's3cr3t-from-file');
  assert.is(vars.vault12, 's3cr3t-1.2');
  assert.is(mask('pw s3cr3t-from-file and s3cr3t-1.2'), 'pw *** and ***');
});

test.run();
