// The runner used as a user uses it: `npm pack`, a fresh directory outside the repository,
// `npm install <tarball>`, `run init`, the user's tsc, `--list-tasks`, a real run on a lab host,
// `run exec`, `run doc` with a module of the user's (the README's example and its case table),
// bash completion, and an upgrade to a newer tarball that keeps the user's edited playbook and
// brings the new packaged playbooks. What it proves about shipping: the tarball holds TypeScript
// sources, and the user's own tsc checks them under the tsconfig that `run init` wrote.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { ensureLab } from '../../lab/testkit.ts';
import type { LabState } from '../../lab/state.ts';

const repo = resolve('.');
const base = mkdtempSync(join(tmpdir(), 'ucw-pkg-'));
const user = join(base, 'fleet');
mkdirSync(user);
// Nothing of the repository's npm run may leak in: its npm_* config, its node_modules/.bin on PATH.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
env.PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((p) => !p.startsWith(repo))
  .join(delimiter);
delete env.CI;
env.NO_COLOR = '1';

function sh(cmd: string, args: string[], cwd = user, timeout = 240_000) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}
const ok = (cmd: string, args: string[], cwd?: string) => {
  const r = sh(cmd, args, cwd);
  assert.is(r.code, 0, `${cmd} ${args.join(' ')} → ${r.code}\n${r.out}`);
  return r.out;
};
const run = (...args: string[]) => sh('npx', ['--no-install', 'run', ...args]);
const install = (tgz: string) => ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tgz]);
const file = (rel: string) => readFileSync(join(user, rel), 'utf8');

let lab: LabState;
let tarball: string;

test.before(async () => {
  lab = await ensureLab(3);
  const packed = JSON.parse(ok('npm', ['pack', '--json', '--pack-destination', base], repo)) as { filename: string }[];
  tarball = join(base, packed[0]!.filename);
});

test.after(() => rmSync(base, { recursive: true, force: true }));

test('npm install <tarball> and run init scaffold a repository that depends on the tarball', () => {
  install(tarball);
  assert.ok(existsSync(join(user, 'node_modules/ucw-runner/runner/index.ts')), 'the tarball ships TypeScript sources');
  const out = ok('npx', ['--no-install', 'run', 'init']);
  assert.match(out, 'completed package.json');
  assert.match(out, 'created: tsconfig.json, .gitignore, README.md, playbooks/vars.ts, inventory/hosts.ts, playbooks/site.ts');
  const pkg = JSON.parse(file('package.json')) as { dependencies: Record<string, string>; scripts: Record<string, string>; type: string };
  assert.is(pkg.dependencies['ucw-runner'], `file:../${packed(tarball)}`);
  assert.is(pkg.type, 'module');
  assert.is(pkg.scripts.typecheck, 'tsc --noEmit');
  assert.match(file('.gitignore'), /^logs\/$/m);
  assert.match(file('README.md'), 'npx --no-install run site inventory/hosts.ts --check --diff');
  assert.not.match(file('README.md'), /npx run /);
  // A second init completes and names, never replaces.
  const again = ok('npx', ['--no-install', 'run', 'init']);
  assert.match(again, 'completed package.json: nothing was missing');
  assert.match(
    again,
    'left alone (already there): tsconfig.json, .gitignore, README.md, playbooks/vars.ts, inventory/hosts.ts, playbooks/site.ts',
  );
});

const packed = (f: string) => f.slice(base.length + 1);

test("the user's tsc checks the playbook and names a wrong module parameter by file:line", () => {
  ok('npm', ['run', '--silent', 'typecheck']);
  const site = file('playbooks/site.ts');
  writeFileSync(join(user, 'playbooks/site.ts'), site.replace(`file({ path: '/tmp/site',`, `file({ path: '/tmp/site', bogus: true,`));
  const tsc = sh('npx', ['--no-install', 'tsc', '--noEmit']);
  assert.is.not(tsc.code, 0);
  assert.match(tsc.out, /playbooks\/site\.ts\(\d+,\d+\): error TS2353: .*'bogus'/);
  const r = run('site', 'inventory/hosts.ts', '--list-tasks');
  assert.is(r.code, 1);
  assert.match(r.out, /playbooks\/site\.ts:\d+:\d+: error TS2353/);
  writeFileSync(join(user, 'playbooks/site.ts'), site);
});

test('--list-tasks and --list-hosts from the user directory', () => {
  assert.is(
    ok('npx', ['--no-install', 'run', 'site', 'inventory/hosts.ts', '--list-tasks']),
    'playbook: site — A first playbook: a fact, a directory, a file\n  kernel\n  file: /tmp/site\n  write hello\n',
  );
  assert.match(ok('npx', ['--no-install', 'run', '--list-hosts', 'inventory/hosts.ts']), /^web1 +admin@192\.0\.2\.10:22 +groups: web/);
  assert.match(ok('npx', ['--no-install', 'run', 'upgrade', '--list-tasks']), /^playbook: upgrade — /);
});

test('the scaffolded playbook runs on a lab host for real; run exec reads what it wrote', () => {
  const h = lab.hosts[lab.hosts.length - 1]!;
  // As the user would: the scaffolded inventory, pointed at a real host.
  writeFileSync(
    join(user, 'inventory/hosts.ts'),
    file('inventory/hosts.ts')
      .replace(
        `defaults: { user: 'admin', becomePasswordEnv: 'SUDO_PASS' }`,
        `defaults: { user: 'root', identityFile: ${JSON.stringify(lab.keyFile)}, knownHostsFile: ${JSON.stringify(lab.knownHostsFile)}, hostKeyChecking: 'strict' }`,
      )
      .replace(`web1: { address: '192.0.2.10'`, `${h.name}: { address: '${h.address}'`),
  );
  ok('npx', ['--no-install', 'tsc', '--noEmit']);
  sh('npx', ['--no-install', 'run', 'exec', 'inventory/hosts.ts', '--', 'rm -rf /tmp/site']);
  const out = ok('npx', ['--no-install', 'run', 'site', 'inventory/hosts.ts']);
  assert.match(out, new RegExp(`${h.name} +: ok=\\d+ +changed=2 `));
  assert.match(ok('npx', ['--no-install', 'run', 'site', 'inventory/hosts.ts']), new RegExp(`${h.name} +: ok=\\d+ +changed=0 `));
  const ex = ok('npx', ['--no-install', 'run', 'exec', 'inventory/hosts.ts', '--limit', 'web', '--', 'cat', '/tmp/site/hello']);
  assert.match(ex, `Moin from ${h.name}`);
  assert.match(ex, new RegExp(`${h.name} +: ok=1 +changed=1 `));
  assert.ok(existsSync(join(user, 'logs')), 'logs/ in the user repository');
  assert.ok(existsSync(join(user, 'node_modules/.cache/ucw-run/typecheck.json')), 'type-check cache in the user project');
});

test("a module of the user's (the README example) shows in run doc and its case table passes", () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  for (const block of readme.matchAll(/```ts\n\/\/ (modules\/touch\.ts|tests\/touch\.test\.ts)[^\n]*\n([\s\S]*?)```/g)) {
    mkdirSync(join(user, block[1]!, '..'), { recursive: true });
    writeFileSync(join(user, block[1]!), block[2]!);
  }
  ok('npx', ['--no-install', 'tsc', '--noEmit']);
  const doc = ok('npx', ['--no-install', 'run', 'doc']);
  assert.match(doc, /Your modules \(modules\/\):\n +touch +Ensure a file exists/);
  assert.match(doc, /^ +aptUpgrade /m);
  assert.match(ok('npx', ['--no-install', 'run', 'doc', 'touch']), 'path: string   (required)');
  assert.match(ok('node', ['--import', 'tsx', 'node_modules/uvu/bin.js', 'tests']), /Passed: +2/);
});

test('bash completion: subcommands, playbooks, options, --limit hosts and groups of the inventory on the line', () => {
  const script = ok('npx', ['--no-install', 'run', 'completion', 'bash']);
  writeFileSync(join(base, 'completion.bash'), script);
  const words = (line: string, cword: number) => `COMP_WORDS=(${line}); COMP_CWORD=${cword}; _ucw_run; echo "[\${COMPREPLY[*]}]"`;
  const out = ok('bash', [
    '-c',
    [
      `source ${join(base, 'completion.bash')}`,
      'complete -p run',
      words(`run ''`, 1),
      words(`run up`, 1),
      words(`run site inventory/hosts.ts --limit ''`, 4),
      words(`run exec inventory/hosts.ts -l 'web,'`, 4),
      words(`run site inventory/hosts.ts --ch`, 3),
      words(`run completion ''`, 2),
      `compgen -W "$(npx --no-install run __complete 1 run d)" -- d`,
    ].join('\n'),
  ]);
  const h = lab.hosts[lab.hosts.length - 1]!.name;
  assert.equal(out.trim().split('\n'), [
    'complete -o default -F _ucw_run run',
    '[doc exec init completion site baseline configure-v5 demo rollback upgrade]',
    '[upgrade]',
    `[all ${h} web]`,
    `[web,all web,${h} web,web]`,
    '[--check --channel]',
    '[bash zsh]',
    'doc',
    'demo',
  ]);
});

test('a newer tarball: the edited playbook still type-checks, the packaged playbooks are the new ones', () => {
  const stage = join(base, 'stage');
  mkdirSync(stage);
  ok('tar', ['-xzf', tarball, '-C', stage]);
  const pj = join(stage, 'package/package.json');
  writeFileSync(pj, readFileSync(pj, 'utf8').replace('"version": "0.1.0"', '"version": "0.1.1"'));
  const demo = join(stage, 'package/playbooks/demo.ts');
  writeFileSync(demo, readFileSync(demo, 'utf8').replace(`description: 'A tour:`, `description: 'Release 0.1.1. A tour:`));
  const newer = join(base, 'ucw-runner-0.1.1.tgz');
  ok('tar', ['-czf', newer, '-C', stage, 'package']);
  writeFileSync(
    join(user, 'playbooks/site.ts'),
    file('playbooks/site.ts').replace(`{ name: 'write hello' }`, `{ name: 'write the greeting' }`),
  );
  install(newer);
  assert.is(
    (JSON.parse(file('package.json')) as { dependencies: Record<string, string> }).dependencies['ucw-runner'],
    'file:../ucw-runner-0.1.1.tgz',
  );
  ok('npm', ['run', '--silent', 'typecheck']);
  assert.match(ok('npx', ['--no-install', 'run', 'site', 'inventory/hosts.ts', '--list-tasks']), '  write the greeting\n');
  assert.match(ok('npx', ['--no-install', 'run', 'demo', '--list-tasks']), /^playbook: demo — Release 0\.1\.1\. A tour/);
});

test('a package made by `npm init -y` (npm 11 writes "type": "commonjs"): init keeps the type and the user\'s tsc passes', () => {
  const dir = join(base, 'cjs');
  mkdirSync(dir);
  ok('npm', ['init', '-y'], dir);
  const type = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string }).type;
  ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], dir);
  const out = ok('npx', ['--no-install', 'run', 'init'], dir);
  if (type === 'commonjs')
    assert.match(out, '(kept "type": "commonjs"; tsconfig.json checks the playbooks as the ES modules the runner loads)');
  ok('npx', ['--no-install', 'tsc', '--noEmit'], dir);
  assert.match(ok('npx', ['--no-install', 'run', 'site', 'inventory/hosts.ts', '--list-tasks'], dir), /^playbook: site — /);
});

test.run();
