// Issue 14 item 13: NODE_TLS_REJECT_UNAUTHORIZED=0 or GOVC_INSECURE switch certificate checks
// off for every HTTPS call and for govc. The real CLI, started with them set, refuses to run
// (nothing on the host changes) unless --insecure is given, and then the recap says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'ucw-insecure-'));
const ROOT = resolve('.');
const marker = join(dir, 'ran');
const pb = join(dir, 'touch.ts');
writeFileSync(
  pb,
  `import { playbook } from ${JSON.stringify(join(ROOT, 'runner/index.ts'))};
import { command } from ${JSON.stringify(join(ROOT, 'modules/index.ts'))};
export default playbook({ name: 'insecure-probe' }, [command({ argv: ['touch', ${JSON.stringify(marker)}] })]);
`,
);
const inv = join(dir, 'inv.yml');
writeFileSync(inv, 'all:\n  hosts:\n    me: { connection: local }\n');

function cli(env: Record<string, string>, ...extra: string[]) {
  rmSync(marker, { force: true });
  const clean = { ...process.env };
  delete clean.NODE_TLS_REJECT_UNAUTHORIZED;
  delete clean.GOVC_INSECURE;
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), pb, inv, '--plain', ...extra], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...clean, NO_COLOR: '1', ...env },
    timeout: 120_000,
  });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}`, ran: existsSync(marker) };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, value] of [
  ['NODE_TLS_REJECT_UNAUTHORIZED', '0'],
  ['GOVC_INSECURE', '1'],
] as const) {
  test(`${name}=${value}: refused without --insecure, nothing runs; with it, the recap says so`, () => {
    const refused = cli({ [name]: value });
    assert.is(refused.code, 1, refused.out);
    assert.not.ok(refused.ran, 'the task ran');
    assert.match(refused.out, new RegExp(`certificate checks are switched off by ${name}=${value} \\(environment\\).*--insecure`));
    const allowed = cli({ [name]: value }, '--insecure');
    assert.is(allowed.code, 0, allowed.out);
    assert.ok(allowed.ran);
    assert.match(allowed.out, /PLAY RECAP[\s\S]*INSECURE: certificate checks are off \(.*\), allowed by --insecure/);
  });
}

test('neither set: runs as usual, no INSECURE line', () => {
  const r = cli({});
  assert.is(r.code, 0, r.out);
  assert.ok(r.ran);
  assert.not.match(r.out, /INSECURE/);
});

test.run();
