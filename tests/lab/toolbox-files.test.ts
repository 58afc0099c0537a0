// The toolbox's account and file modules on a lab host, each run twice (changed, then ok), under
// --check first (nothing changes), with the end state read back over SSH; everything is undone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { labOrSkip, run, sshOk, sshRoot } from '../fixtures/modules/labRun.ts';
import { ssh } from '../../lab/testkit.ts';
import {
  user,
  group,
  authorizedKey,
  lineInFile,
  blockInFile,
  copy,
  sysctl,
  cron,
  getUrl,
  unarchive,
  httpRequest,
} from '../../modules/index.ts';
import { secret, type Task } from '../../runner/module.ts';

const lab = labOrSkip();
const H = 'lab2';
const U = 'ucwtool';

// a run that failed half-way must not make the next one's first run "ok"
test.before(() => {
  if (lab) sshRoot(lab, H, `pkill -KILL -u ${U}; userdel -rf ${U}; groupdel ${U}; true`);
});

/** --check changes nothing; the first run changes, the second does not. */
async function twice(items: Task<unknown>[], label: string) {
  const c = await run(lab!, H, items, { check: true });
  assert.is(c.exitCode, 0, `${label} --check: ${c.out}`);
  const r1 = await run(lab!, H, items);
  assert.is(r1.exitCode, 0, `${label}: ${r1.out}`);
  assert.ok(
    r1.done.every((d) => d.status === 'changed'),
    `${label}, first run: ${r1.done.map((d) => `${d.task}=${d.status} ${d.reason}`).join('; ')}`,
  );
  const r2 = await run(lab!, H, items);
  assert.equal(
    r2.done.map((d) => d.status),
    items.map(() => 'ok'),
    `${label}, second run: ${r2.done.map((d) => `${d.task}: ${d.reason}`).join('; ')}`,
  );
  return { c, r1, r2 };
}

test('group, user with a hash and a key: the user logs in with it; the hash is in no log', async () => {
  if (!lab) return;
  const hash = '$6$ucwtest$Wq0Oa3c3lQeZ0yrx0d0N1z0bGv1o0m8Q7m6m7s6mV3tJxS1b7c6Ww0hH8v4uY0bO6r3p2n1m0l9k8j7i6h5g4f';
  const pub = readFileSync(lab.keyFile + '.pub', 'utf8').trim();
  const { c, r1 } = await twice(
    [
      group({ name: U, gid: 2301 }),
      user({ name: U, group: U, groups: ['adm'], shell: '/bin/bash', passwordHash: secret(hash) }),
      authorizedKey({ user: U, keys: [pub] }),
    ],
    'accounts',
  );
  assert.match(c.out, /create group ucwtool \(gid 2301\)/);
  assert.ok(!r1.written.includes(hash) && !r1.written.includes('Wq0Oa3c3'), 'the hash never appears in logs or events');
  assert.is(sshOk(lab, H, `getent shadow ${U} | cut -d: -f2`).trim(), hash);
  assert.is(sshOk(lab, H, `id -Gn ${U}`).trim(), `${U} adm`);
  assert.is(sshOk(lab, H, `stat -c '%a %U' /home/${U}/.ssh /home/${U}/.ssh/authorized_keys`).trim(), `700 ${U}\n600 ${U}`);
  const h = lab.hosts.find((x) => x.name === H)!;
  const login = ssh(lab, h, 'id -un', { user: U });
  assert.is(login.stdout.trim(), U, login.stderr);
  const gone = await run(lab, H, [user({ name: U, present: false, removeHome: true, force: true }), group({ name: U, present: false })]);
  assert.is(gone.exitCode, 0, gone.out);
  assert.is(sshRoot(lab, H, `getent passwd ${U}`).code, 2);
});

test('lineInFile + visudo: a valid line goes in at 0440; an invalid one is refused, the file untouched, no temp file left', async () => {
  if (!lab) return;
  const P = '/etc/sudoers.d/ucwtool';
  await twice(
    [
      lineInFile({
        path: P,
        line: 'ucware ALL=(ALL) NOPASSWD: /usr/bin/true',
        create: true,
        mode: '0440',
        validate: '/usr/sbin/visudo -cf %s',
      }),
    ],
    'sudoers',
  );
  assert.is(sshOk(lab, H, `stat -c %a ${P}; cat ${P}`), '440\nucware ALL=(ALL) NOPASSWD: /usr/bin/true\n');
  const bad = await run(lab, H, [
    lineInFile({ path: P, line: 'ucware ALL=(ALL NOPASSWD', validate: '/usr/sbin/visudo -cf %s', backup: true }),
  ]);
  assert.is(bad.exitCode, 2);
  assert.match(bad.out, /validate failed for \/etc\/sudoers\.d\/ucwtool/);
  assert.is(sshOk(lab, H, `cat ${P}; ls /etc/sudoers.d/ | grep -c ucwtool || true`), 'ucware ALL=(ALL) NOPASSWD: /usr/bin/true\n1\n');
  sshOk(lab, H, `rm -f ${P}`);
});

test('blockInFile + sshd -t on a copy of sshd_config; copy with validate and backup', async () => {
  if (!lab) return;
  const P = '/root/ucwtool_sshd_config';
  sshOk(lab, H, `cp /etc/ssh/sshd_config ${P}`);
  await twice(
    [blockInFile({ path: P, block: 'MaxAuthTries 3\nX11Forwarding no', insertBefore: /^Include /, validate: '/usr/sbin/sshd -t -f %s' })],
    'sshd block',
  );
  assert.match(
    sshOk(lab, H, `cat ${P}`),
    /# BEGIN UCW-RUNNER MANAGED BLOCK\nMaxAuthTries 3\nX11Forwarding no\n# END UCW-RUNNER MANAGED BLOCK\nInclude /,
  );
  const bad = await run(lab, H, [blockInFile({ path: P, block: 'NoSuchOption yes', validate: '/usr/sbin/sshd -t -f %s' })]);
  assert.is(bad.exitCode, 2, bad.out);
  assert.match(bad.out, /Bad configuration option: NoSuchOption|NoSuchOption/);
  const C = '/root/ucwtool-copy.conf';
  sshOk(lab, H, `printf 'old\\n' > ${C}; chmod 0640 ${C}`);
  await twice([copy({ path: C, content: 'new\n', validate: 'grep -q new %s', backup: true })], 'copy validated');
  assert.is(sshOk(lab, H, `cat ${C}; stat -c %a ${C}; cat ${C}.*.bak; stat -c %a ${C}.*.bak`), 'new\n640\nold\n640\n');
  sshOk(lab, H, `rm -f ${P} ${C} ${C}.*.bak`);
});

test('sysctl (per-namespace net.ipv4 key) and cron.d: applied and persisted, then removed', async () => {
  if (!lab) return;
  const before = sshOk(lab, H, 'sysctl -n net.ipv4.tcp_keepalive_time').trim();
  await twice(
    [
      sysctl({ name: 'net.ipv4.tcp_keepalive_time', value: 611, file: '/etc/sysctl.d/90-ucwtool.conf' }),
      cron({ name: 'ucwtool', cronFile: 'ucwtool', minute: '*/5', job: 'true' }),
    ],
    'sysctl+cron',
  );
  assert.is(
    sshOk(
      lab,
      H,
      'sysctl -n net.ipv4.tcp_keepalive_time; cat /etc/sysctl.d/90-ucwtool.conf; cat /etc/cron.d/ucwtool; stat -c %a /etc/cron.d/ucwtool',
    ),
    '611\nnet.ipv4.tcp_keepalive_time = 611\n# ucw-runner: ucwtool\n*/5 * * * * root true\n644\n',
  );
  const other = lab.hosts.find((x) => x.name !== H)!;
  assert.is(sshOk(lab, other, 'sysctl -n net.ipv4.tcp_keepalive_time').trim(), before, 'another namespace keeps its value');
  const undo = await run(lab, H, [
    sysctl({ name: 'net.ipv4.tcp_keepalive_time', value: before, file: '/etc/sysctl.d/90-ucwtool.conf' }),
    cron({ name: 'ucwtool', cronFile: 'ucwtool', present: false }),
  ]);
  assert.is(undo.exitCode, 0, undo.out);
  sshOk(lab, H, 'rm -f /etc/sysctl.d/90-ucwtool.conf /etc/cron.d/ucwtool');
});

test('getUrl from the lab repo (checksum required, no second download, a wrong sum leaves nothing); unarchive; httpRequest', async () => {
  if (!lab) return;
  const url = `${lab.repoUrl}/ucware-4.5/dists/bionic/Release`;
  const body = Buffer.from(await (await fetch(url)).arrayBuffer());
  const sum = createHash('sha256').update(body).digest('hex');
  sshOk(lab, H, 'mkdir -p /root/ucwtool');
  await twice([getUrl({ url, dest: '/root/ucwtool/Release', checksum: `sha256:${sum}`, mode: '0600' })], 'getUrl');
  assert.is(sshOk(lab, H, 'sha256sum < /root/ucwtool/Release; stat -c %a /root/ucwtool/Release').split(' ')[0], sum);
  const bad = await run(lab, H, [getUrl({ url, dest: '/root/ucwtool/Other', checksum: `sha256:${'0'.repeat(64)}` })]);
  assert.is(bad.exitCode, 2);
  assert.match(bad.out, new RegExp(`sha256 is ${sum}, not 0{64}`));
  assert.is(sshOk(lab, H, 'ls /root/ucwtool'), 'Release\n', 'no temp file, no Other');

  sshOk(
    lab,
    H,
    'cd /root/ucwtool && mkdir -p src/tools/bin && echo hi > src/tools/bin/x && tar -czf tools.tar.gz -C src tools && mkdir -p out',
  );
  await twice([unarchive({ src: '/root/ucwtool/tools.tar.gz', dest: '/root/ucwtool/out', owner: 'ucware' })], 'unarchive');
  assert.is(sshOk(lab, H, 'stat -c %U /root/ucwtool/out/tools/bin/x; cat /root/ucwtool/out/tools/bin/x'), 'ucware\nhi\n');

  const h = lab.hosts.find((x) => x.name === H)!;
  const get = await run(lab, H, [
    httpRequest({ url: `https://${h.address}/admin/version.json`, caFile: lab.caFile }),
    httpRequest(
      { url: 'https://127.0.0.1/admin/version.json', from: 'target', caFile: '/etc/ssl/certs/ca-certificates.crt', status: [200] },
      { ignoreErrors: true },
    ),
  ]);
  assert.is(get.done[0]!.status, 'ok', get.out);
  assert.match(get.done[0]!.reason, /: 200$/);
  const post = await run(lab, H, [
    httpRequest({
      url: `https://${h.address}/api/2/admin/user`,
      method: 'POST',
      caFile: lab.caFile,
      headers: { authorization: secret('Bearer not-the-token') },
      json: { jsonrpc: '2.0', method: 'getAll', params: [], id: 1 },
      status: [401],
    }),
  ]);
  assert.is(post.done[0]!.status, 'changed', post.out);
  assert.ok(!post.written.includes('not-the-token'), 'the secret header is in no log');
  sshOk(lab, H, 'rm -rf /root/ucwtool');
});

test.run();
