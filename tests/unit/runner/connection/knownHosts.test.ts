// known_hosts semantics checked against OpenSSH's own tools (ssh-keygen -l, -H, -F).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fingerprint,
  judge,
  parseKnownHosts,
  verifyHostKey,
  hostToken,
  entryMatches,
  hostKeyAlgorithms,
  HostKeyError,
} from '../../../../runner/connection/knownHosts.ts';
import { UnreachableError } from '../../../../runner/model/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'ucw-kh-'));
const newKey = (name: string) => {
  const f = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f]);
  const pub = readFileSync(f + '.pub', 'utf8');
  return { pub, line: pub.split(' ').slice(0, 2).join(' '), blob: Buffer.from(pub.split(' ')[1]!, 'base64'), file: f };
};
const k1 = newKey('k1');
const k2 = newKey('k2');
const rsa = (() => {
  const f = join(dir, 'rsa');
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', f]);
  const pub = readFileSync(f + '.pub', 'utf8');
  return { line: pub.split(' ').slice(0, 2).join(' '), blob: Buffer.from(pub.split(' ')[1]!, 'base64') };
})();

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('fingerprint is what ssh-keygen -l prints', () => {
  const printed = execFileSync('ssh-keygen', ['-lf', k1.file + '.pub'], { encoding: 'utf8' }).split(' ')[1];
  assert.is(fingerprint(k1.blob), printed);
});

test('host tokens: bare on port 22, [host]:port otherwise; brackets are literal, not a pattern class', () => {
  assert.is(hostToken('10.0.0.5', 22), '10.0.0.5');
  assert.is(hostToken('10.0.0.5', 2222), '[10.0.0.5]:2222');
  const [e] = parseKnownHosts(`[10.0.0.5]:2222 ${k1.line}`);
  assert.ok(entryMatches(e!, '[10.0.0.5]:2222'));
  assert.not.ok(entryMatches(e!, '1'), 'a [..] entry must not behave like a character class');
  assert.not.ok(entryMatches(e!, '10.0.0.5'));
});

test('patterns: lists, wildcards, negation', () => {
  const [e] = parseKnownHosts(`pbx-*.example.org,!pbx-old.example.org,10.1.0.? ${k1.line}`);
  assert.ok(entryMatches(e!, 'pbx-ber.example.org'));
  assert.not.ok(entryMatches(e!, 'pbx-old.example.org'));
  assert.ok(entryMatches(e!, '10.1.0.7'));
  assert.not.ok(entryMatches(e!, '10.1.0.77'));
});

test('hashed entries written by ssh-keygen -H match', () => {
  const f = join(dir, 'hashed');
  writeFileSync(f, `[10.0.0.5]:2222 ${k1.line}\npbx1 ${k2.line}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
  const entries = parseKnownHosts(readFileSync(f, 'utf8'));
  assert.ok(entries.every((e) => e.patterns.startsWith('|1|')));
  assert.equal(judge(entries, ['[10.0.0.5]:2222'], k1.blob), { ok: true });
  assert.equal(judge(entries, ['pbx1'], k2.blob), { ok: true });
  assert.equal(judge(entries, ['pbx2'], k2.blob), { ok: false, reason: 'unknown' });
});

test('any other key of a host with a known key is "changed", whatever its type, and names the known ones; @revoked wins', () => {
  const entries = parseKnownHosts(`pbx1 ${k1.line}\n# comment\n\n@revoked * ${k2.line}\n`);
  assert.equal(judge(entries, ['pbx1'], k2.blob), { ok: false, reason: 'revoked' });
  const known = parseKnownHosts(`pbx1 ${k1.line}`, 'kh');
  assert.equal(judge(known, ['pbx1'], k2.blob), { ok: false, reason: 'changed', known, expected: [fingerprint(k1.blob)] });
  const v = judge(known, ['pbx1'], rsa.blob);
  assert.ok(!v.ok && v.reason === 'changed', 'a key of another type is a changed key, not a new one');
  assert.equal(known[0], { marker: undefined, patterns: 'pbx1', keyType: 'ssh-ed25519', key: k1.line.split(' ')[1], file: 'kh', line: 1 });
});

test('host key algorithms: the known types first, in ssh2 order; every algorithm still offered', () => {
  const f = join(dir, 'algos');
  writeFileSync(f, `[10.0.0.7]:2222 ${rsa.line}\nother ${k1.line}\n`);
  const o = { mode: 'strict' as const, files: [f], globalFiles: [], host: 'pbx7', address: '10.0.0.7', port: 2222 };
  const algos = hostKeyAlgorithms(o);
  assert.equal(algos.slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  assert.equal([...algos].sort(), [...hostKeyAlgorithms({ ...o, host: 'new', address: 'new' })].sort());
  assert.is(hostKeyAlgorithms({ ...o, host: 'new', address: 'new' })[0], 'ssh-ed25519');
});

test('verifyHostKey: accept-new appends a line ssh-keygen -F finds; strict refuses; changed is refused in both; off warns', () => {
  const f = join(dir, 'sub', 'known_hosts');
  const warnings: string[] = [];
  const o = { files: [f], host: 'pbx1', address: '10.0.0.5', port: 2222, warn: (m: string) => warnings.push(m) };
  assert.throws(() => verifyHostKey({ ...o, mode: 'strict' }, k1.blob), /unknown host key for pbx1 \(10\.0\.0\.5:2222\)/);
  verifyHostKey({ ...o, mode: 'accept-new' }, k1.blob);
  assert.match(warnings.join(), /learned new host key for pbx1/);
  const found = execFileSync('ssh-keygen', ['-F', '[10.0.0.5]:2222', '-f', f], { encoding: 'utf8' });
  assert.match(found, /found: line 1/);
  verifyHostKey({ ...o, mode: 'strict' }, k1.blob);
  for (const mode of ['strict', 'accept-new'] as const) {
    assert.throws(
      () => verifyHostKey({ ...o, mode }, k2.blob),
      (e: Error) =>
        e.message.includes('WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!') &&
        e.message.includes(`The fingerprint for the ED25519 key sent by the remote host is ${fingerprint(k2.blob)}.`) &&
        e.message.includes(`Offending ED25519 key in ${f}:1 (${fingerprint(k1.blob)})`) &&
        e.message.includes(`ssh-keygen -f '${f}' -R '[10.0.0.5]:2222'`),
    );
  }
  assert.is(readFileSync(f, 'utf8').trim().split('\n').length, 1, 'nothing learned from a changed key');
  // A refused key makes the host unreachable (exit 4, recap "unreachable"), as in Ansible.
  assert.throws(
    () => verifyHostKey({ ...o, mode: 'strict' }, k2.blob),
    (e: Error) => e instanceof UnreachableError && e instanceof HostKeyError,
  );
  verifyHostKey({ ...o, mode: 'off' }, k2.blob);
  assert.match(warnings.at(-1)!, /host key checking is off for pbx1/);
});

test('a project-level known_hosts is read too; the first file is the one written', () => {
  const project = join(dir, 'project_known_hosts');
  const user = join(dir, 'user_known_hosts');
  writeFileSync(project, `pbx9 ${k1.line}\n`);
  verifyHostKey({ mode: 'strict', files: [user, project], host: 'pbx9', address: 'pbx9', port: 22 }, k1.blob);
  verifyHostKey({ mode: 'accept-new', files: [user, project], host: 'pbx8', address: 'pbx8', port: 22 }, k2.blob);
  assert.match(readFileSync(user, 'utf8'), /^pbx8 ssh-ed25519 /);
});

test.run();
