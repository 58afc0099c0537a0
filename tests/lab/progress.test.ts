// Progress on a real terminal, read from the tmux screen (not from events): with lab3's dpkg
// slowed (preinst-delay, postinst-delay), the host's row shows dpkg's per-package status and a percentage that
// rises over several captures to 100. lab3 is recreated afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureLab, sleep } from '../../lab/testkit.ts';
import { reset, set } from '../../lab/lab.ts';

const SOCKET = `ucw-progress-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

test.before(async () => {
  mkdirSync('logs', { recursive: true });
  await ensureLab(3);
  await reset(['lab3']); // 4.5.0.9, so there is something to upgrade
  // both dpkg phases of ucware-core last a while, so the screen is caught in each
  set('lab3', 'preinst-delay', '5');
  set('lab3', 'postinst-delay', '5');
});
test.after(async () => {
  try {
    tmux('kill-server');
  } catch {
    /* gone */
  }
  set('lab3', 'preinst-delay', 'off');
  set('lab3', 'postinst-delay', 'off');
  await reset(['lab3']);
});

test("the row shows dpkg's status per package and a percentage rising to 100", async () => {
  const cmd = `cd ${resolve('.')} && node bin/run.js tests/fixtures/playbooks/aptOnly.ts inventory/lab.ts --limit lab3; echo EXIT=$?; sleep 300`;
  tmux('new-session', '-d', '-s', 't', '-x', '160', '-y', '45', 'env', '-u', 'NO_COLOR', '-u', 'CI', 'sh', '-c', cmd);
  const seen: { percent: number; line: string }[] = [];
  const until = Date.now() + 300_000;
  let screen = '';
  while (Date.now() < until) {
    screen = tmux('capture-pane', '-p', '-t', 't');
    for (const line of screen.split('\n')) {
      const m = /\] +(\d+)% (.*)$/.exec(line);
      if (m && seen.at(-1)?.line !== line.trim()) {
        seen.push({ percent: Number(m[1]), line: line.trim() });
        // kept (with colours) for a look, and for the README's screenshot
        if (/Configuring ucware-core/.test(line)) writeFileSync('logs/progress-screen.ans', tmux('capture-pane', '-e', '-p', '-t', 't'));
      }
    }
    if (/EXIT=\d+/.test(screen)) break;
    await sleep(200);
  }
  writeFileSync('logs/progress-captures.txt', seen.map((x) => x.line).join('\n') + '\n');
  assert.match(screen, /EXIT=0/, screen);
  const percents = seen.map((s) => s.percent);
  assert.ok(seen.length >= 3, `several captures with a bar: ${JSON.stringify(seen)}`);
  assert.ok(
    seen.some((s) => /(Unpacking|Configuring|Installing|Preparing).*ucware-core/.test(s.line)),
    `dpkg's status per package: ${JSON.stringify(seen)}`,
  );
  assert.ok(
    percents.every((p, i) => i === 0 || p >= percents[i - 1]! || /download/.test(seen[i - 1]!.line)),
    `rising: ${percents}`,
  );
  assert.ok(new Set(percents).size >= 3, `several values: ${percents}`);
  // dpkg's own reports climb past half (the last capture may be the bar left full when apt succeeded)
  assert.ok(
    seen.some((s) => s.percent >= 50 && s.percent < 100 && /ucware/.test(s.line) && !/download/.test(s.line)),
    `dpkg past half: ${JSON.stringify(seen)}`,
  );
  assert.is(Math.max(...percents), 100, `reaches 100: ${percents}`);
});

test.run();
