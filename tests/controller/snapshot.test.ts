// The snapshot module against a Proxmox API stand-in and a govc stand-in (no hypervisor can run
// here): create, idempotence, check mode, rollback, delete, task failure, bad token, bad pin, secrets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startProxmoxStandin, type ProxmoxStandin } from '../support/proxmox-standin.ts';
import { runPlaybook, type RunOptions } from '../../runner/cli/run.ts';
import { pemFingerprint } from '../../runner/connection/https.ts';

const dir = mkdtempSync(join(tmpdir(), 'ucw-snap-'));
const SECRET = 'pve-secret-5f3c9a';
const GOVC_PW = 'vsphere-pw-81be2d';
let pve: ProxmoxStandin;
const govcState = join(dir, 'govc-state');

function inventory(extra: { pin?: string; tokenEnv?: string; action?: string } = {}) {
  const f = join(dir, `inv-${Math.random().toString(36).slice(2)}.yml`);
  const action = extra.action ? `, snapAction: ${extra.action}` : '';
  writeFileSync(
    f,
    `all:
  hosts:
    pve1: { connection: local${action}, snapshot: { provider: proxmox, url: '${pve.url}', node: pve, vmid: 101, tokenId: 'root@pam!ucw', tokenSecretEnv: ${extra.tokenEnv ?? 'PVE_SECRET'}, pinSha256: '${extra.pin ?? pemFingerprint(readFileSync(pve.certFile, 'utf8'))}', pollSec: 0.05 } }
    vm1: { connection: local${action}, snapshot: { provider: vmware, vm: pbx, govc: ${resolve('tests/fixtures/bin/govc')}, env: { GOVC_URL: 'https://vcenter.example', GOVC_STANDIN_STATE: ${govcState}, GOVC_STANDIN_EXPECT_PASSWORD: ${GOVC_PW} }, passwordEnv: GOVC_PW } }
    none1: { connection: local${action}, snapshot: { provider: none, waiver: 'lab VM without hypervisor access' } }
`,
  );
  return f;
}

async function run(o: Partial<RunOptions> & { inventory: string }) {
  const lines: string[] = [];
  const json = join(dir, `ev-${Math.random().toString(36).slice(2)}.jsonl`);
  const r = await runPlaybook({
    playbook: 'tests/fixtures/playbooks/snap.ts',
    logsDir: join(dir, 'logs'),
    view: 'plain',
    write: (l) => lines.push(l),
    json,
    ...o,
  });
  return { ...r, out: lines.join('\n'), json };
}

test.before(async () => {
  process.env.PVE_SECRET = SECRET;
  process.env.GOVC_PW = GOVC_PW;
  pve = await startProxmoxStandin({ node: 'pve', tokenId: 'root@pam!ucw', secret: SECRET });
});
test.after(async () => {
  await pve.close();
});

test('--check lists snapshots but creates none', async () => {
  const r = await run({ inventory: inventory(), check: true });
  assert.is(r.exitCode, 0, r.out);
  assert.is(r.recap.pve1!.changed, 1);
  assert.equal(pve.snapshots.get(101) ?? [], []);
  assert.not.ok(existsSync(govcState) && readFileSync(govcState, 'utf8').trim());
  assert.not.ok(
    pve.calls.some((c) => c.startsWith('POST')),
    'no write call in check mode',
  );
});

test('takes the snapshot through each provider; the waiver is a no-op that says why', async () => {
  const r = await run({ inventory: inventory() });
  assert.is(r.exitCode, 0, r.out);
  assert.equal(
    pve.snapshots.get(101)!.map((s) => s.name),
    ['before-ubuntu-update'],
  );
  assert.is(readFileSync(govcState, 'utf8'), 'before-ubuntu-update\n');
  assert.match(readFileSync(govcState + '.calls', 'utf8'), /^snapshot\.create -vm pbx -d test -m=false before-ubuntu-update$/m);
  assert.match(r.out, /none1 \| ok: .* — snapshots waived for this host: lab VM without hypervisor access/);
  assert.ok(
    pve.calls.some((c) => /GET \/api2\/json\/nodes\/pve\/tasks\/UPID%3Apve%3A/.test(c)),
    'polled the task status',
  );
});

test('a second run changes nothing', async () => {
  const r = await run({ inventory: inventory() });
  for (const h of ['pve1', 'vm1', 'none1']) assert.is(r.recap[h]!.changed, 0, h);
  assert.match(r.out, /pve1 \| ok: .* — snapshot before-ubuntu-update exists on proxmox pve\/qemu\/101/);
});

test('rollback and delete', async () => {
  const rb = await run({ inventory: inventory({ action: 'rollback' }), limit: 'pve1,vm1' });
  assert.is(rb.exitCode, 0, rb.out);
  assert.ok(pve.calls.some((c) => c === 'POST /api2/json/nodes/pve/qemu/101/snapshot/before-ubuntu-update/rollback'));
  assert.match(readFileSync(govcState + '.calls', 'utf8'), /^snapshot\.revert -vm pbx before-ubuntu-update$/m);
  const del = await run({ inventory: inventory({ action: 'delete' }), limit: 'pve1,vm1' });
  assert.is(del.exitCode, 0, del.out);
  assert.equal(pve.snapshots.get(101), []);
  assert.is(readFileSync(govcState, 'utf8'), '');
});

test('a Proxmox task that ends in error fails the host with its exitstatus', async () => {
  pve.failNextTask = "VM 101 qmp command 'savevm-start' failed - unable to save";
  const r = await run({ inventory: inventory(), limit: 'pve1' });
  assert.is(r.exitCode, 2);
  assert.match(r.out, /snapshot "before-ubuntu-update" failed: task UPID:pve:\S+ ended with "VM 101 qmp command 'savevm-start' failed/);
});

test('a rejected token and a wrong certificate pin are refused, naming what to fix', async () => {
  process.env.PVE_WRONG = 'nope-nope';
  const bad = await run({ inventory: inventory({ tokenEnv: 'PVE_WRONG' }), limit: 'pve1' });
  assert.is(bad.exitCode, 2, bad.out);
  assert.match(bad.out, /401 — token root@pam!ucw rejected/);
  const pin = await run({ inventory: inventory({ pin: 'AA:'.repeat(31) + 'AA' }), limit: 'pve1' });
  assert.is(pin.exitCode, 2);
  assert.match(pin.out, /has SHA-256 [0-9A-F:]+, not the pinned AA:AA/);
});

test('the rollback playbook: --to is required; without a terminal it refuses unless --yes; with --yes it reverts', async () => {
  const inv = inventory();
  const noTo = await run({ playbook: 'rollback', inventory: inv, limit: 'pve1' }).then(
    () => '',
    (e: Error) => e.message,
  );
  assert.match(noTo, /playbook rollback needs --to/);
  await run({ inventory: inv, limit: 'pve1' }); // make sure the snapshot exists
  const calls = pve.calls.length;
  const refused = await run({ playbook: 'rollback', inventory: inv, limit: 'pve1', params: { to: 'before-ubuntu-update' } });
  assert.is(refused.exitCode, 2);
  assert.match(refused.out, /pause: "Confirm the rollback" needs an operator at a terminal/);
  assert.not.ok(
    pve.calls.slice(calls).some((c) => c.includes('/rollback')),
    'nothing reverted without confirmation',
  );
  const done = await run({ playbook: 'rollback', inventory: inv, limit: 'pve1', params: { to: 'before-ubuntu-update', yes: true } });
  assert.is(done.exitCode, 0, done.out);
  assert.ok(pve.calls.slice(calls).some((c) => c === 'POST /api2/json/nodes/pve/qemu/101/snapshot/before-ubuntu-update/rollback'));
  const missing = await run({ playbook: 'rollback', inventory: inv, limit: 'pve1', params: { to: 'no-such-snap', yes: true } });
  assert.is(missing.exitCode, 2);
  assert.match(missing.out, /no snapshot "no-such-snap" on proxmox pve\/qemu\/101 \(have: before-ubuntu-update\)/);
});

test('the token secret and the vSphere password appear in no log, event or output', async () => {
  const r = await run({ inventory: inventory() });
  const logsRoot = join(dir, 'logs');
  const texts = [r.out, readFileSync(r.json, 'utf8')];
  for (const run of readdirSync(logsRoot))
    for (const f of readdirSync(join(logsRoot, run))) texts.push(readFileSync(join(logsRoot, run, f), 'utf8'));
  for (const t of texts) {
    assert.not.ok(t.includes(SECRET), 'PVE secret leaked');
    assert.not.ok(t.includes(GOVC_PW), 'govc password leaked');
  }
});

test.run();
