// Issue 14 item 4: a real run of the CLI against a lab host, under umask 022, leaves nothing
// another local user can read: `nobody` tries every file the run wrote in logs/, backups/, the
// --json file and the start-up caches in node_modules/.cache/ucw-run/, and the modes are
// checked (folders 0700, files 0600).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { labOrSkip, inventoryFor } from '../fixtures/modules/labRun.ts';

const lab = labOrSkip();
const H = 'lab1';
const ROOT = resolve('.');
const CACHE = join(ROOT, 'node_modules', '.cache', 'ucw-run');

/** Every path under `dir` (itself included) changed at or after `since` (ms), or all when since is 0. */
function walk(dir: string, since = 0): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const visit = (p: string) => {
    const st = lstatSync(p);
    if (st.ctimeMs >= since) out.push(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) visit(join(p, e));
  };
  visit(dir);
  return out;
}

const modeOf = (p: string) => statSync(p).mode & 0o777;

test('a lab run under umask 022: logs, run folder, journal, notes, run.json, host logs, --json, backups and caches are 0700/0600, nobody reads them', async () => {
  if (!lab) return;
  const cwd = mkdtempSync(join(tmpdir(), 'ucw-modes-'));
  chmodSync(cwd, 0o755); // the attacker can reach the working directory: only the runner's own modes protect
  const pb = join(cwd, 'modes.ts');
  writeFileSync(
    pb,
    `import { playbook } from ${JSON.stringify(join(ROOT, 'runner/index.ts'))};
import { defineModule, noop } from ${JSON.stringify(join(ROOT, 'runner/module.ts'))};
import { command, fetchFile } from ${JSON.stringify(join(ROOT, 'modules/index.ts'))};
const note = defineModule<{ key: string }, undefined>({ name: 'note', facts: async (ctx, p) => { ctx.journal.note(p.key, 'host data'); return undefined; }, plan: () => noop('noted') });
export default playbook({ name: 'modes-${Date.now().toString(36)}' }, [
  command({ cmd: 'echo host data' }, { name: 'say something' }),
  note({ key: 'saved' }, { name: 'leave a note' }),
  fetchFile({ src: '/etc/ucware/ucware.php', dest: 'backups/{host}/ucware.php' }, { name: 'fetch a config' }),
]);
`,
  );
  const inv = inventoryFor(lab);
  const started = Date.now() - 1000;
  const old = process.umask(0o022);
  let r;
  try {
    r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), pb, inv, '--limit', H, '--json', 'events.jsonl'], {
      cwd,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
  } finally {
    process.umask(old);
  }
  assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const written = [...walk(join(cwd, 'logs')), ...walk(join(cwd, 'backups')), join(cwd, 'events.jsonl')];
  const kinds = written.map((p) => p.slice(cwd.length + 1));
  for (const want of [/^logs$/, /journal\.jsonl$/, /notes\.jsonl$/, /run\.json$/, /lab1\.log$/, /^backups$/, /ucware\.php$/]) {
    assert.ok(
      kinds.some((k) => want.test(k)),
      `nothing matching ${want} was written: ${kinds.join(', ')}`,
    );
  }
  const cached = walk(CACHE, started);
  assert.ok(
    cached.some((p) => p.endsWith('.bundle.json')) && cached.some((p) => p.endsWith('typecheck.json')),
    `the run rebuilt the caches: ${cached.join(', ')}`,
  );
  const wrong: string[] = [];
  for (const p of [...written, ...cached]) {
    const want = statSync(p).isDirectory() ? 0o700 : 0o600;
    if (modeOf(p) !== want) wrong.push(`${p}: ${modeOf(p).toString(8)}, want ${want.toString(8)}`);
  }
  if (modeOf(CACHE) !== 0o700) wrong.push(`${CACHE}: ${modeOf(CACHE).toString(8)}, want 700`);
  assert.equal(wrong, []);
  // The attack: another local user reads whatever the runner left.
  const files = [...written, ...cached].filter((p) => statSync(p).isFile());
  const read = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'sh',
      '-c',
      'for f; do cat -- "$f" >/dev/null 2>&1 && echo "$f"; done; true',
      'sh',
      ...files,
    ],
    { encoding: 'utf8' },
  );
  assert.is(read.status, 0, read.stderr);
  assert.equal(read.stdout.split('\n').filter(Boolean), [], 'nobody could read these');
});

test.run();
