// command: creates/removes decide, params checked when the playbook is built.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan as commandPlan, command } from '../../../modules/command.ts';

test('command: creates/removes decide, otherwise it runs', () => {
  assert.is(commandPlan({ cmd: 'x', creates: '/a' }, { creates: true }).changed, false);
  assert.is(commandPlan({ cmd: 'x', creates: '/a' }, { creates: false }).changed, true);
  assert.is(commandPlan({ cmd: 'x', removes: '/a' }, { removes: false }).changed, false);
  assert.is(commandPlan({ argv: ['ls', 'a b'] }, {}).reason, "run ls 'a b'");
});
test('command: params are validated when the playbook is built', () => {
  assert.throws(() => command({}), /exactly one of "cmd" or "argv"/);
  assert.throws(() => command({ cmd: 'a', argv: ['b'] }), /exactly one/);
});

test.run();
