// apt facts: dpkg-query, apt-get -s, lock errors, the non-interactive apt line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAptSimulation, parseDpkgQuery, parseLockError, noninteractiveApt } from '../../../../modules/facts/apt.ts';

test('dpkg-query: versions and status', () => {
  const p = parseDpkgQuery('ucware\t4.5.0.9\tii \nucware-core\t4.5.0.9\tiU \nold\t1.0\trc \n');
  assert.equal(p.ucware, { name: 'ucware', version: '4.5.0.9', status: 'ii ', installed: true, broken: false });
  assert.is(p['ucware-core']!.broken, true);
  assert.is(p.old!.installed, false);
});

test('apt-get -s: Inst/Remv lines become moves', () => {
  const out = `Reading package lists...
Inst ucware [4.5.0.9] (4.5.0.10 localrepo:ucware-4.5 [all])
Inst libnew (1.0 Debian:12/stable [amd64])
Remv oldlib [0.9]
Conf ucware (4.5.0.10 localrepo:ucware-4.5 [all])
`;
  assert.equal(parseAptSimulation(out), [
    { name: 'ucware', from: '4.5.0.9', to: '4.5.0.10', action: 'upgrade' },
    { name: 'libnew', from: null, to: '1.0', action: 'install' },
    { name: 'oldlib', from: '0.9', to: null, action: 'remove' },
  ]);
});

test('lock errors name the holder', () => {
  assert.equal(parseLockError('E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4711 (apt-get)\nE: Unable to acquire'), { lock: '/var/lib/dpkg/lock-frontend', pid: 4711, holder: 'apt-get' });
  assert.equal(parseLockError('E: Could not get lock /var/lib/apt/lists/lock - open (11: Resource temporarily unavailable)'), { lock: '/var/lib/apt/lists/lock', pid: undefined, holder: undefined });
  assert.is(parseLockError('E: Unable to locate package x'), undefined);
});

test('noninteractive apt line: env, confold/confdef, lock timeout, stdin closed', () => {
  const l = noninteractiveApt(['-y', 'dist-upgrade'], { lockTimeoutSec: 30 });
  for (const part of ['DEBIAN_FRONTEND=noninteractive', 'UCF_FORCE_CONFFOLD=1', 'NEEDRESTART_MODE=a', 'Dpkg::Options::=--force-confdef', 'Dpkg::Options::=--force-confold', 'DPkg::Lock::Timeout=30', 'dist-upgrade </dev/null'])
    assert.ok(l.includes(part), part);
});

test.run();
