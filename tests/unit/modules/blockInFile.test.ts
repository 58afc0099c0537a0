// blockInFile: params + the captured bookworm sshd_config → the file with the block, or why not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan } from '../../../modules/blockInFile.ts';
import { parseStat } from '../../../modules/facts/files.ts';
import { captured } from './captured.ts';

const R = 'bookworm';
const sshd = { stat: parseStat(captured(R, 'files/stat-sshd-config')), content: captured(R, 'files/sshd-config') };
const P = '/etc/ssh/sshd_config';
const B = 'PermitRootLogin prohibit-password\nMaxAuthTries 3';

test('inserted before Include, with markers; applying it again is a no-op', () => {
  const p = plan({ path: P, block: B, insertBefore: /^Include / }, sshd);
  const after = p.diff![0]!.after!;
  assert.match(after, /# BEGIN UCW-RUNNER MANAGED BLOCK\nPermitRootLogin prohibit-password\nMaxAuthTries 3\n# END UCW-RUNNER MANAGED BLOCK\nInclude /);
  const again = plan({ path: P, block: B, insertBefore: /^Include / }, { ...sshd, content: after });
  assert.is(again.changed, false);
  assert.match(again.reason, /has the block/);
});
test('a changed block replaces the old one in place; a custom marker', () => {
  const m = '# {mark} baseline';
  const first = plan({ path: P, block: B, marker: m }, sshd).diff![0]!.after!;
  const second = plan({ path: P, block: 'MaxAuthTries 4', marker: m }, { ...sshd, content: first }).diff![0]!.after!;
  assert.match(second, /# BEGIN baseline\nMaxAuthTries 4\n# END baseline\n$/);
  assert.is(second.split('# BEGIN baseline').length, 2);
});
test('absent removes block and markers, giving the original back', () => {
  const first = plan({ path: P, block: B }, sshd).diff![0]!.after!;
  const p = plan({ path: P, present: false }, { ...sshd, content: first });
  assert.is(p.diff![0]!.after, sshd.content);
  assert.is(plan({ path: P, present: false }, sshd).changed, false);
});
test('validate goes through the temp-file write', () => {
  const p = plan({ path: P, block: B, validate: '/usr/sbin/sshd -t -f %s' }, sshd);
  assert.match((p.steps[0] as { cmd: string }).cmd, /\/usr\/sbin\/sshd -t -f "\$t"/);
});
test.run();
