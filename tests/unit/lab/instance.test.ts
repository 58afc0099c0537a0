// LAB_INSTANCE names: instance 0 keeps the lab's historic names; others never collide and fit IFNAMSIZ.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultLabDir, labInstance, labNet, MAX_INSTANCE } from '../../../lab/instance.ts';

test('instance 0 is the lab as it always was', () => {
  assert.equal(labNet(0), {
    instance: 0,
    bridge: 'ucwlab0',
    prefix: '10.250',
    net: '10.250.0.0/16',
    controller: '10.250.0.1',
    repoPort: 8080,
    nsPrefix: 'ucwlab-',
    vethPrefix: 'ucwl',
  });
  assert.is(defaultLabDir(0), '/var/lib/ucw-lab');
  assert.is(labInstance({}), 0);
});

test('other instances: own bridge, subnet, port, dir; names distinct and at most 15 characters', () => {
  const seen = new Set<string>();
  for (let n = 0; n <= MAX_INSTANCE; n++) {
    const x = labNet(n);
    for (const name of [x.bridge, x.net, x.nsPrefix, x.vethPrefix, String(x.repoPort), defaultLabDir(n)]) {
      assert.ok(!seen.has(name), `${name} reused by instance ${n}`);
      seen.add(name);
    }
    assert.ok(`${x.vethPrefix}240`.length <= 15 && x.bridge.length <= 15);
    // a veth of one instance never matches another instance's ^prefix\d+$ pattern
    for (let m = 0; m <= MAX_INSTANCE; m++) if (m !== n) assert.not.match(`${x.vethPrefix}7`, new RegExp(`^${labNet(m).vethPrefix}\\d+$`));
  }
  assert.is(labNet(1).controller, '10.249.0.1');
  assert.is(defaultLabDir(3), '/var/lib/ucw-lab-3');
});

test('LAB_INSTANCE must be a small integer', () => {
  for (const bad of ['x', '-1', '1.5', String(MAX_INSTANCE + 1)]) assert.throws(() => labInstance({ LAB_INSTANCE: bad }), /LAB_INSTANCE/);
  assert.is(labInstance({ LAB_INSTANCE: '2' }), 2);
});

test.run();
