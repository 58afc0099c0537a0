/**
 * The plain terminal's prompter (no live view: `-k`/`-K` before a run, `--plain`, NO_COLOR):
 * the full question is written first, keys typed before it showed are thrown away, then one
 * answer is read — a choice by its first letter or number (Enter: the first), or a secret without
 * echo. Ctrl-C at a prompt throws PromptInterrupted. Without a terminal there is no one to ask.
 */
import { createInterface } from 'node:readline';
import { registerSecret } from '../model/secrets.ts';
import { PromptInterrupted, prompter, setPrompter, type Choice, type Prompter } from '../model/prompt.ts';

export interface PromptIO {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: NodeJS.WritableStream;
}

const stdio = (): PromptIO => ({ input: process.stdin, output: process.stderr });

export function plainPrompter(io: PromptIO = stdio()): Prompter {
  return {
    interactive: () => !!io.input.isTTY && !!io.input.setRawMode && !process.env.CI,
    select: async (q) => {
      if (!io.input.isTTY) return undefined;
      await discardTypeAhead(io);
      return readChoice(io, `${q.message}\n${q.choices.map((c, i) => `  ${i + 1}) ${c.message}`).join('\n')}\n> `, q.choices, q.timeoutMs);
    },
    secret: async (q) => {
      await discardTypeAhead(io);
      return readHidden(q.message, io);
    },
  };
}

/**
 * `-k`/`-K`/a key passphrase: through the installed prompter (the plain one until a view
 * installs its own), or on `io` (tests), one question at a time either way.
 */
export function askSecret(prompt: string, io?: PromptIO): Promise<string | undefined> {
  if (!io) return prompter().secret({ message: prompt });
  const next = ioQueue.then(() => plainPrompter(io).secret({ message: prompt }));
  ioQueue = next.catch(() => undefined);
  return next;
}
let ioQueue: Promise<unknown> = Promise.resolve();

/** Installs the plain prompter unless a view has installed one. */
export const usePlainPrompter = (): Prompter => setPrompter(plainPrompter());

/** Keys pressed before a question was on screen must not answer it. */
export async function discardTypeAhead(io: PromptIO = stdio()): Promise<void> {
  const { input } = io;
  if (!input.isTTY || !input.setRawMode) return;
  const drop = () => undefined;
  input.setRawMode(true);
  input.on('data', drop);
  input.resume();
  await new Promise((r) => setTimeout(r, 60));
  input.removeListener('data', drop);
  input.pause();
  input.setRawMode(false);
}

export function pickChoice(answer: string, choices: Choice[]): string | undefined {
  const a = answer.trim().toLowerCase();
  if (a === '') return choices[0]?.name;
  const n = Number(a);
  if (Number.isInteger(n) && n >= 1 && n <= choices.length) return choices[n - 1]!.name;
  return choices.find((c) => c.name.toLowerCase().startsWith(a) || c.message.toLowerCase().startsWith(a))?.name;
}

function readChoice(io: PromptIO, text: string, choices: Choice[], timeoutMs?: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: io.input, output: io.output, terminal: true });
    const t = timeoutMs ? setTimeout(() => (rl.close(), resolve(undefined)), timeoutMs) : undefined;
    const end = () => (t && clearTimeout(t), rl.close());
    rl.on('SIGINT', () => (end(), io.output.write('\n'), reject(new PromptInterrupted(text.split('\n')[0]!.trim()))));
    const ask = (q: string) =>
      rl.question(q, (a) => {
        const picked = pickChoice(a, choices);
        if (picked === undefined) return ask(`"${a.trim()}" is none of 1–${choices.length}; > `);
        end();
        resolve(picked);
      });
    ask(text);
  });
}

function readHidden(prompt: string, io: PromptIO): Promise<string | undefined> {
  const { input, output } = io;
  if (!input.isTTY || !input.setRawMode) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let value = '';
    // Echo off before the prompt shows: a fast typist (or a script) must not see the answer echoed.
    input.setRawMode!(true);
    output.write(prompt);
    input.resume();
    const done = (err?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode!(false);
      input.pause();
      output.write('\n');
      if (err) return reject(err);
      registerSecret(value);
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new PromptInterrupted(prompt.trim()));
        if (ch === '\u0004') {
          if (value === '') return done(new Error('no input (Ctrl-D) at a password prompt'));
          return done();
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}
