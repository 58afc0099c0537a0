// runOnce on three lab hosts: one host runs the task, the other two take its outcome; a failure
// there fails all three. httpRequest POSTs once for the batch with a secret header.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labOrSkip, run, sshRoot } from '../fixtures/modules/labRun.ts';
import { command, httpRequest } from '../../modules/index.ts';
import { secret } from '../../runner/module.ts';

const lab = labOrSkip();
const ALL = 'lab1,lab2,lab3';
const F = '/tmp/ucw-run-once';

test('runOnce: exactly one host runs it; the others report its outcome', async () => {
  if (!lab || lab.hosts.length < 3) return;
  for (const h of lab.hosts.slice(0, 3)) sshRoot(lab, h, `rm -f ${F}`);
  const r = await run(lab, ALL, [command({ argv: ['sh', '-c', `echo ran > ${F}`] }, { runOnce: true, name: 'once' })]);
  assert.is(r.exitCode, 0, r.out);
  const ran = lab.hosts
    .slice(0, 3)
    .filter((h) => sshRoot(lab, h, `test -e ${F}`).code === 0)
    .map((h) => h.name);
  assert.is(ran.length, 1, `ran on ${ran.join(', ')}`);
  const others = r.done.filter((d) => d.host !== ran[0]);
  assert.is(others.length, 2);
  for (const d of others) {
    assert.is(d.status, 'ok');
    assert.match(d.reason, new RegExp(`^run once on ${ran[0]}: `));
  }
  const bad = await run(lab, ALL, [command({ argv: ['false'] }, { runOnce: true, name: 'once-fails' })]);
  assert.equal(bad.done.map((d) => d.status).sort(), ['failed', 'failed', 'failed']);
  for (const h of lab.hosts.slice(0, 3)) sshRoot(lab, h, `rm -f ${F}`);
});

test('httpRequest POST with runOnce: sent once, the token in no log', async () => {
  if (!lab || lab.hosts.length < 3) return;
  const h = lab.hosts[0]!;
  const token = 'ucw-secret-header-value-123';
  const r = await run(lab, ALL, [
    httpRequest(
      {
        url: `https://${h.address}/api/2/admin/user`,
        method: 'POST',
        caFile: lab.caFile,
        headers: { authorization: secret(`Bearer ${token}`) },
        json: { jsonrpc: '2.0', method: 'getAll', params: [], id: 1 },
        status: [401],
      },
      { runOnce: true },
    ),
  ]);
  assert.is(r.exitCode, 0, r.out);
  assert.equal(r.done.map((d) => d.status).sort(), ['changed', 'ok', 'ok']);
  assert.ok(!r.written.includes(token));
  const c = await run(
    lab,
    ALL,
    [
      httpRequest(
        { url: `https://${h.address}/api/2/admin/user`, method: 'POST', caFile: lab.caFile, json: {}, status: [401] },
        { runOnce: true },
      ),
    ],
    { check: true },
  );
  assert.match(c.done[0]!.reason, /POST https:/);
});

test.run();
