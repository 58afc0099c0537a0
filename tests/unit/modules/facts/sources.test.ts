// apt source files: the read command's output and entries in both formats.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entriesOf, parseSourceFiles } from '../../../../modules/facts/sources.ts';
import { UCW, files, ucwList } from '../../../fixtures/modules/sources.ts';

test('sources: read-command output splits into files', () => {
  const out = `\x1e${UCW}\x1f${ucwList}\x1e/etc/apt/sources.list\x1f`;
  assert.equal(parseSourceFiles(out), [
    { path: UCW, content: ucwList },
    { path: '/etc/apt/sources.list', content: '' },
  ]);
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

test.run();
