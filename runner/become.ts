/**
 * Privilege escalation for `become` tasks. The command runs as `sudo … sh -c '<line>'`, so
 * the whole line (pipes, redirections) runs as root, and nothing secret is on the line.
 */
import { quote } from './shell.ts';

/** `sudo -n`: never prompts; a password-requiring sudo fails at once with a clear message. */
export function becomeLine(line: string, loginUser: string): string {
  if (loginUser === 'root') return line;
  return `sudo -n -H -- sh -c ${quote(line)}`;
}

/** sudo's own words when it wanted a password that `-n` forbids. */
export const SUDO_NEEDS_PASSWORD = /sudo: (a password is required|a terminal is required)/;
