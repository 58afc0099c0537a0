// unarchive: the listing of a tar.gz and a zip (python3's zipfile: lab hosts have no unzip) made on lab1.
import { unarchive } from '../../../modules/unarchive.ts';
import { cases, type Replay } from '../../support/planCases.ts';

const T = '/root/ucw-tools.tar.gz';
const Z = '/root/ucw-tools.zip';
const dir: Replay = { run: "stat -c '%F|%a|%U|%G|%s' -- /opt", out: 'bookworm/stat-etc-ucware.txt' };
const missing = (out: string): Replay => ({ run: 'while IFS= read -r n', stdin: 'ucw-tools/bin/x', stdout: out });
const all = 'ucw-tools/\nucw-tools/tools.conf\nucw-tools/bin/\nucw-tools/bin/x\n';

export default cases(unarchive, [
  {
    name: 'nothing there yet: tar -xf',
    params: { src: T, dest: '/opt' },
    replay: [dir, { run: `tar -tf ${T}`, out: 'bookworm/archive/tar-tf.txt' }, missing(all)],
    expect: {
      reason: `unpack ${T} into /opt (4 of 4 entries missing)`,
      steps: [{ kind: 'exec', cmd: `tar -xf ${T} -C /opt --no-same-owner` }],
    },
  },
  {
    name: 'every entry there: no-op',
    params: { src: T, dest: '/opt' },
    replay: [dir, { run: `tar -tf ${T}`, out: 'bookworm/archive/tar-tf.txt' }, missing('')],
    expect: { noop: `all 4 entries of ${T} are in /opt` },
  },
  {
    name: 'one missing, with owner: unpack and chown the top entries',
    params: { src: T, dest: '/opt', owner: 'ucware' },
    replay: [dir, { run: `tar -tf ${T}`, out: 'bookworm/archive/tar-tf.txt' }, missing('ucw-tools/bin/x\n')],
    expect: {
      reason: /1 of 4 entries missing/,
      steps: [
        { kind: 'exec', cmd: /^tar -xf/ },
        { kind: 'exec', cmd: 'cd /opt && chown -R ucware -- ucw-tools' },
      ],
    },
  },
  {
    name: 'a zip without unzip: python3 zipfile',
    params: { src: Z, dest: '/opt' },
    replay: [
      dir,
      { run: 'command -v unzip', out: 'bookworm/archive/command-v-unzip.txt', exitCode: 1 },
      { run: 'python3 -c', out: 'bookworm/archive/zip-list-python.txt' },
      missing(all),
    ],
    expect: { reason: /4 of 4/, steps: [{ kind: 'exec', cmd: `python3 -m zipfile -e ${Z} /opt` }] },
  },
  {
    name: 'creates exists: no listing needed',
    params: { src: T, dest: '/opt', creates: '/opt/ucw-tools' },
    replay: [dir, { run: 'test -e /opt/ucw-tools', stdout: '' }],
    expect: { noop: '/opt/ucw-tools exists' },
  },
  {
    name: 'dest not a directory',
    params: { src: T, dest: '/opt' },
    replay: [{ run: "stat -c '%F|%a|%U|%G|%s' -- /opt", out: 'bookworm/stat-missing.txt' }],
    expect: { throws: /\/opt on lab1 is not a directory/ },
  },
  { name: 'an unknown archive type is refused', params: { src: '/root/x.rar', dest: '/opt' }, expect: { throws: /not a \.tar/ } },
]);
