// aptPackages on a lab host: a pin up and down, a hold reported, a purge, a local .deb; each
// second run changes nothing. The host is put back as it was (firmware 1.0.0, no test package).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labOrSkip, run, sshOk } from '../fixtures/modules/labRun.ts';
import { aptPackages } from '../../modules/index.ts';

const lab = labOrSkip();
const H = 'lab1';
const FW = 'ucware-firmware-yealink';
const DEB = '/root/ucw-toolbox-test_1.0_all.deb';
const version = (n: string) => sshOk(lab!, H, `dpkg-query -W -f='\${Version} \${db:Status-Abbrev}' ${n} 2>/dev/null || true`).trim();

test('pin up, pin down, hold reported, purge, reinstall: changed once each, then ok', async () => {
  if (!lab) return;
  // a fresh host has no lists (as a cloud image): the pins need the lab repo's
  sshOk(lab, H, 'apt-get -qq update');
  const up = aptPackages({ names: [`${FW}=1.0.1`] });
  const r1 = await run(lab, H, [up, up]);
  assert.is(r1.exitCode, 0, r1.out);
  assert.equal(
    r1.done.map((d) => d.status),
    ['changed', 'ok'],
    r1.out,
  );
  assert.match(r1.done[0]!.reason, /ucware-firmware-yealink 1\.0\.0 → 1\.0\.1/);
  assert.is(version(FW), '1.0.1 ii');

  const down = aptPackages({ names: [`${FW}=1.0.0`], allowDowngrade: true });
  sshOk(lab, H, `apt-mark hold ${FW}`);
  const r2 = await run(lab, H, [down]);
  assert.is(r2.done[0]!.status, 'ok', r2.out);
  assert.match(r2.done[0]!.reason, /held, left alone: ucware-firmware-yealink/);
  assert.is(version(FW), '1.0.1 hi');
  sshOk(lab, H, `apt-mark unhold ${FW}`);
  const r3 = await run(lab, H, [down, down], { check: true });
  assert.equal(
    r3.done.map((d) => d.status),
    ['changed', 'changed'],
    'check mode plans, changes nothing',
  );
  assert.is(version(FW), '1.0.1 ii');
  const r4 = await run(lab, H, [down, down]);
  assert.equal(
    r4.done.map((d) => d.status),
    ['changed', 'ok'],
    r4.out,
  );
  assert.is(version(FW), '1.0.0 ii');

  const purge = aptPackages({ names: [FW], present: false, purge: true });
  const r5 = await run(lab, H, [purge, purge]);
  assert.equal(
    r5.done.map((d) => d.status),
    ['changed', 'ok'],
    r5.out,
  );
  assert.is(version(FW), '');
  const back = aptPackages({ names: [`${FW}=1.0.0`] });
  const r6 = await run(lab, H, [back, back]);
  assert.equal(
    r6.done.map((d) => d.status),
    ['changed', 'ok'],
    r6.out,
  );
  assert.is(version(FW), '1.0.0 ii');
});

test("a local .deb: installed once, then ok; removed by name; an unknown name fails with apt's words", async () => {
  if (!lab) return;
  sshOk(
    lab,
    H,
    `d=$(mktemp -d) && mkdir $d/DEBIAN && printf 'Package: ucw-toolbox-test\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: lab <root@lab>\\nDescription: toolbox test package\\n' > $d/DEBIAN/control && dpkg-deb --build $d ${DEB} >/dev/null && rm -rf $d`,
  );
  const inst = aptPackages({ debs: [DEB] });
  const r1 = await run(lab, H, [inst, inst]);
  assert.equal(
    r1.done.map((d) => d.status),
    ['changed', 'ok'],
    r1.out,
  );
  assert.is(version('ucw-toolbox-test'), '1.0 ii');
  const rm = aptPackages({ names: ['ucw-toolbox-test'], present: false });
  const r2 = await run(lab, H, [rm, rm]);
  assert.equal(
    r2.done.map((d) => d.status),
    ['changed', 'ok'],
    r2.out,
  );
  const r3 = await run(lab, H, [aptPackages({ names: ['nosuchpkg'] })]);
  assert.is(r3.exitCode, 2);
  assert.match(r3.out, /Unable to locate package nosuchpkg/);
  sshOk(lab, H, `rm -f ${DEB}; dpkg --purge ucw-toolbox-test >/dev/null 2>&1 || true`);
});

test.run();
