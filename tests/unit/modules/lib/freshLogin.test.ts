// The decision after an apt run that moved OpenSSH: prove a fresh login, else restart ssh over
// the old connection and prove again (modules/lib/freshLogin.ts). The lab run is
// tests/faults/systemd.test.ts ("restarts deferred").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureFreshLogin, freshLoginReport, movesOpenssh, RESTART_SSH } from '../../../../modules/lib/freshLogin.ts';
import type { ExecResult } from '../../../../runner/module.ts';

const move = (name: string) => ({ name, from: '1', to: '2', action: 'upgrade' as const });

test('movesOpenssh: any binary of the openssh source, with or without an arch', () => {
  for (const [names, want] of [
    [['openssh-server'], true],
    [['libc6', 'openssh-sftp-server'], true],
    [['openssh-client:amd64'], true],
    [['nginx', 'libssh-4', 'openssh-known-hosts'], false],
    [[], false],
  ] as const)
    assert.is(movesOpenssh(names.map(move)), want, names.join(','));
});

test('freshLoginReport: works / works after the restart / still fails with both errors', () => {
  assert.equal(freshLoginReport(undefined), { ok: true, restarted: false, message: 'openssh-server moved; a fresh login works' });
  assert.equal(freshLoginReport('ECONNRESET'), {
    ok: true,
    restarted: true,
    message: 'openssh-server moved; new logins failed (ECONNRESET); restarted ssh over the existing connection; a fresh login works now',
  });
  const bad = freshLoginReport('ECONNRESET', 'timed out');
  assert.is(bad.ok, false);
  assert.match(bad.message, /new logins failed \(ECONNRESET\).*still fails \(timed out\)/);
});

/** A scripted context: the proofs' outcomes in order, the commands run over the old connection. */
function ctx(proofs: (string | undefined)[], restartExit = 0) {
  const ran: string[] = [];
  let proved = 0;
  return {
    ran,
    proved: () => proved,
    c: {
      output: () => {},
      proveFreshLogin: async () => {
        const e = proofs[Math.min(proved++, proofs.length - 1)];
        if (e !== undefined) throw new Error(e);
      },
      run: async (cmd: string) => {
        ran.push(cmd);
        return {
          stdout: '',
          stderr: restartExit ? 'Failed to restart ssh.service' : '',
          exitCode: restartExit,
          durationMs: 1,
        } as ExecResult;
      },
    },
  };
}

test('ensureFreshLogin: a login that works restarts nothing', async () => {
  const t = ctx([undefined]);
  assert.equal(await ensureFreshLogin(t.c), freshLoginReport(undefined));
  assert.equal(t.ran, []);
});

test('ensureFreshLogin: fails, restart over the old connection, proves again until it works', async () => {
  const t = ctx(['reset', 'reset', undefined]);
  const r = await ensureFreshLogin(t.c, { everyMs: 1 });
  assert.equal(r, freshLoginReport('reset'));
  assert.equal(t.ran, [RESTART_SSH]);
  assert.is(t.proved(), 3);
});

test('ensureFreshLogin: still failing after the wait fails with both errors; a failed restart is the second error', async () => {
  const t = ctx(['reset', 'refused']);
  const r = await ensureFreshLogin(t.c, { waitMs: 20, everyMs: 5 });
  assert.is(r.ok, false);
  assert.match(r.message, /failed \(reset\).*still fails \(refused\)/);
  const u = ctx(['reset'], 1);
  const s = await ensureFreshLogin(u.c);
  assert.is(s.ok, false);
  assert.match(s.message, /still fails \(.*exited 1: Failed to restart ssh.service\)/);
  assert.is(u.proved(), 1);
});

test.run();
