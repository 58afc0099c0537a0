// End to end: `run upgrade inventory/lab.ts` on three fresh lab hosts — check mode, NO-GO
// handling, the full upgrade with everything the procedure promises, and an idempotent rerun.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab, host, ssh, sshOk, https } from '../../lab/testkit.ts';
import { reset } from '../../lab/lab.ts';
import { runPlaybook, type RunOptions } from '../../runner/cli/run.ts';
import type { LabState } from '../../lab/state.ts';

const HOSTS = ['lab1', 'lab2', 'lab3'];
const CONFFILES = ['/etc/init/asterisk.conf', '/etc/ucware/ucware.php'];
const LIST = '/etc/apt/sources.list.d/ucware.list';
const logsDir = mkdtempSync(join(tmpdir(), 'ucw-upgrade-logs-'));
let lab: LabState;

interface HostState {
  versions: string;
  list: string;
  sums: string;
  bootId: string;
  dropIn: boolean;
}
const state = (name: string): HostState => {
  const h = host(lab, name);
  return {
    versions: sshOk(lab, h, "dpkg-query -W -f='${Package}=${Version} ' ucware ucware-core"),
    list: ssh(lab, h, `cat ${LIST}`).stdout,
    sums: sshOk(lab, h, `sha256sum ${CONFFILES.join(' ')}`),
    bootId: sshOk(lab, h, 'cat /proc/sys/kernel/random/boot_id'),
    dropIn: ssh(lab, h, 'test -e /etc/apt/apt.conf.d/90ucw-keep-conffiles').code === 0,
  };
};

async function upgrade(o: Partial<RunOptions> = {}) {
  const lines: string[] = [];
  const json = join(logsDir, `events-${Date.now()}.jsonl`);
  const r = await runPlaybook({
    playbook: 'upgrade',
    inventory: 'inventory/lab.ts',
    limit: HOSTS.join(','),
    logsDir,
    view: 'plain',
    write: (l) => lines.push(l),
    json,
    ...o,
  });
  const events = readFileSync(json, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { ...r, out: lines.join('\n'), events };
}

let before: Record<string, HostState>;

test.before(async () => {
  lab = await ensureLab(3);
  await reset(HOSTS);
  before = Object.fromEntries(HOSTS.map((h) => [h, state(h)]));
});

test('fresh hosts are UCware 4.5.0.9 with a locally modified conffile', () => {
  for (const h of HOSTS) assert.is(before[h]!.versions, 'ucware=4.5.0.9 ucware-core=4.5.0.9');
});

test('--check changes nothing on any host and says what would happen', async () => {
  const r = await upgrade({ check: true });
  assert.is(r.exitCode, 0, r.out);
  for (const h of HOSTS) assert.equal(state(h), before[h], `${h} unchanged`);
  assert.match(r.out, /lab1 \| changed: apt full-upgrade \(Ubuntu \+ UCware 4\.5\) — apt-get clean; apt-get update/);
  assert.match(r.out, /lab1 \| skipped: UCware ≥ 4\.5\.0\.10 — check mode: this task verifies what earlier tasks change/);
  assert.match(r.out, /lab2 \| changed: root by unix socket/);
});

test('a NO-GO host stops the rollout by default, before any host changes', async () => {
  const lab2 = host(lab, 'lab2');
  sshOk(lab, lab2, `mv ${LIST} ${LIST}.away`);
  try {
    const r = await upgrade();
    assert.is(r.exitCode, 2);
    assert.match(r.out, /lab2 +NO-GO +task "GO\/NO-GO checks": NO-GO: \d+ of 13 checks failed/);
    assert.match(r.out, /FAIL +ucware\.list +\/etc\/apt\/sources\.list\.d\/ucware\.list missing/);
    assert.match(r.out, /ROLLOUT STOPPED: preflight: 1 of 3 hosts are NO-GO \(lab2\)/);
    for (const h of ['lab1', 'lab3']) assert.equal(state(h), before[h], `${h} unchanged`);
  } finally {
    sshOk(lab, lab2, `mv ${LIST}.away ${LIST}`);
  }
});

let full: Awaited<ReturnType<typeof upgrade>>;

test('the upgrade takes every host to UCware 5, one at a time', async () => {
  full = await upgrade();
  assert.is(full.exitCode, 0, full.out);
  for (const h of HOSTS) assert.is(state(h).versions, 'ucware=5.0.2 ucware-core=5.0.2', h);
  const batches = full.events.filter((e) => e.type === 'batch:start' && e.phase !== 'preflight');
  assert.equal(
    batches.map((b) => b.hosts),
    [['lab1'], ['lab2'], ['lab3']],
  );
});

test('ucware.list: exactly the one line changed, the firmware line untouched', () => {
  for (const h of HOSTS) {
    const a = before[h]!.list.split('\n');
    const b = state(h).list.split('\n');
    assert.is(a.length, b.length);
    const diff = a.map((l, i) => [l, b[i]]).filter(([x, y]) => x !== y);
    assert.is(diff.length, 1, h);
    assert.is(diff[0]![1], diff[0]![0]!.replace('ucware-4.5', 'ucware-5'));
    assert.ok(b.some((l) => l.includes('ucware-firmware')));
  }
});

test("modified conffiles are byte-identical; the packages' versions are reported as .dpkg-dist", () => {
  for (const h of HOSTS) {
    assert.is(state(h).sums, before[h]!.sums, `${h} conffiles kept`);
    assert.is(ssh(lab, host(lab, h), `test -e /etc/ucware/ucware.php.dpkg-dist`).code, 0);
  }
  assert.match(
    full.out,
    /lab1 \| ok: conffiles kept \(5 update\) — 2 kept; package version left as \/etc\/init\/asterisk\.conf\.dpkg-dist/,
  );
});

test("root authenticates by unix socket everywhere; lab2's .my.cnf is gone", () => {
  for (const h of HOSTS) {
    const u = sshOk(lab, host(lab, h), 'mysql -N -B -e "SHOW CREATE USER root@localhost"');
    assert.match(u, /IDENTIFIED VIA .*unix_socket/, `${h}: ${u}`);
    // and unix root really gets in without a password (no .my.cnf, no debian.cnf)
    assert.is(sshOk(lab, host(lab, h), 'HOME=/nonexistent mysql --no-defaults -N -B -e "SELECT CURRENT_USER()"'), 'root@localhost');
  }
  assert.is(ssh(lab, host(lab, 'lab2'), 'test -e /root/.my.cnf').code, 1);
  assert.match(full.out, /lab2 \| changed: root by unix socket/);
});

test('each host rebooted twice, with a new boot id each time', () => {
  for (const h of HOSTS) {
    const reboots = full.events.filter((e) => e.type === 'task:done' && e.host === h && e.module === 'reboot');
    assert.equal(
      reboots.map((e) => e.status),
      ['changed', 'changed'],
      h,
    );
    const ids = reboots.map((e) => /boot id (\S+) → (\S+)$/.exec(String(e.reason).replace(/\s*$/, '')));
    assert.ok(ids.every(Boolean), `${h} reboot reasons name the boot ids`);
    assert.is.not(ids[0]![1], ids[0]![2]);
    assert.is(ids[1]![1], ids[0]![2], "second reboot starts from the first one's new boot");
    assert.is(state(h).bootId, ids[1]![2]);
    assert.is.not(state(h).bootId, before[h]!.bootId);
  }
});

test('the admin page shows the new version (TLS verified against the lab CA)', async () => {
  for (const h of HOSTS) {
    const r = await https(lab, host(lab, h), '/admin/');
    assert.is(r.status, 200);
    assert.match(r.body, /id="ucware-version">5\.0\.2</);
  }
});

test('backups exist on the controller and match their checksums; the report names it all', () => {
  for (const h of HOSTS) {
    const m = new RegExp(`${h} \\| changed: back up MySQL and UCware data — backup of .* verified in (\\S+)`).exec(full.out);
    assert.ok(m, `${h} backup line`);
    const dir = m![1]!;
    const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8').trim().split('\n');
    assert.is(sums.length, 2);
    for (const line of sums) {
      const [sum, name] = line.split(/\s+/);
      assert.is(
        createHash('sha256')
          .update(readFileSync(join(dir, name!)))
          .digest('hex'),
        sum,
      );
    }
    const report = readFileSync(join(dir, 'upgrade-report.md'), 'utf8');
    assert.match(report, /versions before: ucware 4\.5\.0\.9/);
    assert.match(report, /versions after: ucware 5\.0\.2/);
    assert.match(report, /```diff\n--- \/etc\/ucware\/ucware\.php/);
  }
  assert.match(full.out, /PENDING MANUAL STEPS[\s\S]*Upload the UCware 5 licence key/);
});

test('it ran as ucware with sudo (as the procedure does); the sudo password appears nowhere', () => {
  const pw = readFileSync(lab.ucwarePasswordFile, 'utf8').trim();
  const logDir = full.logDir;
  const texts = [full.out, JSON.stringify(full.events), ...readdirSync(logDir).map((f) => readFileSync(join(logDir, f), 'utf8'))];
  for (const t of texts) assert.not.ok(t.includes(pw), 'sudo password leaked');
  assert.match(readFileSync(join(logDir, 'lab1.log'), 'utf8'), /\$ \(become\) /);
  assert.ok(full.events.some((e) => e.type === 'run:start'));
});

test('a second run is all ok with changed=0', async () => {
  const r = await upgrade();
  assert.is(r.exitCode, 0, r.out);
  for (const h of HOSTS) {
    assert.is(r.recap[h]!.changed, 0, `${h}: ${r.out}`);
    assert.is(r.recap[h]!.failed, 0);
  }
  assert.match(r.out, /GO: already on UCware 5\.0\.2, nothing to upgrade/);
});

test('with maxFailPercentage raised, a NO-GO host is left untouched while the others upgrade', async () => {
  await reset(HOSTS);
  const lab2 = host(lab, 'lab2');
  sshOk(lab, lab2, `mv ${LIST} ${LIST}.away`);
  const untouched = state('lab2');
  assert.is(untouched.list, '', 'the list is away');
  try {
    const r = await upgrade({ maxFailPercentage: 50 });
    assert.is(r.exitCode, 2, r.out);
    for (const h of ['lab1', 'lab3']) assert.is(state(h).versions, 'ucware=5.0.2 ucware-core=5.0.2', h);
    assert.equal(state('lab2'), untouched);
  } finally {
    sshOk(lab, lab2, `mv ${LIST}.away ${LIST}`);
    await reset(HOSTS);
  }
});

test.run();
