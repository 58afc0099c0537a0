/** `run inventory …` prints what ansible-inventory prints; repeated single-valued options are refused. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const cases = join(import.meta.dirname, '../../../fixtures/inventory/cases');
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/run.js', ...args], { encoding: 'utf8', env: { ...process.env, ANSIBLE_CONFIG: '/nonexistent' } });

test('run inventory --list prints ansible-inventory --list, byte for byte where Python and JS agree', () => {
  const r = run('inventory', join(cases, 'real-ansible-examples-hadoop/hosts'), '--list');
  assert.is(r.status, 0, r.stderr);
  const exp = JSON.parse(readFileSync(join(cases, 'real-ansible-examples-hadoop/expected.json'), 'utf8'));
  assert.equal(JSON.parse(r.stdout), exp.list.json);
  assert.is(r.stdout, JSON.stringify(exp.list.json, null, 4) + '\n'); // Ansible's sorted keys and 4-space indent
});

test('run inventory --graph and --host', () => {
  const g = run('inventory', join(cases, 'edge-ini-dialect/hosts'), '--graph');
  assert.is(g.stdout, JSON.parse(readFileSync(join(cases, 'edge-ini-dialect/expected.json'), 'utf8')).graph);
  const h = run('inventory', join(cases, 'edge-ini-dialect/hosts'), '--host', 'web1');
  assert.equal(JSON.parse(h.stdout), JSON.parse(readFileSync(join(cases, 'edge-ini-dialect/expected.json'), 'utf8')).host.web1);
});

test('a single-valued option given twice is refused; --tags and --skip-tags add up', () => {
  const r = run('--list-hosts', join(cases, 'edge-patterns/hosts.ini'), '-l', 'web1', '--limit', 'web2');
  assert.is(r.status, 1);
  assert.match(r.stderr, /--limit given twice \(-l web1 and --limit web2\): give it once/);
  const t = run('--list-tasks', 'demo', '--tags', 'info', '--tags', 'files', '--skip-tags', 'nosuch');
  assert.is(t.status, 0, t.stderr);
  assert.match(t.stdout, /kernel/);
  assert.match(t.stdout, /write motd/);
});

test.run();
