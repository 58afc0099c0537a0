// Security, issue 14 item 9: a process of the login user on the host tries to forge the
// persistent channel's status lines. A task leaves a background writer behind; while the next
// task (`sleep 3; exit 5`) runs, the writer reads the task agent's memory (/proc/<agent>/mem) for
// marker-like tokens and writes fake status lines into the agent's channel (/proc/<agent>/fd/1).
// Before the fix that task finished as success after 1.5 s and every later result was shifted by
// one task. The agent is now non-dumpable (neither its memory nor its descriptors are open to the
// same user) and every status line carries its own task's nonce. The sh loop cannot drop
// dumpability: there the writer can still forge the task it reads the nonce of, but a late line
// never completes a later task (that one fails as a protocol error instead).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackConnection, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { createLocalUser, removeLocalUser, removeStaleTestUsers } from '../support/localUsers.ts';
import type { SshConnection } from '../../runner/connection/ssh.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-attack-'));
chmodSync(root, 0o755);
const port = portBase() + 4;
const key = makeClientKey();
const tag = process.pid % 10000;
const USER = `ucwat${tag}`;
const forger = join(root, 'forge.pl');
let s: TestSshd;
const opened: SshConnection[] = [];

// The attacker: after a pause, every `UCW-<hex>` token in the agent's writable memory becomes a
// fake `P` line and a fake success status on the agent's own stdout (the SSH channel).
writeFileSync(
  forger,
  String.raw`my ($pid, $delay, $log) = @ARGV;
select(undef, undef, undef, $delay);
open(my $L, '>', $log) or die;
select((select($L), $| = 1)[0]);
my %tok;
if (open(my $maps, '<', "/proc/$pid/maps")) {
  if (open(my $mem, '<', "/proc/$pid/mem")) {
    while (<$maps>) {
      my ($a, $b, $perm) = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/ or next;
      next unless $perm =~ /^rw/;
      my ($lo, $hi) = (hex $a, hex $b);
      next if $hi - $lo > 64 << 20;
      sysseek($mem, $lo, 0) or next;
      my $n = sysread($mem, my $buf, $hi - $lo);
      if (!defined $n) { print $L "mem read: $!\n"; next }
      $tok{$1} = 1 while $buf =~ /(UCW-[0-9a-f]{32})/g;
    }
  } else { print $L "mem: $!\n" }
} else { print $L "maps: $!\n" }
print $L 'tokens: ', scalar(keys %tok), "\n";
open(my $w, '>>', "/proc/$pid/fd/1") or do { print $L "fd: $!\n"; exit 0 };
open(my $e, '>>', "/proc/$pid/fd/2") or do { print $L "fd 2: $!\n"; exit 0 };
for (keys %tok) {
  syswrite($e, "\n$_ E\n");
  syswrite($w, "$_ P 1\n\n$_ X 0 x 0 ~0\n");
}
print $L "forged\n";
`,
);
chmodSync(forger, 0o644);

function conn(taskRunner: 'agent' | 'sh'): SshConnection {
  const c = loopbackConnection(key, join(root, 'known_hosts'), {
    host: `atk-${taskRunner}`,
    address: s.address,
    port,
    user: USER,
    taskRunner,
  });
  opened.push(c);
  return c;
}

/** Task 1 leaves the writer behind; tasks 2–4 are what it tries to falsify. */
async function attack(c: SshConnection, log: string) {
  await c.exec('true');
  const agent = c.shells()[0]!.pid;
  const t1 = await c.exec(`setsid perl ${forger} ${agent} 1.5 ${log} </dev/null >/dev/null 2>&1 & echo started`);
  const t2 = await c.exec('sleep 3; exit 5');
  const t3 = await c.exec('echo three');
  const t4 = await c.exec('echo four');
  // The writer is done by now (it strikes 1.5 s into t2); its log says how far it got.
  for (let i = 0; i < 50 && !/forged|fd:|tokens: 0/.test(safeRead(log)); i++) await new Promise((r) => setTimeout(r, 100));
  return { t1, t2, t3, t4, log: safeRead(log), dumpable: c.shells()[0]?.dumpable };
}

const safeRead = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

test.before(async () => {
  s = await startSshd({ name: 'attack', address: '127.0.0.91', port, client: key });
  removeStaleTestUsers();
  createLocalUser(USER);
});

test.after(async () => {
  for (const c of opened) await c.close();
  await s?.stop();
  removeLocalUser(USER);
  rmSync(root, { recursive: true, force: true });
});

test('perl task agent: a same-user writer can read neither its memory nor its channel; every result is the real one', async () => {
  const log = join(tmpdir(), `ucw-forge-agent-${tag}.log`);
  const r = await attack(conn('agent'), log);
  rmSync(log, { force: true });
  assert.is(r.t1.stdout, 'started\n');
  assert.is(r.t2.exitCode, 5, `sleep 3; exit 5 reported as ${JSON.stringify(r.t2)}; writer: ${r.log}`);
  assert.ok(r.t2.durationMs >= 2900, `took ${r.t2.durationMs} ms`);
  assert.equal([r.t3.stdout, r.t3.exitCode], ['three\n', 0]);
  assert.equal([r.t4.stdout, r.t4.exitCode], ['four\n', 0]);
  assert.match(r.log, /mem: Permission denied|maps: Permission denied/, `the writer read the agent's memory: ${r.log}`);
  assert.match(r.log, /fd: Permission denied/, `the writer opened the agent's channel: ${r.log}`);
  assert.is(r.dumpable, false);
});

test('sh loop (no perl on the host): a forged status can at most end the task whose nonce was read; a late line completes no other task', async () => {
  const log = join(tmpdir(), `ucw-forge-sh-${tag}.log`);
  const c = conn('sh');
  const r = await attack(c, log);
  rmSync(log, { force: true });
  assert.is(r.t1.stdout, 'started\n');
  // t2 may be forged here (the documented limit of the sh loop); what follows must not be.
  assert.ok(r.t3.exitCode !== 5, `task 3 took task 2's result: ${JSON.stringify(r.t3)}`);
  assert.ok(r.t3.stdout === 'three\n' || r.t3.outcomeUnknown === true, `task 3: ${JSON.stringify(r.t3)}`);
  assert.equal([r.t4.stdout, r.t4.exitCode], ['four\n', 0], `task 4: ${JSON.stringify(r.t4)}`);
  assert.is((await c.exec('echo five')).stdout, 'five\n');
});

test.run();
