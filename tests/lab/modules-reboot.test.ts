// reboot and waitForSsh on a real lab host (lab3, the last host: reboots are disruptive):
// a new boot id, timings reported, a second run with onlyIfRequired does nothing, waitForSsh
// against a dead port times out with its last error, and a local connection is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labOrSkip, run, sshOk, sshRoot, inventoryFor } from '../fixtures/modules/labRun.ts';
import { reboot, waitForSsh } from '../../modules/index.ts';

const lab = labOrSkip();
const H = lab?.hosts.at(-1)?.name ?? 'lab3';

test('reboot: new boot id, elapsed reported; onlyIfRequired then no-op; waitForSsh after it passes', async () => {
  if (!lab) return;
  const before = sshOk(lab, H, 'cat /proc/sys/kernel/random/boot_id').trim();
  sshOk(lab, H, 'touch /var/run/reboot-required; echo ucware-core > /var/run/reboot-required.pkgs');
  const r = await run(lab, H, [
    reboot({ onlyIfRequired: true, upTimeoutSec: 120, downTimeoutSec: 60, connectTimeoutSec: 3 }, { id: 'reboot' }),
    waitForSsh((h) => ({ bootIdNot: before, timeoutSec: 30 })),
  ]);
  assert.is(r.exitCode, 0, r.out);
  assert.is(r.done[0]!.status, 'changed');
  assert.match(r.done[0]!.reason, new RegExp(`rebooted in [\\d.]+ s \\(down after [\\d.]+ s\\); boot id ${before} → [0-9a-f-]{36}`));
  const res = Object.values(r.results)[0] as { bootIdBefore: string; bootIdAfter: string; requiredBy: string[] };
  assert.is(res.bootIdBefore, before);
  assert.is.not(res.bootIdAfter, before);
  assert.equal(res.requiredBy, ['ucware-core']);
  const after = sshOk(lab, H, 'cat /proc/sys/kernel/random/boot_id').trim();
  assert.is(after, res.bootIdAfter);
  assert.is(r.done[1]!.status, 'ok');
  // /var/run is a tmpfs on a real host; the lab keeps it, so clear it as a real boot would
  sshRoot(lab, H, 'rm -f /var/run/reboot-required /var/run/reboot-required.pkgs');
  const r2 = await run(lab, H, [reboot({ onlyIfRequired: true })]);
  assert.is(r2.done[0]!.status, 'ok');
  assert.match(r2.done[0]!.reason, /no reboot required/);
  assert.is(sshOk(lab, H, 'cat /proc/sys/kernel/random/boot_id').trim(), after, 'not rebooted again');
  const r3 = await run(lab, H, [reboot({})], { check: true });
  assert.is(r3.done[0]!.status, 'changed', 'check mode says it would reboot');
  assert.is(sshOk(lab, H, 'cat /proc/sys/kernel/random/boot_id').trim(), after, 'check mode did not reboot');
});

test('waitForSsh times out with the last error (the boot id never changes)', async () => {
  if (!lab) return;
  const id = sshOk(lab, H, 'cat /proc/sys/kernel/random/boot_id').trim();
  const t0 = Date.now();
  const r = await run(lab, H, [waitForSsh({ bootIdNot: id, timeoutSec: 3, connectTimeoutSec: 1, maxDelaySec: 1 })]);
  const took = Date.now() - t0;
  assert.ok(took < 15_000, `took ${took} ms`);
  assert.is(r.exitCode, 2, r.out);
  assert.match(
    r.out,
    new RegExp(
      `timed out after 3 s waiting for ${H} \\(${lab!.network.split('.').slice(0, 2).join('\\.')}\\.0\\.\\d+:22\\) to answer over SSH; last error: boot id is still ${id} \\(not rebooted yet\\)`,
    ),
  );
});

test('reboot refuses a local connection', async () => {
  if (!lab) return;
  const inv = inventoryFor(lab, { local: '{ connection: local }' });
  const r = await run(lab, 'local', [reboot({})], { inventory: inv });
  assert.is(r.exitCode, 2);
  assert.match(r.out, /refusing to reboot through a local connection/);
});

test.run();
