// lineInFile: lab1's /etc/ssh/sshd_config (bookworm's default) and a missing file.
import { lineInFile } from '../../../modules/lineInFile.ts';
import { capture, cases, type Replay } from '../../support/planCases.ts';

const P = '/etc/ssh/sshd_config';
const sshd = capture('bookworm/files/sshd-config.txt');
const lab1: Replay[] = [
  { run: `stat -c '%F|%a|%U|%G|%s' -- ${P}`, out: 'bookworm/files/stat-sshd-config.txt' },
  { run: `cat -- ${P}`, out: 'bookworm/files/sshd-config.txt' },
];
const missing = (p: string): Replay[] => [{ run: `stat -c '%F|%a|%U|%G|%s' -- ${p}`, out: 'bookworm/files/stat-missing.txt' }];
// the validated write: temp file beside the target, owner then mode, validate, rename
const write = (re: RegExp, content: string) => ({ kind: 'exec' as const, cmd: re, stdin: content });
const plain =
  /^set -e\nt=\$\(mktemp \/etc\/ssh\/sshd_config\.ucw\.XXXXXX\)\n[^]*cat > "\$t"\nif \[ -e \/etc\/ssh\/sshd_config \]; then chown --reference=\/etc\/ssh\/sshd_config "\$t"; fi\nif \[ -e \/etc\/ssh\/sshd_config \]; then chmod --reference=\/etc\/ssh\/sshd_config "\$t"; else chmod 0644 "\$t"; fi\nmv -f "\$t" \/etc\/ssh\/sshd_config\ntrap - EXIT$/;

export default cases(lineInFile, [
  {
    name: 'regexp replaces the commented default in place',
    params: { path: P, regexp: /^#?PasswordAuthentication\s/, line: 'PasswordAuthentication no' },
    replay: lab1,
    expect: { reason: `update ${P}`, steps: [write(plain, sshd.replace('#PasswordAuthentication yes', 'PasswordAuthentication no'))] },
  },
  {
    name: 'the line is there',
    params: { path: P, regexp: /^X11Forwarding\s/, line: 'X11Forwarding yes' },
    replay: lab1,
    expect: { noop: `${P} has the line` },
  },
  {
    name: 'backrefs keep part of the match',
    params: { path: P, regexp: /^(Subsystem\s+sftp\s+).*$/, line: '$1internal-sftp', backrefs: true },
    replay: lab1,
    expect: { reason: `update ${P}`, steps: [write(plain, sshd.replace('sftp\t/usr/lib/openssh/sftp-server', 'sftp\tinternal-sftp'))] },
  },
  {
    name: 'backrefs without a match: nothing inserted',
    params: { path: P, regexp: /^NoSuch (.*)$/, line: '$1', backrefs: true },
    replay: lab1,
    expect: { noop: `${P}: nothing matches /^NoSuch (.*)$/ (backrefs: no insert)` },
  },
  {
    name: 'insertAfter a regex',
    params: { path: P, line: 'AllowGroups ssh-users', insertAfter: /^UsePAM / },
    replay: lab1,
    expect: { reason: `update ${P}`, steps: [write(plain, sshd.replace('UsePAM yes\n', 'UsePAM yes\nAllowGroups ssh-users\n'))] },
  },
  {
    name: 'insertBefore a regex',
    params: { path: P, line: 'AllowGroups ssh-users', insertBefore: /^Include / },
    replay: lab1,
    expect: { reason: `update ${P}`, steps: [write(plain, sshd.replace('Include ', 'AllowGroups ssh-users\nInclude '))] },
  },
  {
    name: 'at the end by default',
    params: { path: P, line: 'AllowGroups ssh-users' },
    replay: lab1,
    expect: {
      reason: `update ${P}`,
      steps: [write(plain, sshd + 'AllowGroups ssh-users\n')],
      diff: [{ path: P, before: sshd, after: sshd + 'AllowGroups ssh-users\n' }],
    },
  },
  {
    name: 'validate and backup: checked on the temp file, never via /tmp',
    params: { path: P, line: 'MaxAuthTries 3', validate: '/usr/sbin/sshd -t -f %s', backup: true },
    replay: lab1,
    expect: {
      reason: `update ${P} (validated)`,
      steps: [
        write(
          /chmod --reference[^\n]*\nif ! \( \/usr\/sbin\/sshd -t -f "\$t" \) >&2; then echo 'validate failed for \/etc\/ssh\/sshd_config: \/usr\/sbin\/sshd -t -f %s' >&2; exit 65; fi\nif \[ -e \/etc\/ssh\/sshd_config \]; then cp -p -- \/etc\/ssh\/sshd_config \/etc\/ssh\/sshd_config\.\$\(date \+%Y%m%dT%H%M%S\)\.bak; fi\nmv -f "\$t"/,
          sshd + 'MaxAuthTries 3\n',
        ),
      ],
    },
  },
  {
    name: 'absent removes every matching line',
    params: { path: P, regexp: /^AcceptEnv /, present: false },
    replay: lab1,
    expect: { reason: `update ${P}`, steps: [write(plain, sshd.replace('AcceptEnv LANG LC_*\n', ''))] },
  },
  {
    name: 'absent, file missing: fine',
    params: { path: '/etc/nosuchfile', line: 'x', present: false },
    replay: missing('/etc/nosuchfile'),
    expect: { noop: '/etc/nosuchfile does not exist' },
  },
  {
    name: 'missing file without create',
    params: { path: '/etc/sudoers.d/x', line: 'a' },
    replay: missing('/etc/sudoers.d/x'),
    expect: { throws: /create: true makes it/ },
  },
  {
    name: 'create a sudoers line, 0440, visudo',
    params: { path: '/etc/sudoers.d/x', line: 'ucwadmin ALL=(ALL) NOPASSWD:ALL', create: true, mode: '0440', validate: 'visudo -cf %s' },
    replay: missing('/etc/sudoers.d/x'),
    expect: {
      reason: 'create /etc/sudoers.d/x (validated)',
      steps: [write(/chmod 0440 "\$t"\nif ! \( visudo -cf "\$t" \)/, 'ucwadmin ALL=(ALL) NOPASSWD:ALL\n')],
      diff: [{ path: '/etc/sudoers.d/x', before: null, after: 'ucwadmin ALL=(ALL) NOPASSWD:ALL\n' }],
    },
  },
  {
    name: 'only the mode differs: chmod, no rewrite',
    params: { path: P, line: 'X11Forwarding yes', mode: '0600' },
    replay: lab1,
    expect: { reason: 'mode 644 → 0600', steps: [{ kind: 'exec', cmd: `chmod 0600 -- ${P}` }] },
  },
  {
    name: 'a file in /etc/apt/auth.conf.d: the diff never shows the credential',
    params: {
      path: '/etc/apt/auth.conf.d/90ubuntu-advantage',
      line: 'machine esm.ubuntu.com/apps/ubuntu/ login bearer password s3cr3t',
      create: true,
      mode: '0600',
    },
    replay: missing('/etc/apt/auth.conf.d/90ubuntu-advantage'),
    expect: {
      reason: 'create /etc/apt/auth.conf.d/90ubuntu-advantage',
      steps: [write(/chmod 0600 "\$t"/, 'machine esm.ubuntu.com/apps/ubuntu/ login bearer password s3cr3t\n')],
      diff: [{ path: '/etc/apt/auth.conf.d/90ubuntu-advantage', before: null, after: '(secret content, changed)\n' }],
    },
  },
  { name: 'validate without %s is refused', params: { path: P, line: 'x', validate: 'visudo -c' }, expect: { throws: /must contain %s/ } },
]);
