/**
 * The oracle suite: every inventory under tests/fixtures/inventory/cases/ is loaded by the runner
 * and compared with what Debian bookworm's ansible-core 2.14 printed for it (expected.json, made by
 * regenerate.sh): `ansible-inventory --list` and `--graph`, and `ansible PATTERN --list-hosts`
 * (with `--limit`) for each pattern. The tag table compares with `ansible-playbook --list-tasks`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadAnsibleSources } from '../../../../runner/inventory/ansible.ts';
import { graphInventory, listInventory, pyJson } from '../../../../runner/inventory/listJson.ts';
import { PatternMatcher } from '../../../../runner/inventory/patterns.ts';
import { LOCALHOST } from '../../../../runner/inventory/data.ts';
import { Vault, readVaultPasswordFile } from '../../../../runner/inventory/vault.ts';
import { evaluateTags, parseTagOptions } from '../../../../runner/inventory/tags.ts';

const root = join(import.meta.dirname, '../../../fixtures/inventory');
const cases = readdirSync(join(root, 'cases'))
  .filter((c) => existsSync(join(root, 'cases', c, 'expected.json')))
  .sort();

interface HostsResult {
  rc: number;
  hosts?: string[];
  messages: string[];
  unordered?: boolean;
}
interface Expected {
  ansible: string;
  list: { rc: number; json?: Record<string, unknown>; messages: string[] };
  graph?: string;
  host?: Record<string, unknown>;
  patterns: Record<string, HostsResult>;
  limits: (HostsResult & { pattern: string; limit: string })[];
}

export const counts = { inventories: 0, refused: 0, hosts: 0, groups: 0, vars: 0, patterns: 0, tagCombos: 0 };

function load(dir: string, c: { source: string | string[]; vault_password_file?: string }) {
  const sources = (Array.isArray(c.source) ? c.source : [c.source]).map((s) => join(dir, s));
  const vault = new Vault(c.vault_password_file ? [readVaultPasswordFile(join(dir, c.vault_password_file))] : []);
  return loadAnsibleSources(sources, { vault });
}

function listHosts(m: PatternMatcher, pattern: string, limit?: string): string[] | 'error' {
  let hosts: string[];
  try {
    hosts = m.select(pattern, limit).map((h) => h.name);
  } catch {
    return 'error';
  }
  if (!hosts.length && LOCALHOST.includes(pattern)) hosts = [pattern];
  return hosts;
}

for (const name of cases) {
  test(`oracle: ${name}`, () => {
    const dir = join(root, 'cases', name);
    const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
    const exp: Expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    // Ansible only warns about a source no plugin can parse and goes on with what is left; we refuse.
    if (exp.list.rc !== 0 || exp.list.messages.some((m) => m.includes('Unable to parse <CASE>/'))) {
      assert.throws(() => load(dir, c), undefined, `Ansible refused it (${exp.list.messages.join(' / ')}); we must too`);
      counts.refused++;
      return;
    }
    const inv = load(dir, c);
    const got = JSON.parse(pyJson(listInventory(inv)));
    assert.equal(got, exp.list.json, `${name}: --list differs`);
    assert.is(graphInventory(inv), exp.graph, `${name}: --graph differs`);
    const said = exp.list.messages.map((m) => m.replace(/^\[WARNING\]: /, '').replace(/<CASE>\//g, `${dir}/`));
    assert.equal(inv.warnings, said, `${name}: Ansible's warnings (duplicate keys, skipped keys, group names…)`);
    for (const [h, v] of Object.entries(exp.host ?? {}))
      assert.equal(JSON.parse(pyJson(inv.hostvars(inv.data.hosts.get(h)!))), v, `${name}: --host ${h}`);
    counts.inventories++;
    const meta = (exp.list.json!._meta as { hostvars: Record<string, Record<string, unknown>> }).hostvars;
    counts.hosts += inv.data.hosts.size;
    counts.groups += inv.data.groups.size;
    counts.vars += Object.values(meta).reduce((n, v) => n + Object.keys(v).length, 0);
    const check = (pattern: string, limit: string | undefined, r: HostsResult) => {
      // each Ansible run starts afresh: an implicit localhost made for one pattern is not there for the next
      if (inv.data.localhost?.implicit) inv.data.localhost = undefined;
      const m = new PatternMatcher(inv.data);
      const ours = listHosts(m, pattern, limit);
      const label = `${name}: ${pattern}${limit !== undefined ? ` --limit ${limit}` : ''}`;
      // Ansible: an empty --limit result is an error, an empty pattern only a warning (our CLI errs on both)
      // and `ansible` turns a pattern error (an out-of-range subscript) into "No hosts matched": we keep the error
      if (r.rc !== 0 || r.hosts!.length === 0)
        assert.ok(ours === 'error' || ours.length === 0, `${label}: Ansible failed (${r.messages.join(' / ')}), we gave ${ours}`);
      else if (r.unordered && ours !== 'error')
        assert.equal([...ours].sort(), [...r.hosts!].sort(), `${label} (Ansible's own order varies run to run)`);
      else assert.equal(ours, r.hosts, label);
      const theirs = r.messages
        .filter((x) => x.includes('Could not match supplied host pattern'))
        .map((x) => x.replace(/^\[WARNING\]: /, ''));
      assert.equal(m.warnings, theirs, `${label}: warnings`);
      counts.patterns++;
    };
    for (const [p, r] of Object.entries(exp.patterns)) check(p, undefined, r);
    for (const l of exp.limits) check(l.pattern, l.limit.replace('@LIMIT', '@' + join(dir, 'limit.txt')), l);
  });
}

const tagsFile = join(root, 'tags', 'expected.json');
if (existsSync(tagsFile)) {
  test('oracle: tag selection matches ansible-playbook --list-tasks', () => {
    const spec = JSON.parse(readFileSync(join(root, 'tags', 'tasks.json'), 'utf8')) as { name: string; tags: string[]; section?: string }[];
    const exp = JSON.parse(readFileSync(tagsFile, 'utf8')) as { combos: { tags?: string[]; skip?: string[]; tasks: string[] }[] };
    // --list-tasks lists no rescue/always sections: those tasks are left out of the comparison
    const listed = new Set(spec.filter((t) => !t.section).map((t) => t.name));
    for (const c of exp.combos) {
      const sel = parseTagOptions(c.tags, c.skip);
      const ours = spec.filter((t) => listed.has(t.name) && evaluateTags(t.tags, sel)).map((t) => t.name);
      counts.tagCombos++;
      assert.equal(ours, c.tasks, `--tags ${JSON.stringify(c.tags ?? [])} --skip-tags ${JSON.stringify(c.skip ?? [])}`);
    }
  });
}

test.after(() => {
  if (process.env.ORACLE_COUNTS) console.log(JSON.stringify(counts));
});
test.run();
