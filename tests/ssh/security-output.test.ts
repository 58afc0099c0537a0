// Attacks on what the runner writes (issue 14, items 3, 5, 10, 11), against a real sshd on
// loopback: a task echoes secrets of awkward shapes, a fetched file carries a marker, copy
// writes a licence, httpCheck sends a secret header from the host. Every file the run wrote
// (host log, journal, notes, run.json, --json) is searched for each secret in every form a
// writer could encode it in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLoopbackInventory, makeClientKey, startSshd, portBase, type TestSshd } from '../support/sshd.ts';
import { runPlaybook, type RunOptions } from '../../runner/cli/run.ts';
import { playbook, type Item } from '../../runner/model/dsl.ts';
import { defineModule, noop, registerSecret } from '../../runner/module.ts';
import { command, copy, fetchFile } from '../../modules/index.ts';

const root = mkdtempSync(join(tmpdir(), 'ucw-secout-'));
const port = portBase() + 4;
const ADDRESS = '127.0.0.114';
const key = makeClientKey();
let server: TestSshd;
const inventory = join(root, 'inv.yml');
const logsDir = join(root, 'logs');

const BECOME = 'Pa"ss\\wordXYZ';
const SECRETS = {
  quoteBackslash: BECOME,
  newline: 'first-line-s3cr\nsecond-line-s3cr',
  control: 'tab\there\u0001bell\u0007s3',
  nonAscii: 'pässwörd-ünïcødé-€',
  short: 'abc123q',
  long: 'abc123q-and-its-longer-tail',
};

/** Every form a writer could put a secret in: raw, JSON-escaped, JSON with \u escapes, each line. */
function forms(s: string): string[] {
  const json = JSON.stringify(s).slice(1, -1);
  const ascii = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return [...new Set([s, json, ascii, ...s.split('\n').filter((l) => l.length >= 6)])];
}

test.before(async () => {
  server = await startSshd({ name: 'sec', address: ADDRESS, port, client: key });
  process.env.UCW_SEC_BECOME = BECOME;
  writeLoopbackInventory(inventory, {
    key,
    knownHosts: join(root, 'known_hosts'),
    hosts: [`sec: { address: ${ADDRESS}, port: ${port}, becomePasswordEnv: UCW_SEC_BECOME }`],
  });
});

test.after(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
async function run(items: Item[], extra: Partial<RunOptions> = {}) {
  const id = n++;
  const g = globalThis as unknown as { __ucwSecPlaybooks?: unknown[] };
  (g.__ucwSecPlaybooks ??= [])[id] = playbook({ name: `secout-${id}` }, items);
  const file = join(root, `pb-${id}.ts`);
  writeFileSync(file, `export default (globalThis as any).__ucwSecPlaybooks[${id}];\n`);
  const lines: string[] = [];
  const json = join(root, `events-${id}.jsonl`);
  const res = await runPlaybook({ playbook: file, inventory, logsDir, view: 'plain', write: (l) => lines.push(l), json, ...extra });
  const files = [json, ...readdirSync(res.logDir).map((f) => join(res.logDir, f))];
  const written = Object.fromEntries(files.map((f) => [f.slice(root.length + 1), readFileSync(f, 'utf8')]));
  return { ...res, out: lines.join('\n'), written };
}

/** `where` of each form of `secret` found in the written files or the terminal. */
function leaks(r: { written: Record<string, string>; out: string }, secret: string): string[] {
  const found: string[] = [];
  for (const [file, text] of Object.entries({ ...r.written, terminal: r.out })) {
    for (const f of forms(secret)) if (text.includes(f)) found.push(`${file}: ${JSON.stringify(f)}`);
  }
  return found;
}

const notes = defineModule<{ value: unknown }, undefined>({
  name: 'noteIt',
  plan: () => noop('noted'),
  apply: undefined,
  facts: async (ctx, p) => {
    ctx.journal.note('saved', p.value);
    ctx.output(`saved ${JSON.stringify(p.value)}`);
    return undefined;
  },
});

test('item 5: secrets with quotes, backslashes, newlines, control and non-ASCII characters, and one inside another, are masked in every file', async () => {
  registerSecret(SECRETS.short); // the shorter one first: masking it must not leave the longer one's tail
  for (const s of Object.values(SECRETS)) registerSecret(s);
  const all = Object.values(SECRETS).join('\n') + '\n';
  const r = await run([
    command({ cmd: 'cat', stdin: all }, { name: 'echo the secrets' }),
    command({ cmd: 'cat >&2; exit 3', stdin: all }, { name: 'fail with the secrets', ignoreErrors: true }),
    notes({ value: { all: Object.values(SECRETS), [SECRETS.nonAscii]: 1 } }, { name: 'note the secrets' }),
  ]);
  assert.is(r.exitCode, 0, r.out);
  assert.ok(
    Object.keys(r.written).some((f) => f.endsWith('journal.jsonl')) && Object.keys(r.written).some((f) => f.endsWith('notes.jsonl')),
  );
  for (const [name, s] of Object.entries(SECRETS)) assert.equal(leaks(r, s), [], `${name} leaked in:\n${r.out}`);
  assert.equal(leaks(r, '-and-its-longer-tail'), [], 'the longer secret was masked around the shorter one');
  assert.match(r.written[Object.keys(r.written).find((f) => f.endsWith('sec.log'))!]!, /\*\*\*/);
});

test('item 3: a fetched file streams to its 0600 destination and is in no log, event or journal, base64 or plain', async () => {
  const src = join(root, 'host-dump.sql');
  const marker = 'INSERT INTO customers VALUES (4711, "Erika Mustermann", "DE89370400440532013000");\n';
  const body = Buffer.concat([Buffer.from(marker.repeat(20_000)), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256))]);
  writeFileSync(src, body, { mode: 0o600 });
  const dest = join(root, 'backups', '{host}', 'dump.sql');
  const r = await run([fetchFile({ src, dest })]);
  assert.is(r.exitCode, 0, r.out);
  const got = join(root, 'backups', 'sec', 'dump.sql');
  assert.ok(readFileSync(got).equals(body), 'the fetched copy has the same bytes');
  assert.is(statSync(got).mode & 0o777, 0o600);
  const b64 = body.toString('base64');
  for (const [file, text] of Object.entries({ ...r.written, terminal: r.out })) {
    assert.not.ok(text.includes('Erika Mustermann'), `${file} holds the dump in plain`);
    assert.not.ok(text.includes(b64.slice(0, 64)) || text.includes(b64.slice(-64, -4)), `${file} holds the dump in base64`);
  }
  const log = r.written[Object.keys(r.written).find((f) => f.endsWith('sec.log'))!]!;
  assert.match(log, /stdout is secret: not logged/);
  assert.match(log, /out\| [0-9a-f]{64}\n/, 'the quiet checksum read is in the host log');
});

test('item 8 (engine side): output streams to the host log line by line; the journal and cmd:done keep only a few KiB of it', async () => {
  const r = await run([command({ cmd: 'seq 1 300000; echo done-marker >&2' }, { name: 'print a lot' })]);
  assert.is(r.exitCode, 0, r.out);
  const file = (end: string) => r.written[Object.keys(r.written).find((f) => f.endsWith(end))!]!;
  const log = file('sec.log');
  assert.ok(log.includes('out| 1\n') && log.includes('out| 150000\n') && log.includes('out| 300000\n'), 'every line is in the host log');
  assert.match(log, /err\| done-marker/);
  assert.ok(file('journal.jsonl').length < 16_384, `journal.jsonl is ${file('journal.jsonl').length} characters`);
  const events = Object.entries(r.written)
    .find(([f]) => f.startsWith('events-'))![1]
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const done = events.find((e: { type: string }) => e.type === 'cmd:done');
  assert.ok(done.stdout.length < 8192, `cmd:done carries ${done.stdout.length} characters of stdout`);
  assert.match(done.stdout, /300000\n$/);
});

test('item 11: copy shows a diff only with --diff, and secret content never, not even the old one', async () => {
  const LICENCE = 'UCW-LICENCE-7Q2M-99XK-ALPHA';
  const path = join(root, 'licence.key');
  const plain = await run([copy({ path, content: `key=${LICENCE}\n` })]);
  assert.is(plain.exitCode, 0, plain.out);
  assert.equal(leaks(plain, LICENCE), [], 'without --diff no diff is written anywhere');
  const shown = await run([copy({ path, content: `key=${LICENCE}-v2\n` })], { diff: true });
  assert.match(shown.out, /\+key=UCW-LICENCE-7Q2M-99XK-ALPHA-v2/, 'with --diff a plain copy shows its diff');
  const NEXT = 'UCW-LICENCE-8R3N-00YL-BRAVO';
  const secret = await run([copy({ path, content: `key=${NEXT}\n`, secret: true })], { diff: true });
  assert.is(secret.exitCode, 0, secret.out);
  assert.is(readFileSync(path, 'utf8'), `key=${NEXT}\n`);
  assert.equal(leaks(secret, NEXT), [], 'the new secret content');
  assert.equal(leaks(secret, LICENCE), [], 'the old content it replaced');
  assert.match(secret.out, /secret content, not shown/);
  const again = await run([copy({ path, content: `key=${NEXT}\n`, secret: true })], { diff: true });
  assert.match(again.out, /already has this content/);
});

test.run();
