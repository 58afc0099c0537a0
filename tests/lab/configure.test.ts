// End to end: `run configure-v5 inventory/lab.ts` against the UCware API stand-in of a lab host
// upgraded to 5 — the check-mode plan, a crash injected between delete and reassign recovered
// by --resume with no number lost, verification, and an idempotent rerun.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab, host, rpc } from '../../lab/testkit.ts';
import { reset, set } from '../../lab/lab.ts';
import { runPlaybook, type RunOptions } from '../../runner/cli/run.ts';
import { readApiCredentials, type LabState } from '../../lab/state.ts';

const logsDir = mkdtempSync(join(tmpdir(), 'ucw-configure-logs-'));
let lab: LabState;
type User = { id: number; username: string; extensions: { number: string }[] };
type Slot = { name: string; userId: number; deviceType: string; extensions: string[] };

async function run(playbook: string, o: Partial<RunOptions> = {}) {
  const lines: string[] = [];
  const r = await runPlaybook({
    playbook,
    inventory: 'inventory/lab.ts',
    limit: 'lab1',
    logsDir,
    view: 'plain',
    write: (l) => lines.push(l),
    ...o,
  });
  return { ...r, out: lines.join('\n') };
}
/** The stand-in restarts after an injected crash (nginx answers 502 meanwhile). */
async function apiBack(timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await rpc(lab, host(lab, 'lab1'), '/api/2/admin/user', 'getAll').catch(() => undefined);
    if (r?.result) return;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error('the API stand-in did not come back');
}
const users = async () => (await rpc(lab, host(lab, 'lab1'), '/api/2/admin/user', 'getAll')).result as User[];
const slots = async () => (await rpc(lab, host(lab, 'lab1'), '/api/2/admin/slot', 'getAll')).result as Slot[];
const allNumbers = async () => (await users()).flatMap((u) => u.extensions.map((e) => e.number)).sort();

let numbersBefore: string[];

test.before(async () => {
  lab = await ensureLab(3);
  await reset(['lab1']);
  const up = await run('upgrade');
  assert.is(up.exitCode, 0, up.out);
  numbersBefore = await allNumbers();
});

test('--check lists the exact plan and changes nothing in the API', async () => {
  const before = JSON.stringify([await users(), await slots()]);
  const r = await run('configure-v5', { check: true, diff: true });
  assert.is(r.exitCode, 0, r.out);
  assert.match(
    r.out,
    /changed: merge people created several times — delete mmueller2, 202 → mmueller, delete mueller-fax, 291 → mmueller, tick 202 on "Yealink T46 Müller", new mobile slot "Handy Müller" for mmueller, tick 202 on "Handy Müller", delete aschmidt-fax, 292 → aschmidt/,
  );
  assert.match(r.out, /\+numbers: 201, 202, 291/);
  assert.is(JSON.stringify([await users(), await slots()]), before);
});

test('a crash between delete and reassign fails the run; --resume finishes it with no number lost', async () => {
  set('lab1', 'api-crash-after', '1');
  const crashed = await run('configure-v5');
  assert.is(crashed.exitCode, 2, crashed.out);
  assert.match(crashed.out, /lab1 \| failed: merge people created several times — lab1: admin\/user\.assignExtension: HTTP 502/);
  await apiBack();
  assert.not.ok(
    (await users()).some((u) => u.username === 'mmueller2'),
    'the first delete went through',
  );
  assert.not.ok((await allNumbers()).includes('202'), 'number 202 is orphaned until the resume');
  const resumed = await run('configure-v5', { resume: true });
  assert.is(resumed.exitCode, 0, resumed.out);
  assert.equal(await allNumbers(), numbersBefore, 'every number is still assigned to someone');
  const u = await users();
  const mm = u.find((x) => x.username === 'mmueller')!;
  assert.equal(mm.extensions.map((e) => e.number).sort(), ['201', '202', '291']);
  assert.equal(
    u
      .find((x) => x.username === 'aschmidt')!
      .extensions.map((e) => e.number)
      .sort(),
    ['210', '292'],
  );
  for (const gone of ['mmueller2', 'mueller-fax', 'aschmidt-fax'])
    assert.not.ok(
      u.some((x) => x.username === gone),
      gone,
    );
  const s = (await slots()).filter((x) => x.userId === mm.id);
  assert.equal(
    s.find((x) => x.name === 'Handy Müller'),
    { ...s.find((x) => x.name === 'Handy Müller')!, deviceType: 'mobile', extensions: ['202'] },
  );
  assert.equal(s.find((x) => x.name === 'Yealink T46 Müller')!.extensions.sort(), ['201', '202']);
  assert.match(resumed.out, /verified by reading users and slots back/);
  assert.match(resumed.out, /PENDING MANUAL STEPS[\s\S]*Create a group of type "fax": name "fax-vertrieb"/);
});

test('a rerun changes nothing; the API token appears in no output, log or journal', async () => {
  const r = await run('configure-v5');
  assert.is(r.exitCode, 0, r.out);
  assert.is(r.recap.lab1!.changed, 0, r.out);
  assert.match(r.out, /ok: merge people created several times — every merge is done/);
  const token = readApiCredentials(lab).token;
  const files = readdirSync(logsDir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(logsDir, f)).isFile());
  assert.ok(files.length > 5);
  for (const f of files) assert.not.ok(readFileSync(join(logsDir, f), 'utf8').includes(token), f);
  assert.not.ok(r.out.includes(token));
});

test.after(async () => {
  await reset(['lab1']);
});

test.run();
