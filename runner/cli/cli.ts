/**
 * `run <playbook> <inventory> [options]` — the command admins type.
 * Exit codes: 0 all well · 1 bad input (nothing ran) · 2 a task failed · 4 a host unreachable.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadInventory } from '../inventory/load.ts';
import { findPlaybookFile, loadPlaybook } from './load.ts';
import { listHosts, listTasks, runPlaybook } from './run.ts';
import { parseSerial } from '../inventory/select.ts';
import { RunnerError, UsageError } from '../model/errors.ts';
import { mask } from '../model/secrets.ts';
import { askSecret, usePlainPrompter } from './prompt.ts';
import { onPromptInterrupted, PromptInterrupted } from '../model/prompt.ts';
import { formatDiagnostic, typeCheck } from './typecheck.ts';
import { Vault, readVaultPasswordFile } from '../inventory/vault.ts';
import { readAnsibleCfg, type AnsibleCfg } from '../inventory/ansibleCfg.ts';
import type { ConnectionSettings } from '../inventory/load.ts';

const USAGE = `usage: run <playbook> <inventory> [options]
       run doc [module]     a module's reference (params, defaults, check mode, examples)
       run inventory <inventory> --list | --graph [GROUP] | --host NAME
                            what the runner understood, as ansible-inventory prints it
       run exec <inventory> [options] [-b] -- CMD…   one command on the selected hosts
       run init [DIR] [--inventory ts|yaml] [--ucware]   scaffold a playbook repository
       run completion bash|zsh   a shell completion script (source it)

  <playbook>             a name (upgrade, configure-v5, …) or a file (playbooks/x.ts)
  <inventory>            inventory/prod.ts, or any Ansible inventory: YAML, INI, a directory
                         (group_vars/ and host_vars/ beside it are read), or host1,host2,

  -l, --limit PATTERN    Ansible's host patterns: a,b a:b  &and  !not  globs  ~regex
                         group[0] group[1:3] group[-1]  @file  plus tag:NAME
  -t, --tags LIST        only tasks with these tags (always/never/tagged/untagged/all);
                         repeatable, the lists add up
      --skip-tags LIST   skip tasks with these tags (repeatable)
      --vault-password-file FILE   decrypt ansible-vault data (repeatable)
  -J, --ask-vault-pass   ask once for the vault password
  -C, --check            plan only: show what would change, change nothing
  -D, --diff             show file diffs
  -f, --forks N          hosts at once (default 50)
      --serial SPEC      batch size: 1, 25%, or a ramp 1,5,50%
      --max-fail PCT     stop when failed hosts of a batch exceed PCT percent
      --resume           continue the latest run of this playbook on this inventory
      --json FILE        write JSON-lines events to FILE (- for stdout)
  -k, --ask-pass         ask once for the SSH password (hosts' passwordEnv wins)
  -K, --ask-become-pass  ask once for the sudo password (hosts' becomePasswordEnv wins)
  -F, --ssh-config FILE  OpenSSH client config to read (default ~/.ssh/config)
      --channel KIND     persistent (one framed shell per host) or exec (a channel per
                         command), for every host; else each host's inventory \`channel\`
      --list-hosts       show the selected hosts and stop
      --list-tasks       show the selected tasks and stop
      --no-type-check    emergencies only: run without type-checking the playbook and
                         inventory first (a wrong module parameter then reaches the hosts)
  -e, --extra KEY=VALUE  set a host var on every host (wins over the inventory)
      --NAME VALUE       an option the playbook declares (e.g. rollback's --to)
  -v, --verbose          print every output line (plain view)
      --plain            plain lines even on a terminal
      --insecure         run although NODE_TLS_REJECT_UNAUTHORIZED=0 or GOVC_INSECURE switch
                         certificate checks off (refused without it; said in the recap)
  -h, --help`;

/** `--to before-ucware-5`: options the playbook declares (`params`) become extra vars. */
function splitPlaybookParams(argv: string[]): { rest: string[]; params: Record<string, string | true> } {
  const rest: string[] = [];
  const params: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(a);
    if (!m || Object.hasOwn(OPTIONS, m[1]!)) {
      rest.push(a);
      continue;
    }
    if (m[2] !== undefined) params[m[1]!] = m[2];
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) params[m[1]!] = argv[++i]!;
    else params[m[1]!] = true;
  }
  return { rest, params };
}

/**
 * tsx only strips types, so the TypeScript playbook and inventory are checked here, before
 * anything is prompted for or connected; false when there were errors (printed).
 */
async function typeChecked(files: (string | undefined)[], skip: boolean | undefined): Promise<boolean> {
  const entries = files.filter((f): f is string => !!f && /\.[cm]?ts$/.test(f) && existsSync(f));
  if (skip || !entries.length) return true;
  const names = entries.map((f) => relative(process.cwd(), resolve(f))).join(' and ');
  const r = await typeCheck(entries, {
    onCompile: () => process.stderr.isTTY && process.stderr.write(`type-checking ${names} (cached after a success)…\n`),
  });
  if (r.ok) return true;
  for (const d of r.diagnostics) process.stderr.write(`${mask(formatDiagnostic(d))}\n`);
  const n = r.diagnostics.length;
  process.stderr.write(
    `error: nothing was run: ${n} type error${n === 1 ? '' : 's'} in ${names} or the files ${entries.length === 1 ? 'it imports' : 'they import'}.\n` +
      `  Fix them; only in an emergency, skip the check with --no-type-check.\n`,
  );
  return false;
}

function channelOption(v: string | undefined): 'persistent' | 'exec' | undefined {
  if (v === undefined || v === 'persistent' || v === 'exec') return v;
  throw new UsageError(`--channel must be persistent or exec, not "${v}"`);
}

const OPTIONS = {
  limit: { type: 'string', short: 'l' },
  tags: { type: 'string', short: 't', multiple: true },
  'skip-tags': { type: 'string', multiple: true },
  'vault-password-file': { type: 'string', multiple: true },
  'ask-vault-pass': { type: 'boolean', short: 'J' },
  list: { type: 'boolean' },
  graph: { type: 'boolean' },
  host: { type: 'string' },
  check: { type: 'boolean', short: 'C' },
  diff: { type: 'boolean', short: 'D' },
  forks: { type: 'string', short: 'f' },
  serial: { type: 'string' },
  'max-fail': { type: 'string' },
  resume: { type: 'boolean' },
  json: { type: 'string' },
  'ask-pass': { type: 'boolean', short: 'k' },
  'ask-become-pass': { type: 'boolean', short: 'K' },
  'ssh-config': { type: 'string', short: 'F' },
  channel: { type: 'string' },
  'list-hosts': { type: 'boolean' },
  'list-tasks': { type: 'boolean' },
  'no-type-check': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  plain: { type: 'boolean' },
  insecure: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  extra: { type: 'string', short: 'e', multiple: true },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/**
 * node's parseArgs keeps the last of a repeated single-valued option without a word; a repeated
 * `--forks 5 --forks 10` is more likely a mistake than a wish, so it is refused.
 */
function refuseRepeats(args: string[]): void {
  const { tokens } = parseArgs({ args, allowPositionals: true, options: OPTIONS, tokens: true });
  const seen = new Map<string, string>();
  for (const t of tokens ?? []) {
    if (t.kind !== 'option') continue;
    const spec = OPTIONS[t.name as keyof typeof OPTIONS] as { multiple?: boolean };
    if (spec.multiple) continue;
    const prev = seen.get(t.name);
    if (prev !== undefined)
      throw new UsageError(`--${t.name} given twice (${prev} and ${t.rawName}${t.value !== undefined ? ` ${t.value}` : ''}): give it once`);
    seen.set(t.name, `${t.rawName}${t.value !== undefined ? ` ${t.value}` : ''}`);
  }
}

/** The vault passwords: from files, or asked once (-J); registered as secrets. */
async function vaultOf(v: Values): Promise<Vault> {
  const passwords = (v['vault-password-file'] ?? []).map(readVaultPasswordFile);
  if (v['ask-vault-pass']) {
    const pw = await askSecret('Vault password: ');
    if (pw === undefined) throw new UsageError('--ask-vault-pass needs a terminal; without one, use --vault-password-file FILE');
    passwords.push(pw);
  }
  return new Vault(passwords);
}

function num(s: string | undefined, flag: string, min: number): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${flag} must be a number ≥ ${min}, not "${s}"`);
  return n;
}

/** `-e KEY=VALUE …` → host vars. */
function extraVarsOf(extra: string[] | undefined): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const e of extra ?? []) {
    const eq = e.indexOf('=');
    if (eq < 1) throw new UsageError(`-e expects KEY=VALUE, not "${e}"`);
    vars[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return vars;
}

/** `--list-hosts` / `--list-tasks`: print and stop; undefined when neither was asked for. */
async function listing(v: Values, positionals: string[], defaults: ConnectionSettings): Promise<number | undefined> {
  if (v['list-hosts']) {
    const inv = positionals.length === 1 ? positionals[0] : positionals[1];
    if (!inv) throw new UsageError('--list-hosts needs an inventory');
    if (!(await typeChecked([inv], v['no-type-check']))) return 1;
    for (const l of listHosts(await loadInventory(inv, { vault: await vaultOf(v), defaults }), v.limit)) console.log(l);
    return 0;
  }
  if (v['list-tasks']) {
    if (!positionals[0]) throw new UsageError('--list-tasks needs a playbook');
    if (!(await typeChecked([findPlaybookFile(positionals[0])], v['no-type-check']))) return 1;
    const { playbook } = await loadPlaybook(positionals[0]);
    for (const l of listTasks(playbook, { tags: v.tags, skipTags: v['skip-tags'] })) console.log(l);
    return 0;
  }
  return undefined;
}

/** `-k` / `-K`: asked before anything connects, without echo; the answers are registered as secrets. */
async function passwords(v: Values): Promise<{ sshPassword?: string; becomePassword?: string }> {
  let sshPassword: string | undefined;
  if (v['ask-pass']) {
    sshPassword = await askSecret('SSH password: ');
    if (sshPassword === undefined)
      throw new UsageError('--ask-pass needs a terminal; without one, name an env var in the inventory (passwordEnv)');
  }
  let becomePassword: string | undefined;
  if (v['ask-become-pass']) {
    becomePassword = await askSecret('BECOME password: ');
    if (becomePassword === undefined)
      throw new UsageError('--ask-become-pass needs a terminal; without one, name an env var in the inventory (becomePasswordEnv)');
  }
  return { sshPassword, becomePassword };
}

/** The first Ctrl-C lets running tasks finish and starts no new ones; the second exits. */
function stopOnCtrlC(): { stopped: boolean; reason?: string; interrupted?: boolean } {
  const abort = { stopped: false, reason: undefined as string | undefined, interrupted: false };
  let interrupts = 0;
  // In raw mode (a question on screen) Ctrl-C is a key, not a signal: it counts as the first Ctrl-C.
  onPromptInterrupted(() => {
    if (interrupts++) return;
    abort.stopped = abort.interrupted = true;
    abort.reason = 'interrupted (Ctrl-C at a prompt): no new task starts; running tasks finish';
  });
  process.on('SIGINT', () => {
    if (++interrupts > 1) {
      process.stderr.write('\nSecond Ctrl-C: exiting now. Remote commands that were running may still be running.\n');
      process.exit(130);
    }
    abort.stopped = abort.interrupted = true;
    abort.reason = 'interrupted (Ctrl-C): no new task starts; running tasks finish';
    process.stderr.write('\nCtrl-C: letting running tasks finish, starting no new ones (Ctrl-C again to exit at once)\n');
  });
  return abort;
}

/** ansible.cfg's inventory when none is named; its user, key and host-key setting under the inventory's. */
function cfgDefaults(cfg: AnsibleCfg): ConnectionSettings {
  for (const w of cfg.warnings) process.stderr.write(`warning: ${w}\n`);
  return {
    ...(cfg.remoteUser ? { user: cfg.remoteUser } : {}),
    ...(cfg.privateKeyFile ? { identityFile: cfg.privateKeyFile } : {}),
    ...(cfg.hostKeyChecking ? { hostKeyChecking: cfg.hostKeyChecking } : {}),
  };
}

function cfgInventory(cfg: AnsibleCfg): string | undefined {
  if (!cfg.inventory) return undefined;
  if (cfg.inventory.length > 1) throw new UsageError(`${cfg.file} names ${cfg.inventory.length} inventories; name one on the command line`);
  return cfg.inventory[0];
}

async function main(args: string[]): Promise<number> {
  if (args[0] === 'init' || args[0] === 'completion' || args[0] === '__complete')
    return (await import('./subcommands.ts')).runSubcommand(args[0], args.slice(1));
  const adhoc = args[0] === 'exec' ? (await import('./exec.ts')).parseExec(args.slice(1)) : undefined;
  const { rest: argv, params: playbookParams } = splitPlaybookParams(adhoc?.args ?? args);
  refuseRepeats(argv);
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const cfg = readAnsibleCfg();
  const defaults = cfgDefaults(cfg);
  const fromCfg = cfgInventory(cfg);
  const wantsInventory =
    positionals[0] === 'inventory'
      ? positionals.length === 1
      : !v['list-tasks'] && positionals[0] !== 'doc' && positionals.length === (v['list-hosts'] ? 0 : 1);
  if (wantsInventory && fromCfg) positionals.push(fromCfg);
  const extraVars = extraVarsOf(v.extra);
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals[0] === 'doc' && positionals.length <= 2) {
    const { printDoc } = await import('./doc.ts');
    return printDoc(positionals[1]);
  }
  if (positionals[0] === 'inventory') {
    const { inventoryCommand } = await import('./inventory.ts');
    return inventoryCommand(positionals.slice(1), { list: v.list, graph: v.graph, host: v.host }, await vaultOf(v));
  }
  const listed = await listing(v, positionals, defaults);
  if (listed !== undefined) return listed;
  if (adhoc) positionals.unshift('exec');
  if (positionals.length !== 2) throw new UsageError(`expected a playbook and an inventory\n\n${USAGE}`);
  if (!(await typeChecked([adhoc ? undefined : findPlaybookFile(positionals[0]!), positionals[1]], v['no-type-check']))) return 1;
  usePlainPrompter();
  const abort = stopOnCtrlC();
  const { sshPassword, becomePassword } = await passwords(v);
  const result = await runPlaybook({
    playbook: adhoc?.playbook ?? positionals[0]!,
    inventory: positionals[1]!,
    limit: v.limit,
    tags: v.tags,
    skipTags: v['skip-tags'],
    vault: await vaultOf(v),
    check: v.check,
    diff: v.diff,
    forks: num(v.forks, '--forks', 1) ?? cfg.forks,
    inventoryDefaults: defaults,
    serial: v.serial ? parseSerial(v.serial) : undefined,
    maxFailPercentage: num(v['max-fail'], '--max-fail', 0),
    resume: v.resume,
    json: v.json,
    verbose: v.verbose || !!adhoc,
    view: v.plain ? 'plain' : undefined,
    abort,
    extraVars,
    params: playbookParams,
    sshConfigFile: v['ssh-config'],
    channel: channelOption(v.channel),
    sshPassword,
    becomePassword,
    insecure: v.insecure,
    askPassphrase: process.stdin.isTTY ? (p) => askSecret(p) : undefined,
  });
  // Ctrl-C, as a shell expects (128 + SIGINT), after the recap; the journal makes the run resumable.
  return abort.interrupted ? 130 : result.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof PromptInterrupted) {
      process.stderr.write(`\n${e.message}\n`);
      process.exit(130);
    }
    if (e instanceof RunnerError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${mask((e as Error).message)}\n`);
      process.exit(1);
    }
    process.stderr.write(`internal error: ${mask((e as Error).stack ?? String(e))}\n`);
    process.exit(70);
  },
);
