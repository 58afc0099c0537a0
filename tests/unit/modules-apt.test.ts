// apt facts and aptSources: parsers and pure plans (files in → new text, diff, steps).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAptSimulation, parseDpkgQuery, parseLockError, noninteractiveApt } from '../../modules/facts/apt.ts';
import { entriesOf, parseSourceFiles } from '../../modules/facts/sources.ts';
import { dpkgErrors } from '../../modules/lib/aptRun.ts';
import { plan as sourcesPlan, aptSources } from '../../modules/aptSources.ts';

const UCW = '/etc/apt/sources.list.d/ucware.list';
const ucwList = `# UCware packages
deb https://packages.ucware.de/ubuntu/ucware-4.5 bionic main
deb  https://packages.ucware.de/ubuntu/ucware-firmware   bionic main # firmware stays
# deb https://packages.ucware.de/ubuntu/ucware-4.5 bionic contrib
`;
const ubuntuSources = `Types: deb
URIs: http://archive.ubuntu.com/ubuntu/
Suites: noble noble-updates
Components: main restricted
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg

# security
Types: deb
URIs: http://security.ubuntu.com/ubuntu/
Suites: noble-security
Components: main restricted
`;
const files = [
  { path: '/etc/apt/sources.list', content: 'deb http://deb.debian.org/debian bookworm main\n' },
  { path: UCW, content: ucwList },
  { path: '/etc/apt/sources.list.d/ubuntu.sources', content: ubuntuSources },
];

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

test('sources: read-command output splits into files', () => {
  const out = `\x1e${UCW}\x1f${ucwList}\x1e/etc/apt/sources.list\x1f`;
  assert.equal(parseSourceFiles(out), [{ path: UCW, content: ucwList }, { path: '/etc/apt/sources.list', content: '' }]);
});

test('sources: one-line and deb822 entries', () => {
  const e = entriesOf(files[1]!);
  assert.is(e.length, 2, 'the commented line is not an entry');
  assert.equal(e[1]!.uris, ['https://packages.ucware.de/ubuntu/ucware-firmware']);
  const d = entriesOf(files[2]!);
  assert.is(d.length, 2);
  assert.equal(d[0]!.suites, ['noble', 'noble-updates']);
  assert.is(d[0]!.options['Signed-By'], '/usr/share/keyrings/ubuntu-archive-keyring.gpg');
  assert.is(d[1]!.line, 8);
});

test('aptSources replace: only the URI segment of the first line changes; exact diff', () => {
  const p = sourcesPlan({ file: UCW, replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } }, { files: files.filter((f) => f.path === UCW) });
  assert.is(p.changed, true);
  const want = ucwList.replace('ubuntu/ucware-4.5 bionic main\ndeb ', 'ubuntu/ucware-5 bionic main\ndeb ');
  assert.equal(p.diff, [{ path: UCW, before: ucwList, after: want }]);
  assert.ok(want.includes('# deb https://packages.ucware.de/ubuntu/ucware-4.5 bionic contrib'), 'comment untouched');
  assert.equal(p.steps.map((s) => s.kind), ['upload']);
  assert.is((p.steps[0] as { mode?: string }).mode, undefined, 'mode kept from the file');
  assert.match(p.reason, /uri ucware-4\.5 → ucware-5 in \/etc\/apt\/sources\.list\.d\/ucware\.list \(1 entry\)/);
});

test('aptSources replace: second run is a no-op; a typo fails naming what is there', () => {
  const once = sourcesPlan({ file: UCW, replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } }, { files: [files[1]!] });
  const twice = sourcesPlan({ file: UCW, replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } }, { files: [{ path: UCW, content: once.diff![0]!.after! }] });
  assert.is(twice.changed, false);
  assert.match(twice.reason, /already uses ucware-5/);
  assert.throws(() => sourcesPlan({ file: UCW, replace: { field: 'uri', from: 'ucware-4.6', to: 'ucware-5' } }, { files: [files[1]!] }), /no uri "ucware-4\.6".*ucware-firmware/);
});

test('aptSources replace: a segment must match whole (ucware-4.51 is not ucware-4.5), hosts are not segments', () => {
  const f = { path: UCW, content: 'deb https://ucware-4.5/x/ucware-4.51 bionic main\n' };
  assert.throws(() => sourcesPlan({ replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } }, { files: [f] }), /no uri/);
});

test('aptSources replace in deb822: suites word, other fields untouched; backup and update steps', () => {
  const p = sourcesPlan({ replace: { field: 'suite', from: 'noble-updates', to: 'oracular-updates' }, backup: true, update: true }, { files }, new Date('2026-01-02T03:04:05Z'));
  assert.equal(p.diff!.map((d) => d.path), ['/etc/apt/sources.list.d/ubuntu.sources']);
  assert.is(p.diff![0]!.after, ubuntuSources.replace('noble noble-updates', 'noble oracular-updates'));
  assert.equal(p.steps.map((s) => s.kind), ['exec', 'upload', 'exec']);
  assert.match((p.steps[0] as { cmd: string }).cmd, /cp -p -- \/etc\/apt\/sources\.list\.d\/ubuntu\.sources \/etc\/apt\/sources\.list\.d\/ubuntu\.sources\.20260102T030405\.bak/);
  assert.match((p.steps[2] as { cmd: string }).cmd, /apt-get .* -q update <\/dev\/null/);
});

test('aptSources replace with uriContains picks entries', () => {
  const p = sourcesPlan({ replace: { field: 'component', from: 'main', to: 'universe', uriContains: 'deb.debian.org' } }, { files });
  assert.equal(p.result!.changedFiles, ['/etc/apt/sources.list']);
});

test('aptSources line: add, already present elsewhere (trailing slash ignored), remove', () => {
  const add = sourcesPlan({ file: '/etc/apt/sources.list.d/mysql.list', line: 'deb http://repo.mysql.com/apt/debian bookworm mysql-8.0' }, { files });
  assert.is(add.changed, true);
  assert.equal(add.diff, [{ path: '/etc/apt/sources.list.d/mysql.list', before: null, after: 'deb http://repo.mysql.com/apt/debian bookworm mysql-8.0\n' }]);
  assert.is((add.steps[0] as { mode?: string }).mode, '0644');
  const dup = sourcesPlan({ file: '/etc/apt/sources.list.d/other.list', line: 'deb https://packages.ucware.de/ubuntu/ucware-firmware/ bionic main' }, { files });
  assert.is(dup.changed, false);
  assert.match(dup.reason, /already in \/etc\/apt\/sources\.list\.d\/ucware\.list line 3/);
  const rm = sourcesPlan({ line: 'deb https://packages.ucware.de/ubuntu/ucware-firmware bionic main', present: false }, { files });
  assert.is(rm.diff![0]!.after, ucwList.replace(/deb  https.*firmware stays\n/, ''));
  assert.is(sourcesPlan({ line: 'deb http://x/ y main', present: false }, { files }).changed, false);
});

test('aptSources entry: deb822 stanza appended after a blank line; equal stanza is a no-op', () => {
  const entry = { uris: ['http://deb.debian.org/debian'], suites: ['bookworm-backports'], components: ['main'] };
  const p = sourcesPlan({ file: '/etc/apt/sources.list.d/ubuntu.sources', entry }, { files });
  assert.is(p.diff![0]!.after, ubuntuSources + '\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\n');
  const again = sourcesPlan({ file: '/etc/apt/sources.list.d/ubuntu.sources', entry }, { files: [{ path: '/etc/apt/sources.list.d/ubuntu.sources', content: p.diff![0]!.after! }] });
  assert.is(again.changed, false);
  const gone = sourcesPlan({ entry: { uris: ['http://security.ubuntu.com/ubuntu'], suites: ['noble-security'], components: ['restricted', 'main'] }, present: false }, { files });
  assert.is(gone.diff![0]!.after, ubuntuSources.slice(0, ubuntuSources.indexOf('Types: deb\nURIs: http://security')));
});

test('aptSources: params checked when the playbook is built', () => {
  assert.throws(() => aptSources({ line: 'deb x y', entry: { uris: ['x'], suites: ['y'] } }), /exactly one/);
  assert.throws(() => aptSources({ line: 'deb x y' }), /needs "file"/);
  assert.throws(() => aptSources({ file: '/tmp/x.list', line: 'deb x y' }), /must be \/etc\/apt/);
  assert.throws(() => aptSources({ file: UCW, line: 'hello' }), /not an apt source line/);
  assert.throws(() => aptSources({ replace: { field: 'uri', from: 'a/b', to: 'c' } }), /single words/);
});

test('dpkgErrors: dpkg\'s errors from apt\'s stdout (apt copies dpkg\'s pty there), with continuation lines', () => {
  // lab2 with /var/lib/dpkg full (tests/faults/lab-apt.test.ts)
  const full = `Preparing to unpack .../ucware-firmware-yealink_1.0.1_all.deb ...
Unpacking ucware-firmware-yealink (1.0.1) over (1.0.0) ...
dpkg: error: failed to write status database stanza about 'libbpf1:amd64' to '/var/lib/dpkg/status': No space left on device
`;
  assert.equal(dpkgErrors(full), ["dpkg: error: failed to write status database stanza about 'libbpf1:amd64' to '/var/lib/dpkg/status': No space left on device"]);
  const postinst = `Setting up ucware-core (4.5.0.10) ...
dpkg: error processing package ucware-core (--configure):
 installed ucware-core package post-installation script subprocess returned error exit status 1
dpkg: dependency problems prevent configuration of ucware:
 ucware depends on ucware-core (= 4.5.0.10); however:
  Package ucware-core is not configured yet.

Processing triggers for man-db ...
Errors were encountered while processing:
 ucware-core
 ucware
`;
  assert.equal(dpkgErrors(postinst), [
    'dpkg: error processing package ucware-core (--configure):',
    ' installed ucware-core package post-installation script subprocess returned error exit status 1',
    'dpkg: dependency problems prevent configuration of ucware:',
    ' ucware depends on ucware-core (= 4.5.0.10); however:',
    '  Package ucware-core is not configured yet.',
    'Errors were encountered while processing:',
    ' ucware-core',
    ' ucware',
  ]);
  assert.equal(dpkgErrors('Unpacking x (1) over (0) ...\ndpkg: warning: while removing x, directory /a not empty so not removed\nSetting up x (1) ...\n'), []);
});

test.run();
