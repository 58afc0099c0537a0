// hostname on a real lab host (the last one): --check changes nothing, the run renames it in
// /etc/hostname, /etc/hosts and the running system, the second run is a no-op; the name is
// put back at the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labOrSkip, run, sshOk } from '../fixtures/modules/labRun.ts';
import { hostname } from '../../modules/hostname.ts';

const lab = labOrSkip();
const H = lab?.hosts.at(-1)?.name ?? 'lab3';
const state = () => (lab ? sshOk(lab, H, 'hostname; cat /etc/hostname; grep ^127.0.1.1 /etc/hosts') : '');

test('check, rename, no-op, and back', async () => {
  if (!lab) return;
  const before = state();
  assert.match(before, new RegExp(`^${H}\\n${H}\\n127\\.0\\.1\\.1\\s+${H}\\n$`));
  try {
    const check = await run(lab, H, [hostname({ name: `${H}-renamed`, domain: 'pbx.example.com' })], { check: true, diff: true });
    assert.is(check.done[0]!.status, 'changed', check.out);
    assert.equal(
      check.done[0]!.diff!.map((d) => d.path),
      ['/etc/hostname', '/etc/hosts'],
    );
    assert.is(state(), before, '--check changed nothing');

    const r = await run(lab, H, [hostname({ name: `${H}-renamed`, domain: 'pbx.example.com' })]);
    assert.is(r.exitCode, 0, r.out);
    assert.is(
      r.done[0]!.reason,
      `/etc/hostname ${H} → ${H}-renamed, /etc/hosts 127.0.1.1 → ${H}-renamed.pbx.example.com ${H}-renamed, running name ${H} → ${H}-renamed`,
    );
    assert.is(state(), `${H}-renamed\n${H}-renamed\n127.0.1.1\t${H}-renamed.pbx.example.com\t${H}-renamed\n`);

    const again = await run(lab, H, [hostname({ name: `${H}-renamed`, domain: 'pbx.example.com' })]);
    assert.is(again.done[0]!.status, 'ok');
    assert.is(again.done[0]!.reason, `host name is already ${H}-renamed`);
  } finally {
    await run(lab, H, [hostname({ name: H })]);
  }
  assert.is(state(), before, 'named as before');
});

test.run();
