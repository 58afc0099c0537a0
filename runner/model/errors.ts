/**
 * The error tree. Every error names where it happened (host, task, file, field) and keeps
 * the underlying error as `cause`, so a 2 a.m. reader knows what broke without a debugger.
 */

export class RunnerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface CommandFailure {
  host: string;
  task: string;
  module: string;
  /** The command as shown to the user (secrets never appear in it). */
  command: string;
  exitCode: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const ERROR_LINE = /(fail|error|denied|not found|could not|unable|refused|fatal|E:)/i;

/** The last lines of output, preferring those that look like errors (zx's formatErrorDetails). */
export function tail(text: string, lim = 20): string[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length <= lim) return lines;
  const errs = lines.filter((l) => ERROR_LINE.test(l));
  if (errs.length > 0 && errs.length <= lim) return errs;
  return lines.slice(-lim);
}

export function formatCommandFailure(f: CommandFailure): string {
  const how = f.signal ? `killed by ${f.signal}` : `exit code ${f.exitCode}`;
  const out = [`${f.module} failed on ${f.host} (task "${f.task}"): ${how}`, `  $ ${f.command}`];
  const err = tail(f.stderr);
  const src = err.length > 0 ? { name: 'stderr', lines: err } : { name: 'stdout', lines: tail(f.stdout) };
  if (src.lines.length > 0) {
    out.push(`  ${src.name}:`);
    for (const l of src.lines) out.push(`    ${l}`);
  }
  return out.join('\n');
}

/** A remote or local command exited with a status the task did not accept. */
export class CommandError extends RunnerError {
  constructor(
    readonly failure: CommandFailure,
    options?: ErrorOptions,
  ) {
    super(formatCommandFailure(failure), options);
  }
}

/** The host could not be reached or the link broke: counted as `unreachable`, not `failed`. */
export class UnreachableError extends RunnerError {
  constructor(
    readonly host: string,
    readonly address: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${host} (${address}) unreachable: ${message}`, options);
  }
}

/** Bad module parameters, found before anything runs. */
export class ParamError extends RunnerError {}

/** A bad inventory: names the file, and the host and field where it can. */
export class InventoryError extends RunnerError {
  constructor(
    readonly file: string,
    message: string,
    readonly where: { host?: string; group?: string; field?: string } = {},
  ) {
    const at = [where.group && `group "${where.group}"`, where.host && `host "${where.host}"`, where.field && `field "${where.field}"`]
      .filter(Boolean)
      .join(', ');
    super(`${file}: ${at ? at + ': ' : ''}${message}`);
  }
}

/** A bad playbook or command line (unknown tag syntax, limit matching nothing, invalid serial…). */
export class UsageError extends RunnerError {}

/** Something waited too long: says what for, and the last error seen while waiting. */
export class TimeoutError extends RunnerError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastError?: unknown,
  ) {
    const last = lastError instanceof Error ? lastError.message : lastError ? String(lastError) : undefined;
    super(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? `; last error: ${last}` : ''}`, {
      cause: lastError,
    });
  }
}

/** Failed on purpose by a `failedWhen`, an assertion, or a module's own check. */
export class TaskFailed extends RunnerError {}
