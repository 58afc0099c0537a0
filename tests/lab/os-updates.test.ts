// Real OS updates on a systemd host (the LAST lab host; recreated before and after): with
// `lab set HOST os-updates on` apt sees the suite's real updates from the lab repo (the mirror's
// SUITE-updates/-security newer than the image, or the lab's +lab1 rebuild of a server's current
// .deb where the mirror has none). debconfKeep + aptUpgrade move them with their real maintainer
// scripts; afterwards every restarted server runs the new binary, the seeded data is intact, an
// edited conffile is kept and a second run changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reset, set } from '../../lab/lab.ts';
import { ensureLab } from '../../lab/testkit.ts';
import { readLab, type LabState } from '../../lab/state.ts';
import { run, sshOk } from '../fixtures/modules/labRun.ts';
import { aptUpgrade, debconfKeep } from '../../modules/index.ts';

let lab: LabState;
let H = 'lab3';
const CNF = '/etc/mysql/mariadb.conf.d/50-server.cnf';
const EDIT = "# local change by the customer's admin (kept across updates)";
/** the servers whose packages move and whose restart we check: unit → binary package */
const SERVERS = { mariadb: 'mariadb-server', ssh: 'openssh-server', nginx: 'nginx-common' } as const;

interface Update {
  pkg: string;
  old: string;
  next: string;
  source: 'mirror' | 'lab-repack';
}
const updates = (): Update[] => {
  const h = lab.hosts.find((x) => x.name === H)!;
  return readFileSync(join(lab.dir, 'updates', h.suite, 'lab-updates.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([pkg, old, next, source]) => ({ pkg, old, next, source: source as Update['source'] }));
};
/** main pid of a unit, and whether that process still runs a binary that is still on disk */
const mainPid = (unit: string) => sshOk(lab, H, `systemctl show -p MainPID --value ${unit}`).trim();
const exeDeleted = (pid: string) => / \(deleted\)$/.test(sshOk(lab, H, `readlink /proc/${pid}/exe`).trim());

test.before(async () => {
  lab = await ensureLab(3);
  H = lab.hosts[lab.hosts.length - 1]!.name;
  await reset([H]);
  lab = readLab();
  set(H, 'os-updates', 'on');
});
test.after(async () => {
  await reset([H]);
});

test("the lab repo serves the suite's real updates; the servers the test restarts are among them", () => {
  const u = updates();
  const by = new Map(u.map((x) => [x.pkg, x]));
  for (const p of Object.values(SERVERS)) assert.ok(by.has(p) || by.has(p.replace(/-common$/, '')), `${p} has an update`);
  const said = Object.values(SERVERS)
    .map((p) => by.get(p))
    .filter((x): x is Update => !!x)
    .map((x) => `${x.pkg} ${x.old} → ${x.next} (${x.source})`);
  console.log(`  ${u.length} updates (${u.filter((x) => x.source === 'mirror').length} from the mirror); servers: ${said.join(', ')}`);
  const policy = sshOk(lab, H, 'apt-get -qq update && apt-cache policy mariadb-server');
  assert.ok(policy.includes(`${lab.debianUrl}/`), policy);
});

test('debconfKeep + aptUpgrade move every update; each server restarted on its new binary; data and conffile edits intact; a rerun changes nothing', async () => {
  sshOk(lab, H, `echo "${EDIT}" >> ${CNF}`);
  const before = Object.fromEntries(Object.keys(SERVERS).map((u) => [u, mainPid(u)]));
  const versionBefore = sshOk(lab, H, 'mysql -Nse "select version()"').trim();
  const tasks = () => [
    debconfKeep({ files: [CNF] }, { name: 'keep' }),
    aptUpgrade({ mode: 'full', update: true }, { name: 'os updates', timeoutSec: 900 }),
  ];
  const r1 = await run(lab, H, tasks());
  assert.is(r1.exitCode, 0, r1.out);
  assert.equal(
    r1.done.map((d) => `${d.task}:${d.status}`),
    ['keep:changed', 'os updates:changed'],
  );

  const installed = new Map(
    sshOk(lab, H, "dpkg-query -W -f='${Package} ${Version}\\n'")
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
  for (const u of updates()) assert.is(installed.get(u.pkg), u.next, `${u.pkg} at ${u.next} (${u.source})`);
  for (const [unit] of Object.entries(SERVERS)) {
    const pid = mainPid(unit);
    assert.ok(pid !== '0' && pid !== before[unit], `${unit} restarted (main pid ${before[unit]} → ${pid})`);
    assert.not.ok(exeDeleted(pid), `${unit} (pid ${pid}) runs the installed binary, not a deleted one`);
  }
  const mariadb = updates().find((u) => u.pkg === 'mariadb-server')!;
  const versionAfter = sshOk(lab, H, 'mysql -Nse "select version()"').trim();
  if (mariadb.source === 'mirror') {
    // e.g. 1:10.11.19-0+deb12u1 → the server answers 10.11.19-MariaDB-0+deb12u1
    assert.ok(
      versionAfter.startsWith(mariadb.next.replace(/^\d+:/, '').replace(/-.*/, '')),
      `running MariaDB ${versionAfter}, package ${mariadb.next}`,
    );
    assert.is.not(versionAfter, versionBefore);
  }
  console.log(`  MariaDB ${versionBefore} → ${versionAfter} (${mariadb.source})`);
  assert.is(sshOk(lab, H, 'mysql -Nse "select count(*) from ucware.users"').trim(), '7', 'seeded data intact');
  assert.ok(sshOk(lab, H, `cat ${CNF}`).includes(EDIT), 'edited conffile kept');
  assert.is(sshOk(lab, H, 'systemctl is-system-running || true').trim(), 'running');

  const r2 = await run(lab, H, tasks());
  assert.is(r2.exitCode, 0, r2.out);
  assert.equal(
    r2.done.map((d) => `${d.task}:${d.status}`),
    ['keep:ok', 'os updates:ok'],
  );
});

test.run();
