/** The files `run init` writes into a new playbook repository (contents only; init.ts decides what is written). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PKG = 'ucw-runner';
const ROOT = join(import.meta.dirname, '..', '..');

export interface Scaffold {
  inventory: 'ts' | 'yaml';
  ucware: boolean;
}

export const inventoryFile = (s: Scaffold) =>
  s.ucware ? 'inventory/fleet.ts' : s.inventory === 'ts' ? 'inventory/hosts.ts' : 'inventory/hosts.yml';

/** npm scripts: `run` here is the package's bin in node_modules/.bin, never fetched. */
export function scripts(s: Scaffold): Record<string, string> {
  const inv = inventoryFile(s);
  const pb = s.ucware ? 'upgrade' : 'site';
  return {
    typecheck: 'tsc --noEmit',
    check: `run ${pb} ${inv} --check --diff`,
    [pb]: `run ${pb} ${inv}`,
  };
}

/**
 * The project's tsconfig. In a package that is not `"type": "module"` (npm 11's `npm init -y`
 * writes `"type": "commonjs"`), NodeNext would read every .ts file as CommonJS and refuse its
 * imports (TS1295); the runner loads playbooks as ES modules through its bundler whatever the
 * package says, so the project's tsc checks them the way the bundler reads them.
 */
export const tsconfig = (esm = true) =>
  JSON.stringify(
    {
      extends: `${PKG}/tsconfig.base.json`,
      ...(esm
        ? {}
        : {
            $comment: 'package.json is not "type": "module": check the playbooks as the runner loads them (bundled ES modules)',
            compilerOptions: { module: 'Preserve', moduleResolution: 'Bundler' },
          }),
      include: ['playbooks', 'inventory', 'modules', 'tests'],
    },
    null,
    2,
  ) + '\n';

export const gitignore = () =>
  ['node_modules/', '# run writes these: per-host logs and journals, backups, caches', 'logs/', 'backups/', '.cache/', '*.tgz', ''].join(
    '\n',
  );

export const vars = () => `/**
 * Your host variables, typed: inventories that set them and playbooks that read them are
 * checked against this by \`tsc\` and by \`run\` before any host is contacted.
 */
declare module '${PKG}/vars' {
  interface HostVars {
    /** The greeting playbooks/site.ts writes. @default 'Hello' */
    greeting?: string;
  }
}

export {};
`;

export const sitePlaybook = () => `/**
 * A first playbook: a fact, a directory, a managed file. Writes only under /tmp/site.
 *
 *   npx --no-install run site inventory/hosts.ts --check --diff
 */
import { playbook } from '${PKG}';
import { command, copy, file } from '${PKG}/modules';
import './vars.ts';

export default playbook({ name: 'site', description: 'A first playbook: a fact, a directory, a file' }, [
  command({ argv: ['uname', '-sr'] }, { name: 'kernel', changedWhen: () => false, runInCheckMode: true }),
  file({ path: '/tmp/site', kind: 'directory', mode: '0755' }),
  copy((h) => ({ path: '/tmp/site/hello', content: \`\${h.vars.greeting ?? 'Hello'} from \${h.name}\\n\`, mode: '0644' }), { name: 'write hello' }),
]);
`;

export const tsInventory = () => `/**
 * Your hosts. \`run site inventory/hosts.ts --list-hosts\` shows them; \`--limit web\` picks a group.
 * Secrets are never written here: name an environment variable (becomePasswordEnv, passwordEnv).
 */
import { defineInventory } from '${PKG}';
import '../playbooks/vars.ts';

export default defineInventory({
  defaults: { user: 'admin', becomePasswordEnv: 'SUDO_PASS' },
  groups: { web: {} },
  hosts: {
    web1: { address: '192.0.2.10', groups: ['web'], vars: { greeting: 'Moin' } },
  },
});
`;

export const yamlInventory = () => `# Your hosts, Ansible-style. \`run site inventory/hosts.yml --list-hosts\` shows them.
all:
  vars:
    ansible_user: admin
  children:
    web:
      hosts:
        web1:
          ansible_host: 192.0.2.10
          greeting: Moin
`;

/** The packaged example fleet, importing the runner by its package name: the user's data to edit. */
export const fleetInventory = () =>
  readFileSync(join(ROOT, 'inventory', 'prod.ts'), 'utf8')
    .replace(`from '../runner/index.ts'`, `from '${PKG}'`)
    .replace(`import '../playbooks/ucware-vars.ts';`, `import '${PKG}/ucware/vars';`);

export function readme(s: Scaffold, spec: string): string {
  const inv = inventoryFile(s);
  const pb = s.ucware ? 'upgrade' : 'site';
  return `# Playbooks

Run with ucw-runner (installed from \`${spec}\`). The three commands:

\`\`\`sh
npm run typecheck                                 # tsc: playbooks and inventory, with file:line
npx --no-install run ${pb} ${inv} --check --diff   # what would change, changing nothing
npx --no-install run ${pb} ${inv}                  # do it (npm run ${pb} is the same)
\`\`\`

- \`npx --no-install run ${pb} ${inv} --list-hosts\` / \`--list-tasks\`; \`--limit NAME\` picks hosts.
- \`npx --no-install run exec ${inv} --limit web1 -- uptime\`: one command on some hosts.
- \`npx --no-install run doc\`: every module (yours in modules/ too); \`run doc copy\` for one.
- Logs of every run: \`logs/<run>/\`. ${s.ucware ? 'The upgrade and configure-v5 playbooks are the packaged ones: updating ucw-runner updates them.' : ''}
`;
}
