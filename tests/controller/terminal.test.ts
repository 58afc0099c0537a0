// The guided step on a real terminal (tmux): the question is on screen before any key is sent,
// the answer completes the step, "all" answers every host waiting on it, Ctrl-C at the question
// stops the run with exit 130 and a recap. Local-connection hosts: no lab needed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

let socket = '';
let sessions = 0;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 't');
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

async function waitFor(what: RegExp, timeoutMs = 60_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = screen();
    if (what.test(s)) return s;
    if (Date.now() > until) throw new Error(`not on screen after ${timeoutMs / 1000} s: ${what}\n${s}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function start(hosts: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ucw-view-'));
  socket = `ucw-view-test-${process.pid}-${++sessions}`;
  const inv = join(dir, 'inv.yml');
  writeFileSync(inv, `all:\n  hosts:\n${hosts.map((h) => `    ${h}: { connection: local, dir: ${dir} }\n`).join('')}`);
  const cmd = `cd ${dir} && node ${resolve('bin/run.js')} ${resolve('tests/fixtures/playbooks/guided.ts')} ${inv}; echo EXIT=$?; sleep 300`;
  tmux('new-session', '-d', '-s', 't', '-x', '160', '-y', '45', 'env', '-u', 'NO_COLOR', '-u', 'CI', 'sh', '-c', cmd);
  return dir;
}

const stop = () => {
  try {
    tmux('kill-server');
  } catch {
    /* already gone */
  }
};

test('pause: instructions and question on screen before any key; Enter completes the step', async () => {
  if (!hasTmux) return console.log('  (skipped: no tmux)');
  const dir = start(['pbx1']);
  try {
    const s = await waitFor(/Done on pbx1\?/);
    assert.match(s, /pbx1: Upload the licence/);
    assert.match(s, /Open https:\/\/pbx1\/admin\/ → Administration → Lizenz/);
    assert.match(s, /Upload the key, check the status line/);
    assert.not.ok(existsSync(join(dir, 'done-pbx1')), 'the step after the pause waits for the answer');
    tmux('send-keys', '-t', 't', 'Enter');
    const end = await waitFor(/EXIT=\d+/);
    assert.match(end, /EXIT=0/);
    assert.match(end, /PLAY RECAP/);
    assert.ok(existsSync(join(dir, 'done-pbx1')));
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pause: several hosts on the same step, "all" answers each of them', async () => {
  if (!hasTmux) return;
  const dir = start(['pbx1', 'pbx2', 'pbx3']);
  try {
    const s = await waitFor(/Done on pbx\d\?/);
    assert.match(s, /yes, on all 3 waiting: pbx1, pbx2, pbx3/);
    tmux('send-keys', '-t', 't', 'Down');
    await new Promise((r) => setTimeout(r, 300));
    tmux('send-keys', '-t', 't', 'Enter');
    const end = await waitFor(/EXIT=\d+/);
    assert.match(end, /EXIT=0/);
    for (const h of ['pbx1', 'pbx2', 'pbx3']) assert.ok(existsSync(join(dir, `done-${h}`)), h);
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pause: Ctrl-C at the question → exit 130, a recap, and how to resume', async () => {
  if (!hasTmux) return;
  const dir = start(['pbx1']);
  try {
    await waitFor(/Done on pbx1\?/);
    tmux('send-keys', '-t', 't', 'C-c');
    const end = await waitFor(/EXIT=\d+/);
    assert.match(end, /EXIT=130/);
    assert.match(end, /PLAY RECAP/);
    assert.match(end, /pbx1 +: ok=1 +changed=0 +unreachable=0 +failed=1/);
    assert.match(end, /--resume/);
    assert.not.ok(existsSync(join(dir, 'done-pbx1')));
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
