// Throwaway local accounts for the attack tests (this machine's, for the loopback sshd). A run that
// was killed half-way leaves its attacker logged in with processes that keep squatting on shared
// paths (a leftover attacker once held /var/tmp/ucw-runner and hung a later run), so every test
// first removes what any earlier run left, then cleans up after itself, processes first.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The prefixes the attack tests name their accounts with (followed by the test's pid % 10000). */
const PREFIXES = ['ucwat', 'ucwdl'];

/** Kills every process of `name` and removes the account with its home. */
export function removeLocalUser(name: string): void {
  spawnSync('pkill', ['-KILL', '-u', name], { stdio: 'ignore' });
  spawnSync('userdel', ['-r', '-f', name], { stdio: 'ignore' });
}

/** Every account an earlier attack test left behind (a test killed before its `after`). */
export function removeStaleTestUsers(): void {
  const re = new RegExp(`^(${PREFIXES.join('|')})\\d+$`);
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const name = line.split(':')[0]!;
    if (re.test(name)) removeLocalUser(name);
  }
}

/** A fresh account with a home and a random password (a locked one may not log in by key without PAM). */
export function createLocalUser(name: string): void {
  removeLocalUser(name);
  execFileSync('useradd', ['-m', '-s', '/bin/sh', name]);
  execFileSync('chpasswd', { input: `${name}:Pw-${Math.random().toString(36).slice(2)}\n` });
}
