/**
 * The one line/stream helper every transport uses: a command's stdout and stderr arrive as chunks;
 * they are passed on raw (`onData`), as lines (`onLine`, a UTF-8 character split across chunks
 * carried over) and kept for the result.
 */
import { StringDecoder } from 'node:string_decoder';
import { BOUNDED_KEEP, FULL_OUTPUT_CAP, OutputLimitError } from './connection.ts';

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
/** A line longer than this goes out in pieces: a stream without newlines must not grow in memory. */
const MAX_LINE = 64 * 1024;

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
    while (this.#partial.length > MAX_LINE) {
      this.emit(this.#partial.slice(0, MAX_LINE));
      this.#partial = this.#partial.slice(MAX_LINE);
    }
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

/** What one stream's result keeps: everything up to a cap, or a head and a tail. */
class Kept {
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer[] = [];
  #tailBytes = 0;
  total = 0;
  overflow = false;

  constructor(
    private readonly mode: 'full' | 'bounded',
    private readonly limit: number,
  ) {}

  add(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.mode === 'full') {
      if (this.total > this.limit) this.overflow = true;
      else this.#head.push(chunk);
      return;
    }
    if (this.#headBytes < this.limit) {
      const take = chunk.subarray(0, this.limit - this.#headBytes);
      this.#head.push(take);
      this.#headBytes += take.length;
      chunk = chunk.subarray(take.length);
      if (chunk.length === 0) return;
    }
    this.#tail.push(chunk);
    this.#tailBytes += chunk.length;
    while (this.#tail.length > 1 && this.#tailBytes - this.#tail[0]!.length >= this.limit) this.#tailBytes -= this.#tail.shift()!.length;
  }

  /** Bytes left out between the head and the tail. */
  get cut(): number {
    return this.mode === 'full' ? 0 : this.total - this.#headBytes - Math.min(this.#tailBytes, this.limit);
  }

  text(): string {
    const head = Buffer.concat(this.#head).toString();
    if (this.mode === 'full' || this.#tail.length === 0) return head;
    const tail = Buffer.concat(this.#tail);
    const cut = this.cut;
    return (
      head +
      (cut > 0 ? `\n[ucw-runner: ${cut} bytes of output cut here]\n` : '') +
      tail.subarray(tail.length - Math.min(tail.length, this.limit)).toString()
    );
  }
}

export interface KeepPolicy {
  /** @default 'full' */
  keep?: 'full' | 'bounded';
  keepBytes?: number;
}

/** One command's two output streams, as they arrive: streamed on, and kept as `keep` says. */
export class Capture {
  readonly #kept: Record<StreamName, Kept>;
  readonly #decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  readonly #lines?: Record<StreamName, LineSplitter>;
  #ended = false;

  constructor(private readonly sinks: OutputSinks & KeepPolicy = {}) {
    const onLine = sinks.onLine;
    if (onLine)
      this.#lines = { stdout: new LineSplitter((l) => onLine('stdout', l)), stderr: new LineSplitter((l) => onLine('stderr', l)) };
    const mode = sinks.keep ?? 'full';
    const limit = sinks.keepBytes ?? (mode === 'full' ? FULL_OUTPUT_CAP : BOUNDED_KEEP);
    this.#kept = { stdout: new Kept(mode, limit), stderr: new Kept(mode, limit) };
  }

  push(stream: StreamName, chunk: Buffer): void {
    if (chunk.length === 0 || this.#ended) return;
    this.#kept[stream].add(chunk);
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
    return this.#kept[stream].text();
  }

  /** A `full` capture past its cap: the stream whose result would be cut. */
  overflow(): StreamName | undefined {
    return (['stdout', 'stderr'] as const).find((s) => this.#kept[s].overflow);
  }

  /** The error for a `full` capture past its cap (see `overflow`). */
  error(host: string, command: string): OutputLimitError {
    return new OutputLimitError(host, command, this.overflow() ?? 'stdout', this.sinks.keepBytes ?? FULL_OUTPUT_CAP);
  }

  /** Throws OutputLimitError when a `full` stream passed its cap. */
  check(host: string, command: string): void {
    if (this.overflow()) throw this.error(host, command);
  }

  result(): { stdout: string; stderr: string; cut?: { stdout: number; stderr: number } } {
    const cut = { stdout: this.#kept.stdout.cut, stderr: this.#kept.stderr.cut };
    return { stdout: this.text('stdout'), stderr: this.text('stderr'), ...(cut.stdout || cut.stderr ? { cut } : {}) };
  }
}
