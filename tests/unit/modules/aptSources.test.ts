// aptSources: pure plans (files in → new text, diff, steps).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan as sourcesPlan, aptSources } from '../../../modules/aptSources.ts';
import { UCW, files, ubuntuSources, ucwList } from '../../fixtures/modules/sources.ts';

test('aptSources replace: only the URI segment of the first line changes; exact diff', () => {
  const p = sourcesPlan(
    { file: UCW, replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } },
    { files: files.filter((f) => f.path === UCW) },
  );
  assert.is(p.changed, true);
  const want = ucwList.replace('ubuntu/ucware-4.5 bionic main\ndeb ', 'ubuntu/ucware-5 bionic main\ndeb ');
  assert.equal(p.diff, [{ path: UCW, before: ucwList, after: want }]);
  assert.ok(want.includes('# deb https://packages.ucware.de/ubuntu/ucware-4.5 bionic contrib'), 'comment untouched');
  assert.equal(
    p.steps.map((s) => s.kind),
    ['upload'],
  );
  assert.is((p.steps[0] as { mode?: string }).mode, undefined, 'mode kept from the file');
  assert.match(p.reason, /uri ucware-4\.5 → ucware-5 in \/etc\/apt\/sources\.list\.d\/ucware\.list \(1 entry\)/);
});

test('aptSources replace: second run is a no-op; a typo fails naming what is there', () => {
  const once = sourcesPlan({ file: UCW, replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } }, { files: [files[1]!] });
  const twice = sourcesPlan(
    { file: UCW, replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } },
    { files: [{ path: UCW, content: once.diff![0]!.after! }] },
  );
  assert.is(twice.changed, false);
  assert.match(twice.reason, /already uses ucware-5/);
  assert.throws(
    () => sourcesPlan({ file: UCW, replace: { field: 'uri', from: 'ucware-4.6', to: 'ucware-5' } }, { files: [files[1]!] }),
    /no uri "ucware-4\.6".*ucware-firmware/,
  );
});

test('aptSources replace: a segment must match whole (ucware-4.51 is not ucware-4.5), hosts are not segments', () => {
  const f = { path: UCW, content: 'deb https://ucware-4.5/x/ucware-4.51 bionic main\n' };
  assert.throws(() => sourcesPlan({ replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' } }, { files: [f] }), /no uri/);
});

test('aptSources replace in deb822: suites word, other fields untouched; backup and update steps', () => {
  const p = sourcesPlan(
    { replace: { field: 'suite', from: 'noble-updates', to: 'oracular-updates' }, backup: true, update: true },
    { files },
    new Date('2026-01-02T03:04:05Z'),
  );
  assert.equal(
    p.diff!.map((d) => d.path),
    ['/etc/apt/sources.list.d/ubuntu.sources'],
  );
  assert.is(p.diff![0]!.after, ubuntuSources.replace('noble noble-updates', 'noble oracular-updates'));
  assert.equal(
    p.steps.map((s) => s.kind),
    ['exec', 'upload', 'exec'],
  );
  assert.match(
    (p.steps[0] as { cmd: string }).cmd,
    /cp -p -- \/etc\/apt\/sources\.list\.d\/ubuntu\.sources \/etc\/apt\/sources\.list\.d\/ubuntu\.sources\.20260102T030405\.bak/,
  );
  assert.match((p.steps[2] as { cmd: string }).cmd, /apt-get .* -q update <\/dev\/null/);
});

test('aptSources replace with uriContains picks entries', () => {
  const p = sourcesPlan({ replace: { field: 'component', from: 'main', to: 'universe', uriContains: 'deb.debian.org' } }, { files });
  assert.equal(p.result!.changedFiles, ['/etc/apt/sources.list']);
});

test('aptSources line: add, already present elsewhere (trailing slash ignored), remove', () => {
  const add = sourcesPlan(
    { file: '/etc/apt/sources.list.d/mysql.list', line: 'deb http://repo.mysql.com/apt/debian bookworm mysql-8.0' },
    { files },
  );
  assert.is(add.changed, true);
  assert.equal(add.diff, [
    { path: '/etc/apt/sources.list.d/mysql.list', before: null, after: 'deb http://repo.mysql.com/apt/debian bookworm mysql-8.0\n' },
  ]);
  assert.is((add.steps[0] as { mode?: string }).mode, '0644');
  const dup = sourcesPlan(
    { file: '/etc/apt/sources.list.d/other.list', line: 'deb https://packages.ucware.de/ubuntu/ucware-firmware/ bionic main' },
    { files },
  );
  assert.is(dup.changed, false);
  assert.match(dup.reason, /already in \/etc\/apt\/sources\.list\.d\/ucware\.list line 3/);
  const rm = sourcesPlan({ line: 'deb https://packages.ucware.de/ubuntu/ucware-firmware bionic main', present: false }, { files });
  assert.is(rm.diff![0]!.after, ucwList.replace(/deb  https.*firmware stays\n/, ''));
  assert.is(sourcesPlan({ line: 'deb http://x/ y main', present: false }, { files }).changed, false);
});

test('aptSources entry: deb822 stanza appended after a blank line; equal stanza is a no-op', () => {
  const entry = { uris: ['http://deb.debian.org/debian'], suites: ['bookworm-backports'], components: ['main'] };
  const p = sourcesPlan({ file: '/etc/apt/sources.list.d/ubuntu.sources', entry }, { files });
  assert.is(
    p.diff![0]!.after,
    ubuntuSources + '\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\n',
  );
  const again = sourcesPlan(
    { file: '/etc/apt/sources.list.d/ubuntu.sources', entry },
    { files: [{ path: '/etc/apt/sources.list.d/ubuntu.sources', content: p.diff![0]!.after! }] },
  );
  assert.is(again.changed, false);
  const gone = sourcesPlan(
    {
      entry: { uris: ['http://security.ubuntu.com/ubuntu'], suites: ['noble-security'], components: ['restricted', 'main'] },
      present: false,
    },
    { files },
  );
  assert.is(gone.diff![0]!.after, ubuntuSources.slice(0, ubuntuSources.indexOf('Types: deb\nURIs: http://security')));
});

test('aptSources: params checked when the playbook is built', () => {
  assert.throws(() => aptSources({ line: 'deb x y', entry: { uris: ['x'], suites: ['y'] } }), /exactly one/);
  assert.throws(() => aptSources({ line: 'deb x y' }), /needs "file"/);
  assert.throws(() => aptSources({ file: '/tmp/x.list', line: 'deb x y' }), /must be \/etc\/apt/);
  assert.throws(() => aptSources({ file: UCW, line: 'hello' }), /not an apt source line/);
  assert.throws(() => aptSources({ replace: { field: 'uri', from: 'a/b', to: 'c' } }), /single words/);
});

test.run();
