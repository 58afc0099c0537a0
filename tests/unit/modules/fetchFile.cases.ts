// fetchFile: the host side from lab1's captures (SHA-256 and size of ucware.php), the controller
// side a real file written here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchFile } from '../../../modules/fetchFile.ts';
import { parseStat } from '../../../modules/facts/files.ts';
import { parseSums } from '../../../modules/debconfKeep.ts';
import { capture, cases, type Replay } from '../../support/planCases.ts';

const PHP = '/etc/ucware/ucware.php';
const sha = parseSums(capture('bookworm/sha256sum-conffiles.txt'))[PHP]!;
const size = parseStat(capture('bookworm/stat-ucware-php.txt')).size!;
const remote: Replay[] = [{ run: `sha256sum < ${PHP}`, stdout: `${sha}\n${size}\n` }];
const dir = mkdtempSync(join(tmpdir(), 'ucw-fetch-cases-'));
writeFileSync(join(dir, 'same.php'), capture('bookworm/ucware-php.txt'));
writeFileSync(join(dir, 'older.php'), 'old\n');

export default cases(fetchFile, [
  {
    name: 'the copy here is the same',
    params: { src: PHP, dest: join(dir, 'same.php') },
    replay: remote,
    expect: { noop: `${join(dir, 'same.php')} already has this content (SHA-256 ${sha.slice(0, 12)}…)` },
  },
  {
    name: 'a different copy here: fetch',
    params: { src: PHP, dest: join(dir, 'older.php') },
    replay: remote,
    expect: {
      reason: `fetch ${PHP} → ${join(dir, 'older.php')} (${size} bytes, replacing a different copy)`,
      steps: [],
      result: { sha256: sha, size },
    },
  },
  {
    name: 'none here yet, {host} in dest',
    params: { src: PHP, dest: join(dir, '{host}.php') },
    replay: remote,
    expect: { reason: `fetch ${PHP} → ${join(dir, 'lab1.php')} (${size} bytes)`, steps: [] },
  },
  {
    name: 'missing on the host fails',
    params: { src: '/etc/ucw-runner-no-such-file', dest: join(dir, 'x') },
    replay: [{ run: 'sha256sum <', stdout: 'missing\n' }],
    expect: { throws: 'fetchFile: /etc/ucw-runner-no-such-file does not exist on the host' },
  },
  {
    name: 'missing, failIfMissing: false',
    params: { src: '/etc/ucw-runner-no-such-file', dest: join(dir, 'x'), failIfMissing: false },
    replay: [{ run: 'sha256sum <', stdout: 'missing\n' }],
    expect: { noop: '/etc/ucw-runner-no-such-file does not exist on the host' },
  },
  { name: 'a relative src is refused', params: { src: 'rel', dest: 'd' }, expect: { throws: /absolute/ } },
]);
