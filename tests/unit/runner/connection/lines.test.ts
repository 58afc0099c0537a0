// The one line/stream helper (runner/connection/lines.ts): lines across chunks and split UTF-8,
// what a result keeps (full up to a cap, or a bounded head and tail), and a real local process
// printing far more than a bounded result keeps (issue 14 item 8, the connection side).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Capture, LineSplitter } from '../../../../runner/connection/lines.ts';
import { LocalConnection } from '../../../../runner/connection/local.ts';
import { OutputLimitError } from '../../../../runner/connection/connection.ts';

const feed = (c: Capture, stream: 'stdout' | 'stderr', parts: (string | Buffer)[]) => parts.forEach((p) => c.push(stream, Buffer.from(p)));

test('lines: split across chunks, CRLF, a UTF-8 character split between chunks, the last line without newline', () => {
  const lines: string[] = [];
  const c = new Capture({ onLine: (s, l) => lines.push(`${s}:${l}`) });
  const umlaut = Buffer.from('Größe\n');
  feed(c, 'stdout', ['a\r\nb', 'c\n', umlaut.subarray(0, 3), umlaut.subarray(3), 'tail']);
  feed(c, 'stderr', ['e1\n']);
  c.end();
  assert.equal(lines, ['stdout:a', 'stdout:bc', 'stdout:Größe', 'stderr:e1', 'stdout:tail']);
  assert.equal(c.result(), { stdout: 'a\r\nbc\nGröße\ntail', stderr: 'e1\n' });
});

test('a line without newline longer than 64 KiB goes out in pieces instead of growing', () => {
  const got: number[] = [];
  const l = new LineSplitter((s) => got.push(s.length));
  for (let i = 0; i < 10; i++) l.push('x'.repeat(20_000));
  l.end();
  assert.equal(got, [65536, 65536, 65536, 3392]);
});

const cases: {
  name: string;
  keep: 'full' | 'bounded';
  keepBytes: number;
  chunks: string[];
  stdout?: string;
  cut?: number;
  overflow?: boolean;
}[] = [
  { name: 'full, under the cap', keep: 'full', keepBytes: 10, chunks: ['12345', '67890'], stdout: '1234567890' },
  { name: 'full, past the cap', keep: 'full', keepBytes: 10, chunks: ['12345', '678901'], overflow: true },
  { name: 'bounded, nothing to cut', keep: 'bounded', keepBytes: 4, chunks: ['abc', 'defgh'], stdout: 'abcdefgh' },
  {
    name: 'bounded, head and tail kept',
    keep: 'bounded',
    keepBytes: 4,
    chunks: ['abcdef', 'ghij', 'klmnop'],
    stdout: 'abcd\n[ucw-runner: 8 bytes of output cut here]\nmnop',
    cut: 8,
  },
  {
    name: 'bounded, many small chunks',
    keep: 'bounded',
    keepBytes: 3,
    chunks: 'abcdefghijkl'.split(''),
    stdout: 'abc\n[ucw-runner: 6 bytes of output cut here]\njkl',
    cut: 6,
  },
];
for (const k of cases) {
  test(`keep: ${k.name}`, () => {
    const streamed: string[] = [];
    const c = new Capture({ keep: k.keep, keepBytes: k.keepBytes, onData: (_s, d) => streamed.push(d.toString()) });
    feed(c, 'stdout', k.chunks);
    c.end();
    assert.is(streamed.join(''), k.chunks.join(''), 'everything streams, whatever is kept');
    if (k.overflow) {
      assert.is(c.overflow(), 'stdout');
      assert.throws(
        () => c.check('pbx1', 'dpkg-query -W'),
        (e: unknown) => e instanceof OutputLimitError && /pbx1: the stdout of `dpkg-query -W` passed 10 bytes/.test((e as Error).message),
      );
      return;
    }
    assert.is(c.overflow(), undefined);
    const r = c.result();
    assert.is(r.stdout, k.stdout);
    assert.equal(r.cut, k.cut === undefined ? undefined : { stdout: k.cut, stderr: 0 });
  });
}

test('a real process printing 40 MB: a bounded result keeps 128 KiB and says what it cut; a full one past its cap fails', async () => {
  const local = new LocalConnection('controller');
  let streamed = 0;
  const cmd = "head -c 40000000 /dev/zero | tr '\\0' a; echo; echo end";
  const r = await local.exec(cmd, { keep: 'bounded', onData: (_s, d) => (streamed += d.length) });
  assert.is(r.exitCode, 0);
  assert.is(streamed, 40_000_000 + 5);
  assert.ok(r.stdout.length < 140_000, `kept ${r.stdout.length}`);
  assert.ok(r.stdout.endsWith('a\nend\n'));
  assert.is(r.cut!.stdout, 40_000_005 - 2 * 65536);
  const e = await local.exec(cmd, { keepBytes: 1_000_000 }).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.instance(e, OutputLimitError);
  assert.match((e as Error).message, /^controller: the stdout of `head -c 40000000/);
});

test.run();
