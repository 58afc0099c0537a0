/**
 * Run a command on the host. Not idempotent by itself: it always reports `changed`, unless
 * `creates` / `removes` say it has nothing to do (Ansible's semantics). Check mode: skipped,
 * unless `creates`/`removes` decide it.
 *
 * @example
 * command({ argv: ['systemctl', 'restart', 'asterisk'] }, { name: 'restart Asterisk', become: true })
 * shell({ cmd: 'dpkg-query -W ucware | cut -f2' }, { id: 'ucwareVersion', changedWhen: () => false })
 */
import { defineModule, change, exec, noop, type ExecResult, type Plan, quote, ParamError } from '../runner/module.ts';
import { parseStat, statCommand } from './facts/files.ts';

export interface CommandParams {
  /**
   * A shell line, run by `/bin/sh -c` (or the host's `shell` setting; pipes, redirections
   * allowed), as Ansible's `shell` module. Exactly one of `cmd` / `argv`.
   */
  cmd?: string;
  /**
   * Program and arguments, run with no shell at all (as Ansible's `command` module): the task
   * agent execs them directly; elsewhere (exec channels, the sh loop) they travel as a line with
   * each word quoted. Safe for values from inventory vars.
   */
  argv?: string[];
  /** Skip when this path exists. */
  creates?: string;
  /** Skip when this path does not exist. */
  removes?: string;
  /** Run in this directory. */
  chdir?: string;
  /** Text for the command's stdin (secrets belong here, never in argv). */
  stdin?: string;
  /** Exit codes that count as success. @default [0] */
  okExitCodes?: number[];
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

interface Facts {
  creates?: boolean;
  removes?: boolean;
}

const lineOf = (p: CommandParams) => {
  const base = p.argv ? p.argv.map(quote).join(' ') : p.cmd!;
  return p.chdir ? `cd ${quote(p.chdir)} && ${base}` : base;
};

export const command = defineModule<CommandParams, Facts, CommandResult>({
  name: 'command',
  checkMode: 'none',
  summary: (p) => (p.argv ? p.argv.join(' ') : p.cmd!).slice(0, 60),
  validate: (p) => {
    if ((p.cmd === undefined) === (p.argv === undefined)) throw new ParamError('command: give exactly one of "cmd" or "argv"');
    if (p.argv && p.argv.length === 0) throw new ParamError('command: "argv" is empty');
    if (p.argv?.some((a) => a.includes('\0')))
      throw new ParamError('command: an "argv" word holds a NUL byte, which no program can be given');
  },
  facts: async (ctx, p) => {
    const f: Facts = {};
    if (p.creates) f.creates = parseStat((await ctx.run(statCommand(p.creates), { quiet: true })).stdout).exists;
    if (p.removes) f.removes = parseStat((await ctx.run(statCommand(p.removes), { quiet: true })).stdout).exists;
    return f;
  },
  plan,
});

/** Pure: whether the command has to run. */
export function plan(p: CommandParams, f: Facts): Plan<CommandResult> {
  if (p.creates && f.creates) return noop(`${p.creates} exists`);
  if (p.removes && f.removes === false) return noop(`${p.removes} does not exist`);
  const line = lineOf(p);
  // the output is the result even when the exit code fails the task: failedWhen and until read it
  const report = (r: ExecResult) => ({
    result: { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode },
    reason: `ran: ${line.slice(0, 80)}`,
  });
  // The result keeps a head and a tail of what it printed (a task may print gigabytes); the host log has all of it.
  const argv = p.argv ? { argv: { argv: p.argv, ...(p.chdir !== undefined && { chdir: p.chdir }) } } : {};
  return change(`run ${line.slice(0, 80)}`, {
    steps: [exec(line, { ...argv, stdin: p.stdin, okExitCodes: p.okExitCodes, report, keepOnFailure: true, keep: 'bounded' })],
  });
}

/** `shell({ cmd })`: the same module, named for readers who think in Ansible terms. */
export const shell = command;
