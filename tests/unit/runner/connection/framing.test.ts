// The persistent channel's framing, without SSH: task encoding, end markers split across chunks,
// sentinel-like text in output, lines as they end, status parsing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameReader, frameTask, parseStatus } from '../../../../runner/connection/framing.ts';
import { LineSplitter } from '../../../../runner/connection/lines.ts';

test('frameTask: header with line count, stdin length, timeout and nonce, then the lines and the raw stdin', () => {
  assert.is(frameTask('echo a\necho b', Buffer.from('in\0'), 'N1', 1500).toString(), '2 3 1.500 N1\necho a\necho b\nin\0');
  assert.is(frameTask('', Buffer.alloc(0), 'N2').toString(), '1 0 0 N2\n\n');
  assert.is(frameTask('x\n', Buffer.alloc(0), 'N3').toString(), '2 0 0 N3\nx\n\n', 'a trailing newline survives as an empty last line');
});

test('frameTask: an argv travels as chdir NUL arg NUL …, cut into lines, the header ending in " a"', () => {
  assert.is(frameTask({ argv: ['printf', '%s\n', 'a b'] }, Buffer.alloc(0), 'N4').toString(), '2 0 0 N4 a\n\0printf\0%s\n\0a b\n');
  assert.is(frameTask({ argv: ['true'], chdir: '/tmp' }, Buffer.from('x'), 'N5', 2000).toString(), '1 1 2.000 N5 a\n/tmp\0true\nx');
  assert.is(frameTask({ argv: ['echo', 'two\nlines'] }, Buffer.alloc(0), 'N6').toString(), '2 0 0 N6 a\n\0echo\0two\nlines\n');
  assert.throws(() => frameTask({ argv: ['a\0b'] }, Buffer.alloc(0), 'N7'), /NUL/);
  assert.throws(() => frameTask({ argv: [] }, Buffer.alloc(0), 'N8'), /empty/);
});

test('FrameReader: the marker split at every position; output without a trailing newline', () => {
  const marker = 'UCW-abc X ';
  const stream = Buffer.from('hello\nUCW-ab\nno newline\nUCW-abc X 0 [1] + 12 Done(3)\n');
  for (let cut = 0; cut <= stream.length; cut++) {
    for (let cut2 = cut; cut2 <= stream.length; cut2 += 7) {
      const seen: Buffer[] = [];
      const r = new FrameReader(marker, (c) => seen.push(c));
      let status: string | undefined;
      for (const part of [stream.subarray(0, cut), stream.subarray(cut, cut2), stream.subarray(cut2)]) {
        const s = r.push(part);
        if (s !== undefined) status = s;
      }
      assert.is(status, '0 [1] + 12 Done(3)', `cut at ${cut}/${cut2}`);
      assert.is(Buffer.concat(seen).toString(), 'hello\nUCW-ab\nno newline');
    }
  }
});

test('FrameReader: streams what cannot be a marker at once', () => {
  const seen: string[] = [];
  const r = new FrameReader('UCW-abc X ', (c) => seen.push(c.toString()));
  r.push(Buffer.from('line one\nline two'));
  assert.equal(seen, ['line one\nline two']);
  r.push(Buffer.from('\nUC'));
  assert.equal(seen, ['line one\nline two'], 'a possible marker start is held back');
  r.push(Buffer.from('X more\n'));
  assert.equal(seen.join(''), 'line one\nline two\nUCX more', 'a final newline waits: it may begin the marker');
  assert.is(r.push(Buffer.from('\nUCW-abc X 0 x 0\n')), '0 x 0');
  assert.is(seen.join(''), 'line one\nline two\nUCX more\n');
});

test('lines go out as soon as they end, even while their newline is held back; none twice or lost', () => {
  const cases: [string[], string[]][] = [
    [['0\n', '\nUCW-abc X 0 x 0\n'], ['0']],
    [['0', '\nUCW-abc X 0 x 0\n'], ['0']],
    [
      ['a\n', 'b\n\n', '\nUCW-abc X 0 x 0\n'],
      ['a', 'b', ''],
    ],
    [
      ['\n\n', '\nUCW-abc X 0 x 0\n'],
      ['', ''],
    ],
    [
      ['a\n', 'bc', '\n', 'd\nUCW-abc X 0 x 0\n'],
      ['a', 'bc', 'd'],
    ],
  ];
  for (const [chunks, want] of cases) {
    const got: string[] = [];
    const lines = new LineSplitter((l) => got.push(l));
    const r = new FrameReader(
      'UCW-abc X ',
      (c) => lines.push(c.toString()),
      () => lines.held(),
    );
    let early = -1;
    chunks.forEach((c, i) => {
      r.push(Buffer.from(c));
      if (i === 0) early = got.length;
    });
    lines.end();
    assert.equal(got, want, JSON.stringify(chunks));
    if (chunks[0]!.endsWith('\n') && chunks[0] !== '\n\n')
      assert.ok(early >= 1, `the first line went out with the first chunk: ${JSON.stringify(chunks)}`);
  }
});

test('parseStatus: dash and bash job lines, wait statuses, signals', () => {
  assert.equal(parseStatus('[1] + 1234 Done'), { exitCode: 0 });
  assert.equal(parseStatus('[3] - 1234 Done(137)        '), { exitCode: 137 });
  assert.equal(parseStatus('[1]+ 1234 Exit 3     sh -c x'), { exitCode: 3 });
  assert.equal(parseStatus('[1] + 1234 Killed'), { exitCode: null, signal: 'SIGKILL' });
  assert.equal(parseStatus('[1] + 1234 Segmentation fault (core dumped)'), { exitCode: null, signal: 'SIGSEGV' });
  assert.equal(parseStatus('[1] + 1234 Terminated'), { exitCode: null, signal: 'SIGTERM' });
  assert.equal(parseStatus('[1] + 1234 User defined signal 1'), { exitCode: null, signal: 'SIGUSR1' });
  assert.equal(parseStatus('x 42'), { exitCode: 42 });
  assert.equal(parseStatus('s 9'), { exitCode: null, signal: 'SIGKILL' });
  assert.equal(parseStatus('s 6'), { exitCode: null, signal: 'SIGABRT' });
});

test.run();
