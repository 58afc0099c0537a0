// HTTPS admin page (lab CA) and the UCware JSON-RPC API stand-in (Basic and Bearer auth, crash injection).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:https';
import { set } from '../../lab/lab.ts';
import type { LabState } from '../../lab/state.ts';
import { ensureLab, host, https, rpc, sleep, sshOk } from '../../lab/testkit.ts';

let lab: LabState;
test.before(async () => {
  lab = await ensureLab(3);
});

test('HTTPS /admin/ verifies against the lab CA (IP SAN) and shows the installed version', async () => {
  for (const h of lab.hosts) {
    const r = await https(lab, h, '/admin/');
    assert.is(r.status, 200);
    // other test files may have upgraded a host: compare with what dpkg says
    const installed = sshOk(lab, h, "dpkg-query -W -f='${Version}' ucware-core");
    assert.match(installed, /^(4\.5|5)\./);
    assert.ok(r.body.includes(`<span id="ucware-version">${installed}</span>`), `${h.name}: page shows ${installed}`);
    assert.match(r.body, new RegExp(`<span id="host">${h.name}</span>`));
  }
});

test('HTTPS without the lab CA is rejected (certificate not publicly trusted)', async () => {
  const h = host(lab, 'lab1');
  const err = await new Promise<Error | undefined>((resolve) => {
    const req = request({ host: h.address, port: 443, path: '/admin/' }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on('error', resolve);
    req.end();
  });
  assert.ok(err, 'expected a TLS verification error');
});

test('API stand-in: admin/user getAll with Basic and with Bearer auth; 401 without', async () => {
  const h = host(lab, 'lab1');
  for (const auth of ['basic', 'bearer'] as const) {
    const r = await rpc(lab, h, 'admin/user', 'getAll', [], auth);
    assert.is(r.status, 200);
    const users = r.result as { username: string; email: string | null }[];
    assert.ok(users.some((u) => u.username === 'mmueller2'));
    assert.is(users.filter((u) => u.email === 'max.mueller@example.com').length, 3, 'the same person three times (4.5 workaround)');
  }
  const none = await rpc(lab, h, 'admin/user', 'getAll', [], 'none');
  assert.is(none.status, 401);
});

test('API stand-in: groups map, getGroupByName, errors for unknown methods and bad params', async () => {
  const h = host(lab, 'lab1');
  const groups = (await rpc(lab, h, 'admin/group', 'getAll')).result as Record<string, { name: string; permissions: unknown[] }>;
  assert.equal(Object.keys(groups).sort(), ['1', '2', '3', '4']);
  const vertrieb = (await rpc(lab, h, 'admin/group', 'getGroupByName', ['vertrieb'])).result as {
    id: number;
    permissions: { permission: string; targetGroup: null }[];
  };
  assert.equal(vertrieb.permissions, [{ permission: 'fax', targetGroup: null }]);
  assert.is((await rpc(lab, h, 'admin/user', 'noSuchMethod')).error?.code, -32601);
  assert.is((await rpc(lab, h, 'admin/user', 'getUser', ['x'])).error?.code, -32602);
  assert.is((await rpc(lab, h, 'admin/user', 'getUser', [4711])).error?.code, -32001);
});

test('API stand-in: writes persist; crash injection exits after N writes and the service comes back', async () => {
  const h = host(lab, 'lab1');
  set('lab1', 'api-crash-after', '2');
  const created = await rpc(lab, h, 'admin/user', 'newUser', [{ username: 'crash-test', firstName: 'Crash', lastName: 'Test' }]);
  const id = (created.result as { id: number }).id;
  assert.ok(id >= 1000);
  const upd = await rpc(lab, h, 'admin/user', 'updateUser', [{ id, email: 'crash@example.com' }]);
  assert.ok(upd.result, 'the N-th write is answered');
  await sleep(100);
  const down = await rpc(lab, h, 'admin/user', 'getUser', [id]);
  assert.is(down.status, 502, 'the API process is gone');
  let back: Awaited<ReturnType<typeof rpc>> | undefined;
  for (let i = 0; i < 50; i++) {
    back = await rpc(lab, h, 'admin/user', 'getUser', [id]);
    if (back.status === 200) break;
    await sleep(100);
  }
  assert.is((back?.result as { email: string }).email, 'crash@example.com', 'state survived the crash');
  assert.is((await rpc(lab, h, 'admin/user', 'deleteUser', [id])).result, true, 'the crash flag is one-shot');
});

test.run();
