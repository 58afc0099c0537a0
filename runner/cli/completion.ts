/**
 * Shell completion for `run`: `run completion bash|zsh` prints a script whose function asks
 * `run __complete CWORD WORDS…` for the candidates, so both shells share this one logic:
 * subcommands and playbook names first, options, option values, module names for `doc`, and
 * for `--limit` the hosts and groups of the inventory given on the same line.
 *
 * @example
 * source <(npx --no-install run completion bash)     # in ~/.bashrc, from the project directory
 * run upgrade inventory/fleet.ts --limit be<TAB>      # → berlin, berlin-pbx1, …
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadInventory } from '../inventory/load.ts';
import { playbookNames } from './load.ts';

const SUBCOMMANDS = ['doc', 'exec', 'init', 'completion'];
/** Options and whether each takes a value (mirrors cli.ts's OPTIONS). */
const OPTIONS: Record<string, boolean> = {
  '--limit': true,
  '-l': true,
  '--tags': true,
  '-t': true,
  '--skip-tags': true,
  '--check': false,
  '-C': false,
  '--diff': false,
  '-D': false,
  '--forks': true,
  '-f': true,
  '--serial': true,
  '--max-fail': true,
  '--resume': false,
  '--json': true,
  '--ask-pass': false,
  '-k': false,
  '--ask-become-pass': false,
  '-K': false,
  '--ssh-config': true,
  '-F': true,
  '--channel': true,
  '--list-hosts': false,
  '--list-tasks': false,
  '--no-type-check': false,
  '--extra': true,
  '-e': true,
  '--verbose': false,
  '-v': false,
  '--plain': false,
  '--help': false,
  '-h': false,
  '--become': false,
  '-b': false,
};
const VALUES: Record<string, string[]> = { '--channel': ['persistent', 'exec'] };
const INIT_OPTIONS = ['--inventory', '--ucware', '--from'];

/** Candidates for the word at `cword` of `words` (words[0] is the command itself). */
export async function candidates(cword: number, words: string[]): Promise<string[]> {
  const cur = words[cword] ?? '';
  const prev = words[cword - 1] ?? '';
  const sub = words[1];
  if (cword === 1) return [...SUBCOMMANDS, ...playbookNames()];
  if (sub === 'completion') return cword === 2 ? ['bash', 'zsh'] : [];
  if (sub === 'init') return prev === '--inventory' ? ['ts', 'yaml'] : INIT_OPTIONS;
  if (sub === 'doc') return cword === 2 ? (await import('./doc.ts')).moduleFiles().map((m) => m.name) : [];
  if (prev === '--limit' || prev === '-l') return limitCandidates(cur, inventoryOf(words.slice(0, cword)));
  if (OPTIONS[prev]) return VALUES[prev] ?? [];
  if (cur.startsWith('-')) return Object.keys(OPTIONS);
  return [];
}

/** The inventory on the line: exec's first positional, a playbook run's second. */
function inventoryOf(words: string[]): string | undefined {
  const pos: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') break;
    if (w.startsWith('-')) {
      if (OPTIONS[w] && !w.includes('=')) i++;
      continue;
    }
    pos.push(w);
  }
  const inv = pos[1]; // exec's inventory and a playbook run's both come second
  return inv && existsSync(resolve(inv)) ? inv : undefined;
}

/** Hosts and groups, after whatever the pattern already holds (`web1,db` → `web1,db1`, `web1,dbs`). */
async function limitCandidates(cur: string, inv: string | undefined): Promise<string[]> {
  if (!inv) return [];
  let names: string[];
  try {
    const i = await loadInventory(inv);
    names = [...new Set([...i.groups.keys(), ...i.hosts.map((h) => h.name)])].sort();
  } catch {
    return [];
  }
  const cut = cur.lastIndexOf(',');
  const head = cur.slice(0, cut + 1);
  const op = /^[!&]/.exec(cur.slice(cut + 1))?.[0] ?? '';
  return names.map((n) => `${head}${op}${n}`);
}

export function completionScript(shell: 'bash' | 'zsh'): string {
  const bin = resolve(import.meta.dirname, '..', '..', 'bin', 'run.js');
  const bash = `# ucw-runner: completion for \`run\`. Load it with: source <(npx --no-install run completion ${shell})
_ucw_run() {
  local IFS=$'\\n' cur="\${COMP_WORDS[COMP_CWORD]}"
  COMPREPLY=($(compgen -W "$(node ${JSON.stringify(bin)} __complete "$COMP_CWORD" "\${COMP_WORDS[@]}" 2>/dev/null)" -- "$cur"))
}
complete -o default -F _ucw_run run
`;
  // zsh runs the same function through its bash-completion layer.
  return shell === 'bash' ? bash : `autoload -U +X bashcompinit && bashcompinit\n${bash}`;
}
