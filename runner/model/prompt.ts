/**
 * Asking the operator: the one question-and-answer path every prompt takes (a `pause`, a key
 * passphrase, `-k`/`-K`). Whoever owns the terminal (the listr view, or the plain prompter in
 * cli/prompt.ts) installs the `Prompter`; a module only calls `prompter()`. Only one question is
 * on screen at a time, so hosts in parallel never interleave their prompts.
 */
import { RunnerError } from './errors.ts';

export interface Choice {
  /** What the caller gets back. */
  name: string;
  /** What the operator reads. */
  message: string;
}

export interface Question {
  /** The host the question is about; the view asks on that host's row. */
  host?: string;
  /** The full text shown before the answer is read (several lines are fine). */
  message: string;
}

export interface Prompter {
  /** Is there a person at a terminal to answer? */
  interactive(): boolean;
  /** One of `choices` (the first is the default), or undefined after `timeoutMs`. */
  select(q: Question & { choices: Choice[]; timeoutMs?: number }): Promise<string | undefined>;
  /** A line typed without echo, or undefined without a terminal. */
  secret(q: Question): Promise<string | undefined>;
}

/** The operator pressed Ctrl-C at a prompt: the run stops as on any Ctrl-C. */
export class PromptInterrupted extends RunnerError {
  constructor(what: string) {
    super(`interrupted (Ctrl-C) at the prompt: ${what}`);
  }
}

const nobody: Prompter = {
  interactive: () => false,
  select: async () => undefined,
  secret: async () => undefined,
};

let current: Prompter = nobody;
let queue: Promise<unknown> = Promise.resolve();
let interrupted = false;
const interruptListeners: (() => void)[] = [];

/** Called once when the operator presses Ctrl-C at a prompt (the CLI stops the run then). */
export function onPromptInterrupted(fn: () => void): void {
  interruptListeners.push(fn);
}

/** Installs the terminal's prompter (returns the previous one). */
export function setPrompter(p: Prompter): Prompter {
  const prev = current;
  current = p;
  return prev;
}

/** A question as callers ask it: the choices are read when its turn comes (who is waiting by then), and `skip` may answer it first. */
export interface QueuedSelect extends Question {
  choices: Choice[] | (() => Choice[]);
  /** True when the question no longer needs asking (it is then answered "skipped"). */
  skip?: () => boolean;
  timeoutMs?: number;
}

export interface Asker {
  interactive(): boolean;
  select(q: QueuedSelect): Promise<string | undefined>;
  secret(q: Question): Promise<string | undefined>;
}

/**
 * The installed prompter, each question queued behind the one on screen. After Ctrl-C at a
 * prompt, every further question fails at once.
 */
export function prompter(): Asker {
  const p = current;
  const serial = <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(async () => {
      if (interrupted) throw new PromptInterrupted(what);
      try {
        return await fn();
      } catch (e) {
        if (e instanceof PromptInterrupted && !interrupted) {
          interrupted = true;
          for (const fn of interruptListeners) fn();
        }
        throw e;
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    interactive: () => p.interactive(),
    select: (q) =>
      serial(firstLine(q.message), async () => {
        if (q.skip?.()) return 'skipped';
        return p.select({ ...q, choices: typeof q.choices === 'function' ? q.choices() : q.choices });
      }),
    secret: (q) => serial(firstLine(q.message), () => p.secret(q)),
  };
}

const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';
