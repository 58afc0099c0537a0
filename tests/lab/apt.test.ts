// The stand-in UCware repository and the upgrade path 4.5.0.9 -> 4.5.0.10 -> 5.0.2, on a scratch host
// (lab3) that is reset afterwards so other tests get a fresh 4.5.0.9 host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reset } from '../../lab/lab.ts';
import { readLab, type LabState } from '../../lab/state.ts';
import { ensureLab, host, https, rpc, ssh, sshOk } from '../../lab/testkit.ts';

let lab: LabState;
const SCRATCH = 'lab3';
test.before(async () => {
  lab = await ensureLab(3);
  // other tests may have upgraded the scratch host: start from a fresh 4.5.0.9 host
  const h = host(lab, SCRATCH);
  const fresh = ssh(
    lab,
    h,
    "dpkg-query -W -f='${Version} ${db:Status-Abbrev}' ucware-core; grep -c ucware-4.5 /etc/apt/sources.list.d/ucware.list",
  );
  if (!/^4\.5\.0\.9 ii\s+1$/.test(fresh.stdout.trim())) {
    await reset([SCRATCH]);
    lab = readLab();
  }
});
let dirty = true;
test.after(async () => {
  if (dirty) await reset([SCRATCH]);
}); // safety net if a test failed midway

const KEEP = '-o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef';
const versions = (h = host(lab, SCRATCH)) => sshOk(lab, h, "dpkg-query -W -f='${Package}=${Version} ${db:Status-Abbrev}\\n' 'ucware*'");

test('apt sees the lab repository: 4.5.0.10 is the candidate in suite ucware-4.5', () => {
  const h = host(lab, SCRATCH);
  sshOk(lab, h, 'apt-get clean && apt-get update -q');
  const policy = sshOk(lab, h, 'apt-cache policy ucware');
  assert.match(policy, /Installed: 4\.5\.0\.9/);
  assert.match(policy, /Candidate: 4\.5\.0\.10/);
  assert.ok(policy.includes(`${lab.repoUrl}/ucware-4.5 bionic/main`), policy);
});

test('full-upgrade WITHOUT keep options stops at the conffile prompt (exit 100), package left unconfigured', () => {
  const h = host(lab, SCRATCH);
  const r = ssh(lab, h, 'DEBIAN_FRONTEND=noninteractive apt-get -y full-upgrade < /dev/null');
  assert.is(r.code, 100);
  assert.match(r.stdout + r.stderr, /end of file on stdin at conffile prompt/);
  assert.match(r.stdout, /Configuration file '\/etc\/ucware\/ucware\.php'/);
  assert.match(versions(), /ucware-core=4\.5\.0\.10 iU/);
});

test('recovery with confold keeps the local edit; 4.5.0.10 configured; admin page follows without reboot', async () => {
  const h = host(lab, SCRATCH);
  sshOk(
    lab,
    h,
    `DEBIAN_FRONTEND=noninteractive dpkg --configure -a --force-confold --force-confdef && apt-get -y ${KEEP} full-upgrade < /dev/null`,
  );
  const v = versions();
  assert.match(v, /ucware=4\.5\.0\.10 ii/);
  assert.match(v, /ucware-core=4\.5\.0\.10 ii/);
  assert.match(sshOk(lab, h, 'cat /etc/ucware/ucware.php'), /local change by the customer's admin/);
  assert.match(sshOk(lab, h, 'cat /etc/ucware/ucware.php.dpkg-dist'), /shipped by ucware-core 4\.5\.0\.10/);
  const page = await https(lab, h, '/admin/');
  assert.is(page.status, 200);
  assert.match(page.body, /<span id="ucware-version">4\.5\.0\.10<\/span>/);
});

test('switching ucware.list to ucware-5 upgrades to 5.0.2 (new dependency pulled in), firmware line untouched', async () => {
  const h = host(lab, SCRATCH);
  sshOk(lab, h, 'sed -i "s#/ucware-4.5 #/ucware-5 #" /etc/apt/sources.list.d/ucware.list && apt-get clean && apt-get update -q');
  assert.match(sshOk(lab, h, 'apt-get -s upgrade'), /kept back|held back|not upgraded/, 'plain upgrade holds ucware back (new dependency)');
  sshOk(lab, h, `DEBIAN_FRONTEND=noninteractive apt-get -y ${KEEP} full-upgrade < /dev/null`);
  const v = versions();
  assert.match(v, /ucware=5\.0\.2 ii/);
  assert.match(v, /ucware-admin-client=5\.0\.2 ii/);
  assert.match(sshOk(lab, h, 'cat /etc/apt/sources.list.d/ucware.list'), /ucware-firmware bionic main/);
  assert.match(sshOk(lab, h, 'cat /etc/init/asterisk.conf'), /limit nofile/);
  assert.match((await https(lab, h, '/admin/')).body, /<span id="ucware-version">5\.0\.2<\/span>/);
  // the API stand-in follows the installed version: slots exist on v5
  const slots = await rpc(lab, h, 'admin/slot', 'getAll');
  assert.ok(Array.isArray(slots.result), JSON.stringify(slots));
});

test('reset of the scratch host gives a fresh 4.5.0.9 host with a new host key still listed in known_hosts', async () => {
  await reset([SCRATCH]);
  dirty = false;
  lab = readLab();
  const h = host(lab, SCRATCH);
  assert.match(versions(h), /ucware-core=4\.5\.0\.9 ii/);
  assert.match(sshOk(lab, h, 'cat /etc/apt/sources.list.d/ucware.list'), /ucware-4\.5 bionic main/);
  const slots = await rpc(lab, h, 'admin/slot', 'getAll');
  assert.is(slots.error?.code, -32601, 'admin/slot is v5-only');
});

test.run();
