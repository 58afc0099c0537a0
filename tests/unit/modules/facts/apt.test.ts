// apt facts: dpkg-query, apt-get -s, lock errors, the non-interactive apt line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
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
  assert.equal(
    parseLockError('E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4711 (apt-get)\nE: Unable to acquire'),
    { lock: '/var/lib/dpkg/lock-frontend', pid: 4711, holder: 'apt-get' },
  );
  assert.equal(parseLockError('E: Could not get lock /var/lib/apt/lists/lock - open (11: Resource temporarily unavailable)'), {
    lock: '/var/lib/apt/lists/lock',
    pid: undefined,
    holder: undefined,
  });
  assert.is(parseLockError('E: Unable to locate package x'), undefined);
});

test("dpkg's own lock message: bookworm's dpkg 1.21 and trixie's 1.22 (which names the holder)", () => {
  const cases: [string, ReturnType<typeof parseLockError>][] = [
    ['dpkg: error: dpkg frontend lock was locked by another process with pid 406', { lock: '/var/lib/dpkg/lock-frontend', pid: 406 }],
    // seen on a trixie lab host while unattended-upgrades ran (tests/faults/systemd.test.ts)
    [
      'dpkg: error: dpkg frontend lock was locked by /usr/bin/python3.13 process with pid 424\nNote: removing the lock file is always wrong',
      { lock: '/var/lib/dpkg/lock-frontend', pid: 424, holder: 'python3.13' },
    ],
    ['dpkg: error: dpkg status database is locked by another process', { lock: '/var/lib/dpkg/lock', pid: undefined }],
  ];
  for (const [text, want] of cases) assert.equal(parseLockError(text), want, text);
});

test('noninteractive apt line: env, confold/confdef, lock timeout, stdin closed', () => {
  const l = noninteractiveApt(['-y', 'dist-upgrade'], { lockTimeoutSec: 30 });
  for (const part of [
    'DEBIAN_FRONTEND=noninteractive',
    'UCF_FORCE_CONFFOLD=1',
    'NEEDRESTART_MODE=a',
    'Dpkg::Options::=--force-confdef',
    'Dpkg::Options::=--force-confold',
    'DPkg::Lock::Timeout=30',
    'dist-upgrade </dev/null',
  ])
    assert.ok(l.includes(part), part);
});

test('lock errors as apt prints them, old wording and new (tests/fixtures/captured/public/SOURCES.md)', () => {
  const read = (f: string) => readFileSync(new URL(`../../../fixtures/captured/public/${f}`, import.meta.url), 'utf8');
  assert.equal(parseLockError(read('apt-lock-error-old.txt')), { lock: '/var/lib/dpkg/lock-frontend', pid: undefined, holder: undefined });
  assert.equal(parseLockError(read('apt-lock-error-held-by.txt')), { lock: '/var/lib/dpkg/lock-frontend', pid: 1797, holder: 'apt-get' });
});

test('dpkg-query and apt-get -s as lab1 prints them (tests/fixtures/captured/bookworm)', () => {
  const read = (f: string) => readFileSync(new URL(`../../../fixtures/captured/bookworm/${f}`, import.meta.url), 'utf8');
  const pkgs = parseDpkgQuery(read('dpkg-query.txt'));
  assert.equal(Object.keys(pkgs), ['mariadb-server', 'ucware', 'ucware-core', 'ucware-firmware-yealink']);
  assert.is(pkgs['mariadb-server']!.version, '1:10.11.18-0+deb12u1');
  assert.equal(parseDpkgQuery(read('dpkg-query-half-configured.txt'))['ucware-core'], {
    name: 'ucware-core',
    version: '4.5.0.9',
    status: 'iF ',
    installed: false,
    broken: true,
  });
  assert.equal(
    parseAptSimulation(read('apt-get-s-dist-upgrade-ucware-5.txt')).map((m) => `${m.action} ${m.name} ${m.from}→${m.to}`),
    [
      'upgrade ucware 4.5.0.9→5.0.2',
      'upgrade ucware-core 4.5.0.9→5.0.2',
      'install ucware-admin-client null→5.0.2',
      'upgrade ucware-firmware-yealink 1.0.0→1.0.1',
    ],
  );
});

test.run();
