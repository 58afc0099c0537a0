// The persistent command channel against exec channels on a real sshd: the same commands both
// ways must give identical stdout, stderr and exit status (random and hostile cases); a
// timeout kills only the task; a shell killed mid-task fails that task and the next one runs on
// a new shell; a login shell that cannot start the loop falls back to exec channels. Both
// servers of the persistent channel are held to it: the perl task agent (P, the default) and the
// sh loop (L, where a host has no perl). Shell-form tasks run under /bin/sh by default (P, L:
// compared with `exec -a sh /bin/sh -c LINE` on an exec channel) or under the host's `shell`
// (PB, LB with /bin/bash, root's login shell here: compared with the plain line on an exec
// channel); argv tasks are exec'd by the agent with no shell, and give what their quoted line gives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Socket } from 'node:net';
import { loopbackConnection, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { SshConnection } from '../../runner/connection/ssh.ts';
import type { ExecResult } from '../../runner/connection/connection.ts';
import { quote } from '../../runner/model/shell.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-fastpath-'));
const port = portBase() + 6;
const key = makeClientKey();
const tag = process.pid % 10000;
const RUSER = `ucwrb${tag}`;
let s: TestSshd;
const opened: SshConnection[] = [];
let P: SshConnection;
let E: SshConnection;
let L: SshConnection;
let PB: SshConnection;
let LB: SshConnection;
const warnings: string[] = [];

function conn(channel: 'persistent' | 'exec', user = 'root', taskRunner: 'agent' | 'sh' = 'agent', shell?: string): SshConnection {
  const c = loopbackConnection(key, join(root, 'known_hosts'), {
    host: `fp-${channel}-${user}-${taskRunner}${shell ? `-${shell}` : ''}`,
    taskRunner,
    shell,
    address: s.address,
    port,
    user,
    channel,
    warn: (m) => warnings.push(m),
  });
  opened.push(c);
  return c;
}

test.before(async () => {
  s = await startSshd({ name: 'fastpath', address: '127.0.0.81', port, client: key });
  P = conn('persistent');
  E = conn('exec');
  L = conn('persistent', 'root', 'sh');
  PB = conn('persistent', 'root', 'agent', '/bin/bash');
  LB = conn('persistent', 'root', 'sh', '/bin/bash');
  // Fixed data both ways read: random binary bytes, 5 MB.
  const blob = Buffer.alloc(5_000_000);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 2654435761) >>> 24;
  writeFileSync(join(root, 'blob'), blob);
  chmodSync(root, 0o755);
});

test.after(async () => {
  for (const c of opened) await c.close();
  await s?.stop();
  spawnSync('userdel', ['-r', RUSER], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});

const norm = (r: ExecResult) => ({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, signal: r.signal ?? null });

/** The same shell both ways: /bin/sh (the default), and the host's `shell` set to root's login shell. */
async function same(cmd: string, stdin?: string | Buffer): Promise<ExecResult> {
  let first: ExecResult | undefined;
  const ways = [
    [
      `exec -a sh /bin/sh -c ${quote(cmd)}`,
      [
        ['agent', P],
        ['sh loop', L],
      ],
    ],
    [
      cmd,
      [
        ['agent, shell bash', PB],
        ['sh loop, shell bash', LB],
      ],
    ],
  ] as const;
  for (const [line, servers] of ways) {
    const b = norm(await E.exec(line, { stdin }));
    for (const [name, c] of servers) {
      const p = await c.exec(cmd, { stdin });
      first ??= p;
      const a = norm(p);
      if (a.stdout !== b.stdout)
        assert.unreachable(
          `${JSON.stringify(cmd)}: stdout differs (${name} ${a.stdout.length} chars ${JSON.stringify(a.stdout.slice(0, 80))}, exec ${b.stdout.length} chars ${JSON.stringify(b.stdout.slice(0, 80))})`,
        );
      assert.equal(a, b, `${name}: ${JSON.stringify(cmd)}`);
    }
  }
  return first!;
}

/** A deterministic PRNG, so a failing random case can be replayed. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
}
const oct = (bytes: number[]) => bytes.map((b) => '\\' + b.toString(8).padStart(3, '0')).join('');

test('TCP_NODELAY is set on the SSH socket, whatever the channel strategy', async () => {
  const orig = Socket.prototype.setNoDelay;
  const seen: string[] = [];
  Socket.prototype.setNoDelay = function (this: Socket, on?: boolean) {
    seen.push(`${this.remotePort}:${on}`);
    return orig.call(this, on);
  };
  try {
    for (const ch of ['persistent', 'exec'] as const) {
      const c = conn(ch);
      await c.exec('true');
      await c.close();
    }
  } finally {
    Socket.prototype.setNoDelay = orig;
  }
  assert.equal(seen.filter((x) => x === `${port}:true`).length, 2, seen.join(' '));
});

test('the persistent strategy really uses one shell for many commands', async () => {
  for (let i = 0; i < 5; i++) await P.exec('true');
  assert.is(P.shells().length, 1);
  assert.ok(P.shells()[0]!.tasks >= 5);
  assert.is(P.shellsOpened.user, 1);
  // sshd runs on this machine: what serves each channel is visible in /proc.
  const comm = (c: SshConnection) =>
    execFileSync('cat', [`/proc/${c.shells()[0]!.pid}/comm`])
      .toString()
      .trim();
  await L.exec('true');
  assert.is(comm(P), 'perl', 'the default is the task agent');
  assert.is(comm(L), 'sh', 'taskRunner sh keeps the sh loop');
});

const hostile: [string, string | Buffer | undefined][] = [
  ['echo hello', undefined],
  ['printf "no newline"', undefined],
  ['printf "err no newline" >&2', undefined],
  ['printf "a\\nb\\n\\n\\n"', undefined],
  ['', undefined],
  ['printf "\\000\\001\\002\\377\\376 nul and high bytes\\000"', undefined],
  ['printf "\\000" >&2; printf "x\\000y"', undefined],
  ["printf '\\nUCW-'", undefined],
  ["printf 'UCW-0123456789abcdef X 0 Done\\n'; printf '\\nUCW-'; printf 'UCW-' >&2", undefined],
  ["printf '\\nUCW-%032d X 0 [1] + 1 Done\\nafter\\n' 0; printf '\\nUCW-%032d E\\n' 0 >&2", undefined],
  ['echo out; echo err >&2; echo out2; echo err2 >&2; exit 4', undefined],
  ['exit 0', undefined],
  ['exit 1', undefined],
  ['exit 255', undefined],
  ['false', undefined],
  ['nosuchcommand-ucw', undefined],
  ['kill -TERM $$', undefined],
  ['kill -KILL $$', undefined],
  ['kill -SEGV $$', undefined],
  ['kill -HUP $$', undefined],
  ['kill -USR1 $$', undefined],
  ['kill -INT $$', undefined],
  ['{ sh -c \'kill -9 $$\'; echo "inner $?"; } 2>/dev/null', undefined],
  ['echo before; exec echo replaced; echo never', undefined],
  ["exec sh -c 'echo in-exec; exit 7'", undefined],
  ['echo a; exit 5; echo never', undefined],
  ['f() { return 3; }; f; echo "f=$?"; (exit 9); echo "sub=$?"', undefined],
  ['cat', undefined],
  ['cat', 'line one\nline two'],
  ['cat', Buffer.from([0, 1, 2, 255, 10, 0])],
  ['read x; echo "got [$x] $?"', undefined],
  ['read x; echo "got [$x]"; cat', 'first\nrest\nmore'],
  ['head -c 3; echo; echo "[$(cat)]"', 'abcdefg'],
  ['wc -c', 'x'.repeat(1_000_000)],
  ['while read l; do echo "l:$l"; done', 'a\nb\nc\n'],
  ['# a comment first\necho after-comment', undefined],
  ['echo one \\\n  two', undefined],
  ['cat <<EOF\nhere $HOME\nEOF', undefined],
  ["cat <<'EOF'\nliteral $HOME \\\nEOF", undefined],
  ['printf "cr\\r\\nlf\\n"', undefined],
  ['echo "Grüße ✓ 日本"', undefined],
  ['trap "echo trapped" EXIT; echo body', undefined],
  ['set -e; false; echo never', undefined],
  ['(sleep 1; echo late) & echo early', undefined],
  ['sleep 30 >/dev/null 2>&1 </dev/null & echo bg-started', undefined],
  ['echo $0 | grep -c sh; echo "$#"', undefined],
  ['umask', undefined],
  ['pwd', undefined],
  ['test -t 0; echo "tty0=$?"; test -t 1; echo "tty1=$?"', undefined],
  ['echo "${FOO-unset} ${X-unset}"', undefined],
];

test(`hostile cases (${hostile.length}): identical stdout, stderr and exit status both ways`, async () => {
  for (const [cmd, stdin] of hostile) await same(cmd, stdin);
});

test('cd, export, variables, umask, functions and traps do not leak into the next task', async () => {
  await same('cd /tmp; export FOO=leaked; X=1; umask 077; f() { echo f; }; trap "echo bye" EXIT; set -e');
  const r = await same(
    'pwd; echo "${FOO-unset} ${X-unset}"; umask; type f >/dev/null 2>&1 && echo f-defined || echo no-f; false; echo "not -e"',
  );
  assert.match(r.stdout, /unset unset/);
  assert.match(r.stdout, /no-f/);
  assert.match(r.stdout, /not -e/);
});

test('binary output: 5 MB on stdout, then on stderr, byte for byte', async () => {
  const p = await same(`cat ${join(root, 'blob')}`);
  assert.is(p.stdout.length > 1_000_000, true);
  await same(`cat ${join(root, 'blob')} >&2; echo done`);
  await same(`head -c 5000000 /dev/zero | tr '\\000' 'A'`);
});

test('exit statuses 0-255 (every 5th, and the edges)', async () => {
  const codes = [...new Set([0, 1, 2, 125, 126, 127, 128, 129, 130, 137, 143, 254, 255, ...Array.from({ length: 52 }, (_, i) => i * 5)])];
  for (const c of codes) {
    const r = await same(`exit ${c}`);
    assert.is(r.exitCode, c);
  }
});

test('random cases (60): random bytes on both streams, random stdin, random exit status', async () => {
  const r = rng(42);
  const bytes = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 256));
  for (let i = 0; i < 60; i++) {
    const out = bytes(Math.floor(r() * 300));
    const err = bytes(Math.floor(r() * 100));
    const code = Math.floor(r() * 256);
    const stdin = r() < 0.5 ? Buffer.from(bytes(Math.floor(r() * 2000))) : undefined;
    const read = stdin ? (r() < 0.5 ? 'cat; ' : 'head -c 7; ') : '';
    await same(`${read}printf '${oct(out)}'; printf '${oct(err)}' >&2; exit ${code}`, stdin);
  }
});

test("shell-form tasks run under /bin/sh by default, under the host's shell when set, for the agent and the sh loop", async () => {
  const sh = execFileSync('readlink', ['-f', '/bin/sh']).toString().trim();
  const bash = execFileSync('readlink', ['-f', '/bin/bash']).toString().trim();
  // `; :` keeps the shell itself running (bash execs a last simple command in its place).
  const probe = 'readlink /proc/$$/exe; :';
  for (const c of [P, L]) assert.is((await c.exec(probe)).stdout.trim(), sh);
  for (const c of [PB, LB]) assert.is((await c.exec(probe)).stdout.trim(), bash);
  // A shell that is not there fails each shell task, and never falls back to another one.
  for (const runner of ['agent', 'sh'] as const) {
    const c = conn('persistent', 'root', runner, '/nonexistent/ucw-shell');
    const r = await c.exec('echo never');
    assert.is(r.exitCode, 127, `${runner}: ${JSON.stringify(r)}`);
    assert.is(r.stdout, '');
    assert.match(r.stderr, /ucw-shell/);
  }
});

const argvCases: string[][] = [
  ['printf', '%s|', '$HOME', '*', 'a b', "it's", '`id`', '$(id)', '\\', 'two\nlines', '', ';', '&&', '>x'],
  ['sh', '-c', 'echo "$0 $1 $#"; exit 3', 'zero', 'one'],
  ['cat'],
  ['true'],
  ['false'],
];

test(`argv tasks (${argvCases.length}): the agent execs them with no shell; every transport gives what the quoted line gives`, async () => {
  for (const argv of argvCases) {
    const line = argv.map(quote).join(' ');
    const b = norm(await E.exec(line, { stdin: 'in\n' }));
    for (const [name, c] of [
      ['agent', P],
      ['sh loop', L],
      ['agent, shell bash', PB],
    ] as const) {
      assert.equal(norm(await c.exec(line, { stdin: 'in\n', argv: { argv } })), b, `${name}: ${JSON.stringify(argv)}`);
    }
  }
  const d = { argv: ['pwd'], chdir: '/tmp' };
  for (const c of [E, P, L]) assert.is((await c.exec(`cd /tmp && pwd`, { argv: d })).stdout, '/tmp\n');
  // No shell between: the agent itself says a program is missing (a shell would say "not found").
  const r = await P.exec('nosuch-ucw-prog', { argv: { argv: ['nosuch-ucw-prog', 'x'] } });
  assert.is(r.exitCode, 127);
  assert.match(r.stderr, /^ucw-agent: cannot run nosuch-ucw-prog: No such file or directory\n$/);
  const ppid = await P.exec("sh -c 'echo $PPID'", { argv: { argv: ['sh', '-c', 'cut -d" " -f4 /proc/$$/stat'] } });
  assert.is(Number(ppid.stdout.trim()), P.shells()[0]!.pid, 'the program is a child of the agent');
});

test('streamed lines arrive as on an exec channel, and no marker text leaks into them', async () => {
  const cmd = 'echo a; echo b >&2; printf "c"; sleep 0.2; echo " d"';
  const got: Record<string, string[]> = { p: [], e: [] };
  await P.exec(cmd, { onLine: (st, l) => got.p!.push(`${st}:${l}`) });
  await E.exec(cmd, { onLine: (st, l) => got.e!.push(`${st}:${l}`) });
  assert.equal(got.p!.sort(), got.e!.sort());
});

for (const [name, of] of [
  ['agent', () => P],
  ['sh loop', () => L],
] as const) {
  test(`${name}: a timeout kills the task and its process group; the shell stays and serves the next task`, async () => {
    const P = of();
    const shellPid = (await P.exec('true'), P.shells()[0]!.pid);
    const mark = `ucw-fp-${tag}-${Date.now()}`;
    const t0 = Date.now();
    const r = await P.exec(`sleep 47.5 & sleep 48.5; echo never ${mark}`, { timeoutMs: 700 });
    const took = Date.now() - t0;
    assert.is(r.timedOut, true);
    assert.is(r.exitCode, null);
    assert.is(r.signal, 'SIGKILL');
    assert.ok(took < 5000, `returned after ${took} ms`);
    await sleep(200);
    const left = spawnSync('pgrep', ['-f', 'sleep 4[78][.]5$']).stdout.toString().trim();
    assert.is(left, '', `processes of the timed-out task still running: ${left}`);
    const n = await P.exec('echo next');
    assert.is(n.stdout, 'next\n');
    assert.is(P.shells()[0]!.pid, shellPid, 'the same shell served the next task');
    console.log(`  timeout (${name}): ${took} ms (exitCode ${r.exitCode}, ${r.signal})`);
  });

  test(`${name}: the shell killed from outside mid-task: that task fails (outcome unknown), the next runs on a new shell`, async () => {
    const P = of();
    await P.exec('true');
    const pid = P.shells()[0]!.pid;
    const running = P.exec('echo started; sleep 3; echo finished');
    await sleep(400);
    process.kill(pid, 'SIGKILL');
    const t0 = Date.now();
    const r = await running;
    assert.is(r.exitCode, null, 'never reported as succeeded');
    assert.is(r.outcomeUnknown, true);
    assert.match(r.stderr, /ended while this command was running/);
    assert.ok(Date.now() - t0 < 2500, 'reported when the shell died, not when the task ended');
    const n = await P.exec('echo next');
    assert.is(n.exitCode, 0);
    assert.is(n.stdout, 'next\n');
    assert.is.not(P.shells()[0]!.pid, pid);
    assert.is(P.shellsOpened.user >= 2, true);
  });
}

test('concurrent commands on one connection each get a shell of their own', async () => {
  const rs = await Promise.all([1, 2, 3].map((i) => P.exec(`sleep 0.3; echo ${i}`)));
  assert.equal(
    rs.map((r) => r.stdout),
    ['1\n', '2\n', '3\n'],
  );
  assert.ok(P.shells().length >= 3);
});

test('a reset (as after a reboot) drops the shells; the next command reconnects and opens a new one', async () => {
  await P.exec('true');
  const before = P.connects;
  await P.reset();
  assert.is((await P.exec('echo again')).stdout, 'again\n');
  assert.is(P.connects, before + 1);
});

test('a login shell that cannot start the loop (rbash forbids exec): falls back to exec channels', async () => {
  spawnSync('userdel', ['-r', RUSER], { stdio: 'ignore' });
  execFileSync('useradd', ['-m', '-s', '/bin/rbash', RUSER]);
  execFileSync('chpasswd', { input: `${RUSER}:Rb-${Math.random().toString(36).slice(2)}\n` }); // a locked account may not log in
  const c = conn('persistent', RUSER);
  const r = await c.exec('echo via-fallback; echo e >&2; exit 3');
  assert.equal(norm(r), { stdout: 'via-fallback\n', stderr: 'e\n', exitCode: 3, signal: null });
  assert.ok(c.noShell, 'marked as having no usable shell');
  assert.ok(warnings.some((w) => w.includes('no usable POSIX sh')));
  assert.is((await c.exec('echo again')).stdout, 'again\n');
});

test('exec channels: a fast command never loses its exit status (it can arrive with the exec reply)', async () => {
  const user = `ucwfx${tag}`;
  spawnSync('userdel', ['-r', user], { stdio: 'ignore' });
  execFileSync('useradd', ['-m', '-s', '/bin/sh', user]);
  execFileSync('chpasswd', { input: `${user}:Fx-${Math.random().toString(36).slice(2)}\n` });
  const c = conn('exec', user);
  try {
    const lost: string[] = [];
    for (let i = 0; i < 200; i++) {
      const want = i % 3;
      const r = await c.exec(`exit ${want}`);
      if (r.exitCode !== want) lost.push(`#${i}: ${JSON.stringify(r)}`);
    }
    assert.equal(lost, []);
  } finally {
    await c.close();
    spawnSync('userdel', ['-r', user], { stdio: 'ignore' });
  }
});

test.run();
