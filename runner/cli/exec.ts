/**
 * `run exec INV [options] -- CMD…`: one command on the selected hosts (Ansible's
 * `ansible HOSTS -m shell -a …`), run as a one-task playbook so it gets everything a playbook
 * gets: the connection and `become` (`-b`), the live view, host logs, the journal and the recap.
 * One word after `--` is a shell line (`-- 'df -h | tail -1'`); several are a program and its
 * arguments, each quoted as one word.
 *
 * @example
 * run exec inventory/hosts.ts --limit web -- uptime
 * run exec inventory/hosts.ts -l db1 -b -- 'systemctl status mysql | head -3'
 */
import { playbook, type Playbook } from '../model/dsl.ts';
import { UsageError } from '../model/errors.ts';
import { change, exec, type Plan } from '../model/plan.ts';
import type { ExecResult } from '../connection/connection.ts';
import { quote } from '../model/shell.ts';
import { defineModule } from '../module.ts';

interface AdhocParams {
  line: string;
}

interface AdhocResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** Pure: the command always runs (an ad-hoc command cannot know its effect), its output is the result. */
export function plan(p: AdhocParams): Plan<AdhocResult> {
  const report = (r: ExecResult) => ({
    result: { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode },
    reason: `ran: ${p.line.slice(0, 80)}`,
  });
  return change(`run ${p.line.slice(0, 80)}`, { steps: [exec(p.line, { report, keepOnFailure: true })] });
}

const adhoc = defineModule<AdhocParams, undefined, AdhocResult>({
  name: 'exec',
  checkMode: 'none',
  summary: (p) => p.line.slice(0, 60),
  plan,
});

/** The words after `--` as one remote line: one word is a shell line, several are quoted argv. */
export function commandLine(words: string[]): string {
  if (!words.length || words.every((w) => !w.trim()))
    throw new UsageError('run exec: no command after "--" (run exec INV --limit HOSTS -- CMD…)');
  return words.length === 1 ? words[0]! : words.map(quote).join(' ');
}

/**
 * `exec INV [opts] -- CMD…` → the arguments the CLI parses as for a playbook run (the inventory
 * and the options before `--`, `-b`/`--become` taken out) and the one-task playbook.
 */
export function parseExec(args: string[]): { args: string[]; playbook: Playbook } {
  const sep = args.indexOf('--');
  if (sep < 0) throw new UsageError('run exec: put the command after "--" (run exec INV --limit HOSTS -- CMD…)');
  const before = args.slice(0, sep);
  const become = before.some((a) => a === '-b' || a === '--become');
  const line = commandLine(args.slice(sep + 1));
  const pb = playbook({ name: 'exec', description: `ad-hoc: ${line.slice(0, 60)}` }, [
    adhoc({ line }, { name: line.slice(0, 80), become }),
  ]);
  return { args: before.filter((a) => a !== '-b' && a !== '--become'), playbook: pb };
}
