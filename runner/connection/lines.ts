/**
 * The one line/stream helper every transport uses: a command's stdout and stderr arrive as chunks;
 * they are passed on raw (`onData`), as lines (`onLine`, a UTF-8 character split across chunks
 * carried over) and kept for the result.
 */
import { StringDecoder } from 'node:string_decoder';

export type StreamName = 'stdout' | 'stderr';

export interface OutputSinks {
  onLine?: (stream: StreamName, line: string) => void;
  onData?: (stream: StreamName, chunk: Buffer) => void;
}

/**
 * Splits text into lines as soon as they end. `held()` says a newline was held back by a framing
 * reader (it may begin an end marker): the line before it ends there whether that newline turns
 * out to be output or the marker's, so it goes out at once, and the newline, when it does turn out
 * to be output, is not counted twice.
 */
export class LineSplitter {
  #partial = '';
  #swallow = false;
  constructor(private readonly emit: (line: string) => void) {}
  push(text: string): void {
    if (text === '') return;
    if (this.#swallow && text.startsWith('\n')) text = text.slice(1);
    this.#swallow = false;
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const p of parts) this.emit(p.replace(/\r$/, ''));
  }
  held(): void {
    if (this.#partial === '') return;
    this.emit(this.#partial.replace(/\r$/, ''));
    this.#partial = '';
    this.#swallow = true;
  }
  end(): void {
    if (this.#partial !== '') this.emit(this.#partial);
    this.#partial = '';
  }
}

/** One command's two output streams, as they arrive. */
export class Capture {
  readonly #kept: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  readonly #decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  readonly #lines?: Record<StreamName, LineSplitter>;
  #ended = false;

  constructor(private readonly sinks: OutputSinks = {}) {
    const onLine = sinks.onLine;
    if (onLine) this.#lines = { stdout: new LineSplitter((l) => onLine('stdout', l)), stderr: new LineSplitter((l) => onLine('stderr', l)) };
  }

  push(stream: StreamName, chunk: Buffer): void {
    if (chunk.length === 0 || this.#ended) return;
    this.#kept[stream].push(chunk);
    this.sinks.onData?.(stream, chunk);
    this.#lines?.[stream].push(this.#decoders[stream].write(chunk));
  }

  /** A framing reader holds back a newline on `stream`: the line before it is complete. */
  held(stream: StreamName): void {
    this.#lines?.[stream].held();
  }

  /** The streams are over: the last unfinished lines go out. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const s of ['stdout', 'stderr'] as const) {
      this.#lines?.[s].push(this.#decoders[s].end());
      this.#lines?.[s].end();
    }
  }

  text(stream: StreamName): string {
    return Buffer.concat(this.#kept[stream]).toString();
  }

  result(): { stdout: string; stderr: string } {
    return { stdout: this.text('stdout'), stderr: this.text('stderr') };
  }
}
