// lineInFile: params + the captured bookworm sshd_config → the new text (validated write), or why not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan, type LineInFileParams } from '../../../modules/lineInFile.ts';
import { parseStat } from '../../../modules/facts/files.ts';
import { captured } from './captured.ts';

const R = 'bookworm';
const sshd = { stat: parseStat(captured(R, 'files/stat-sshd-config')), content: captured(R, 'files/sshd-config') };
const missing = { stat: parseStat(captured(R, 'files/stat-missing')), content: null };
const P = '/etc/ssh/sshd_config';
const afterOf = (p: LineInFileParams, f = sshd) => {
  const pl = plan(p, f);
  return { changed: pl.changed, reason: pl.reason, after: pl.diff?.[0]?.after ?? null, cmd: (pl.steps[0] as { cmd?: string } | undefined)?.cmd ?? '' };
};

test('regexp replaces the commented default in place', () => {
  const r = afterOf({ path: P, regexp: /^#?PasswordAuthentication\s/, line: 'PasswordAuthentication no' });
  assert.ok(r.changed);
  assert.ok(r.after!.includes('\nPasswordAuthentication no\n'));
  assert.not.ok(r.after!.includes('#PasswordAuthentication'));
  assert.is(r.after!.split('\n').length, sshd.content.split('\n').length);
});
test('the line already there: no-op', () => {
  const r = afterOf({ path: P, regexp: /^X11Forwarding\s/, line: 'X11Forwarding yes' });
  assert.is(r.changed, false);
  assert.match(r.reason, /has the line/);
});
test('backrefs keep part of the match; no match means no insert', () => {
  const r = afterOf({ path: P, regexp: /^(Subsystem\s+sftp\s+).*$/, line: '$1internal-sftp', backrefs: true });
  assert.ok(r.after!.includes('Subsystem\tsftp\tinternal-sftp\n'));
  const n = afterOf({ path: P, regexp: /^NoSuch (.*)$/, line: '$1', backrefs: true });
  assert.is(n.changed, false);
  assert.match(n.reason, /nothing matches/);
});
test('insertAfter and insertBefore a regex; EOF by default', () => {
  const a = afterOf({ path: P, line: 'AllowGroups ssh-users', insertAfter: /^UsePAM / }).after!.split('\n');
  assert.is(a[a.indexOf('UsePAM yes') + 1], 'AllowGroups ssh-users');
  const b = afterOf({ path: P, line: 'AllowGroups ssh-users', insertBefore: /^Include / }).after!.split('\n');
  assert.is(b[b.indexOf('Include /etc/ssh/sshd_config.d/*.conf') - 1], 'AllowGroups ssh-users');
  assert.match(afterOf({ path: P, line: 'AllowGroups ssh-users' }).after!, /AllowGroups ssh-users\n$/);
});
test('validate runs on the temp file in the target directory before the rename', () => {
  const r = afterOf({ path: P, line: 'MaxAuthTries 3', validate: '/usr/sbin/sshd -t -f %s', backup: true });
  assert.match(r.cmd, /t=\$\(mktemp \/etc\/ssh\/sshd_config\.ucw\.XXXXXX\)/);
  assert.match(r.cmd, /chown --reference=\/etc\/ssh\/sshd_config "\$t"[\s\S]*chmod --reference[\s\S]*\/usr\/sbin\/sshd -t -f "\$t"[\s\S]*cp -p -- \/etc\/ssh\/sshd_config \/etc\/ssh\/sshd_config\.\$\(date[\s\S]*mv -f "\$t" \/etc\/ssh\/sshd_config/);
  assert.not.match(r.cmd, /\/tmp/);
});
test('absent removes every matching line; missing file is fine when absent', () => {
  const r = afterOf({ path: P, regexp: /^AcceptEnv /, present: false });
  assert.not.ok(r.after!.includes('AcceptEnv'));
  assert.is(afterOf({ path: '/etc/nosuchfile', line: 'x', present: false }, missing as never).changed, false);
});
test('a missing file needs create; with it, the file is the line, mode kept as asked', () => {
  assert.throws(() => plan({ path: '/etc/sudoers.d/x', line: 'a' }, missing), /create: true/);
  const p = plan({ path: '/etc/sudoers.d/x', line: 'ucwadmin ALL=(ALL) NOPASSWD:ALL', create: true, mode: '0440', validate: 'visudo -cf %s' }, missing);
  assert.equal(p.diff, [{ path: '/etc/sudoers.d/x', before: null, after: 'ucwadmin ALL=(ALL) NOPASSWD:ALL\n' }]);
  assert.match((p.steps[0] as { cmd: string }).cmd, /chmod 0440 "\$t"\nif ! \( visudo -cf "\$t" \)/);
});
test('only the mode differs: chmod, no rewrite', () => {
  const p = plan({ path: P, line: 'X11Forwarding yes', mode: '0600' }, sshd);
  assert.equal(p.steps.map((s) => (s as { cmd: string }).cmd), ['chmod 0600 -- /etc/ssh/sshd_config']);
});
test.run();
