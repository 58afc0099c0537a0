// getUrl: lab1's /etc/ucware/ucware.php as a file already downloaded (its stat and sha256sum).
import { getUrl } from '../../../modules/getUrl.ts';
import { secret } from '../../../runner/module.ts';
import { capture, cases, type Replay } from '../../support/planCases.ts';

const D = '/etc/ucware/ucware.php';
const SUM = capture('bookworm/sha256sum-conffiles.txt').split(' ')[0]!;
const OTHER = 'ab'.repeat(32);
const URL = 'http://10.250.0.1:8080/ubuntu/ucware-4.5/dists/bionic/Release';
const have: Replay[] = [
  { run: `stat -c '%F|%a|%U|%G|%s' -- ${D}`, out: 'bookworm/stat-ucware-php.txt' },
  { run: `sha256sum -- ${D}`, out: 'bookworm/sha256sum-conffiles.txt' },
];
const none: Replay[] = [{ run: "stat -c '%F|%a|%U|%G|%s' -- /root/Release", out: 'bookworm/stat-missing.txt' }];
const download = (dest: string, hex: string, stdin: string | RegExp) => ({
  kind: 'exec' as const,
  cmd: new RegExp(
    `^set -e\\nt=\\$\\(mktemp ${dest.replace(/[/.]/g, '\\$&')}\\.ucw\\.XXXXXX\\)\\n[^]*curl -fsS -L --max-redirs 5 --proto =http,https --max-time 300  -K - -o "\\$t"\\ngot=\\$\\(sha256sum < "\\$t" \\| cut -d' ' -f1\\)\\nif \\[ "\\$got" != ${hex} \\]; then[^]*exit 66; fi\\nchmod 0644 "\\$t"\\nmv -f "\\$t" ${dest.replace(/[/.]/g, '\\$&')}\\ntrap - EXIT$`,
  ),
  stdin,
});

export default cases(getUrl, [
  {
    name: 'the file has the checksum: no download',
    params: { url: URL, dest: D, checksum: `sha256:${SUM}` },
    replay: have,
    expect: { noop: `${D} already has sha256 ${SUM.slice(0, 12)}…` },
  },
  {
    name: 'another checksum: re-download, verified before the rename',
    params: { url: URL, dest: D, checksum: `sha256:${OTHER}` },
    replay: have,
    expect: {
      reason: `re-download (checksum differs) ${URL} → ${D}`,
      steps: [download(D, OTHER, `url = "${URL}"\n`)],
      diff: [{ path: D, before: `(sha256 ${SUM})\n`, after: `(sha256 ${OTHER})\n` }],
    },
  },
  {
    name: 'no file yet: download',
    params: { url: URL, dest: '/root/Release', checksum: `sha256:${OTHER}` },
    replay: none,
    expect: { reason: `download ${URL} → /root/Release`, steps: [download('/root/Release', OTHER, `url = "${URL}"\n`)] },
  },
  {
    name: "a secret header goes in curl's stdin config only",
    params: { url: URL, dest: '/root/Release', checksum: `sha256:${OTHER}`, headers: { authorization: secret('Bearer t0ken') } },
    replay: none,
    expect: { reason: /^download/, steps: [download('/root/Release', OTHER, `url = "${URL}"\nheader = "authorization: Bearer t0ken"\n`)] },
  },
  {
    name: 'right checksum, other mode: chmod only',
    params: { url: URL, dest: D, checksum: `sha256:${SUM}`, mode: '0600' },
    replay: have,
    expect: { reason: `${D}: mode/owner`, steps: [{ kind: 'exec', cmd: `chmod 0600 -- ${D}` }] },
  },
  { name: 'no checksum is refused', params: { url: URL, dest: D, checksum: '' }, expect: { throws: /"checksum" is required/ } },
]);
