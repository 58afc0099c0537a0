/**
 * Asking for a secret on the terminal (`--ask-become-pass`, a key passphrase): no echo, and one
 * question at a time, so fifty hosts connecting at once never interleave their prompts.
 * Without a terminal there is no one to ask: the answer is `undefined` and the caller says
 * which env var to set instead.
 */
import { registerSecret } from '../model/secrets.ts';

export interface PromptIO {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: NodeJS.WritableStream;
}

let queue: Promise<unknown> = Promise.resolve();

/** Reads one line without echoing it; registers it as a secret. */
export function askSecret(prompt: string, io: PromptIO = { input: process.stdin, output: process.stderr }): Promise<string | undefined> {
  const next = queue.then(() => readHidden(prompt, io));
  queue = next.catch(() => undefined);
  return next;
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
        if (ch === '\u0003') return done(new Error('interrupted (Ctrl-C) at a password prompt'));
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
