// fetchFile and pause through the runner on a lab host; and every read-only module run
// twice reports no change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labOrSkip, run, sshOk, root } from '../fixtures/modules/labRun.ts';
import { fetchFile, pause, packageFacts, assertVersion, httpCheck, mysqlExec, debconfKeep } from '../../modules/index.ts';
import { setPrompter } from '../../runner/model/prompt.ts';

const lab = labOrSkip();
const H = 'lab1';

test('fetchFile: fetched with the same SHA-256, mode 600; second run transfers nothing', async () => {
  if (!lab) return;
  const dest = join(root, 'fetched', '{host}', 'ucware.php');
  const task = fetchFile({ src: '/etc/ucware/ucware.php', dest });
  const r1 = await run(lab, H, [task]);
  assert.is(r1.exitCode, 0, r1.out);
  assert.is(r1.done[0]!.status, 'changed');
  const local = dest.replace('{host}', H);
  const remoteSum = sshOk(lab, H, 'sha256sum < /etc/ucware/ucware.php').split(' ')[0];
  assert.is(createHash('sha256').update(readFileSync(local)).digest('hex'), remoteSum);
  assert.is(statSync(local).mode & 0o777, 0o600);
  const r2 = await run(lab, H, [task]);
  assert.is(r2.done[0]!.status, 'ok');
  assert.match(r2.done[0]!.reason, /already has this content/);
  const r3 = await run(lab, H, [fetchFile({ src: '/nope', dest })]);
  assert.match(r3.out, /fetchFile: \/nope does not exist on the host/);
});

test('pause: refuses without a terminal, records pending with skipNonInteractive, asks when interactive', async () => {
  if (!lab) return;
  const step = { title: 'Upload the licence', instructions: 'Open https://{host}/admin/ and upload it' };
  const r1 = await run(lab, H, [pause(step)]);
  assert.is(r1.exitCode, 2);
  assert.match(r1.out, /"Upload the licence" needs an operator at a terminal.*Open https:\/\/lab1\/admin\/ and upload it/);
  const r2 = await run(lab, H, [pause({ ...step, skipNonInteractive: true }, { id: 'lic' })]);
  assert.is(r2.exitCode, 0);
  assert.match(r2.done[0]!.reason, /PENDING \(no terminal to confirm\): Upload the licence/);
  assert.equal((Object.values(r2.results)[0] as { pending: boolean }).pending, true);
  const asked: string[] = [];
  const answers = ['y', 'n'];
  const prev = setPrompter({
    interactive: () => true,
    secret: async () => undefined,
    select: async (q) => (asked.push(q.message), answers.shift() === 'y' ? 'yes' : 'no'),
  });
  try {
    const r3 = await run(lab, H, [pause(step, { name: 'yes' }), pause(step, { name: 'no' })]);
    assert.equal(
      r3.done.map((d) => `${d.task}:${d.status}`),
      ['yes:ok', 'no:failed'],
    );
    assert.match(asked[0]!, /lab1: Upload the licence\n  - Open https:\/\/lab1\/admin\/ and upload it\nDone on lab1\?/);
    assert.match(r3.out, /the operator answered "no"/);
  } finally {
    setPrompter(prev);
  }
});

test('read-only modules: run twice, never changed', async () => {
  if (!lab) return;
  const tasks = () => [
    packageFacts({ names: ['ucware-core'] }),
    assertVersion({ packages: 'ucware-core', atLeast: '4.5' }),
    httpCheck({ url: `https://${lab.hosts[0]!.address}/admin/`, caFile: lab.caFile }),
    mysqlExec({ sql: 'SELECT 1 AS one', readOnly: true }),
    debconfKeep({ files: ['/etc/ucware/ucware.php'], dropIns: false, stateFile: '/tmp/ucw-test-keep.sha256' }),
  ];
  await run(lab, H, tasks());
  const r = await run(lab, H, tasks());
  assert.is(r.exitCode, 0, r.out);
  assert.is(r.recap[H]!.changed, 0, r.out);
  sshOk(lab, H, 'rm -f /tmp/ucw-test-keep.sha256');
});

test.run();
