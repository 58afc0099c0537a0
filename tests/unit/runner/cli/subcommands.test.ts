// Pure parts of `run init` (which dependency spec it writes) and `run exec` (what runs remotely).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandLine, parseExec } from '../../../../runner/cli/exec.ts';
import { isBareRegistry, rebase } from '../../../../runner/cli/init.ts';

const bare: [string, boolean][] = [
  ['^0.1.0', true],
  ['0.1.0', true],
  ['latest', true],
  ['*', true],
  ['npm:ucw-runner@1', true],
  ['file:../ucw-runner-0.1.0.tgz', false],
  ['../ucw-runner-0.1.0.tgz', false],
  ['/srv/ucw-runner', false],
  ['git+ssh://git@example.com/ucw-runner.git', false],
  ['github:acme/ucw-runner', false],
  ['https://example.com/u.tgz', false],
  ['ucw-runner-0.1.0.tgz', false],
];
for (const [spec, want] of bare) test(`isBareRegistry(${spec}) is ${want}`, () => assert.is(isBareRegistry(spec), want));

const rebased: [string, string, string, string][] = [
  ['file:../u.tgz', '/w/a', '/w/a', 'file:../u.tgz'],
  ['file:../u.tgz', '/w/a', '/w/a/fleet', 'file:../../u.tgz'],
  ['../u.tgz', '/w/a', '/w/b', 'file:../u.tgz'],
  ['file:/srv/ucw-runner', '/w/a', '/w/b', 'file:../../srv/ucw-runner'],
  ['file:u.tgz', '/w/a', '/w/a/x', 'file:../u.tgz'],
  ['git+ssh://git@example.com/ucw-runner.git', '/w/a', '/w/b', 'git+ssh://git@example.com/ucw-runner.git'],
];
for (const [spec, from, to, want] of rebased) test(`rebase(${spec}, ${from} → ${to})`, () => assert.is(rebase(spec, from, to), want));

test('exec: one word is a shell line, several are quoted argv', () => {
  assert.is(commandLine(['df -h / | tail -1']), 'df -h / | tail -1');
  assert.is(commandLine(['echo', "it's", '$HOME']), `echo 'it'\\''s' '$HOME'`);
  assert.throws(() => commandLine([]), /no command/);
});

test('exec: the options before "--" stay for the CLI, -b becomes the task\'s become', () => {
  const r = parseExec(['inv.ts', '-l', 'web', '-b', '--', 'uptime']);
  assert.equal(r.args, ['inv.ts', '-l', 'web']);
  const task = r.playbook.steps[0] as { kind: string; options: { become?: boolean }; name: string };
  assert.is(task.options.become, true);
  assert.is(task.name, 'uptime');
  assert.throws(() => parseExec(['inv.ts', 'uptime']), /after "--"/);
});

test.run();
