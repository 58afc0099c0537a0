/**
 * Ansible's in-memory inventory (ansible/inventory/{data,group,host}.py): groups with ordered
 * hosts and children, depth and priority; hosts with their groups; `all` and `ungrouped`; the
 * implicit localhost. The parsers (ini.ts, yamlInventory.ts) only call these methods, in
 * Ansible's order, so host order, group order and precedence come out as Ansible's.
 */
import { InventoryError } from '../model/errors.ts';

export type Vars = Record<string, unknown>;

export const LOCALHOST = ['127.0.0.1', 'localhost', '::1'];
const INVALID_NAME = /^[\d\W]|[^\w]/u;

export class InvGroup {
  depth = 0;
  priority = 1;
  readonly hosts: InvHost[] = [];
  readonly children: InvGroup[] = [];
  readonly parents: InvGroup[] = [];
  vars: Vars = {};
  /** Where a var came from (for warnings and errors). */
  constructor(readonly name: string) {}

  /** Every ancestor, nearest first (Ansible returns a set; its order only matters for display). */
  ancestors(): InvGroup[] {
    return walk(this, 'parents', false);
  }

  /** Self, then descendants breadth-first (Ansible's preserve_ordering walk). */
  descendants(includeSelf = false): InvGroup[] {
    return walk(this, 'children', includeSelf);
  }

  addChild(file: string, child: InvGroup): boolean {
    if (child === this) throw new InventoryError(file, "can't add group to itself", { group: this.name });
    if (this.children.includes(child)) return false;
    const start = new Set(child.ancestors());
    const fresh = new Set(this.ancestors());
    if (fresh.has(child)) {
      throw new InventoryError(file, `Adding group '${child.name}' as child to '${this.name}' creates a recursive dependency loop.`, {
        group: this.name,
      });
    }
    fresh.add(this);
    for (const g of start) fresh.delete(g);
    this.children.push(child);
    child.depth = Math.max(this.depth + 1, child.depth);
    child.checkChildrenDepth(file);
    if (!child.parents.some((p) => p.name === this.name)) {
      child.parents.push(this);
      for (const h of child.allHosts()) for (const g of fresh) if (!h.groups.includes(g)) h.groups.push(g);
    }
    return true;
  }

  private checkChildrenDepth(file: string): void {
    let depth = this.depth;
    const start = this.depth;
    const seen = new Set<InvGroup>();
    let todo = new Set(this.children);
    while (todo.size) {
      for (const g of todo) seen.add(g);
      depth++;
      const next = new Set<InvGroup>();
      for (const g of todo) {
        if (g.depth < depth) {
          g.depth = depth;
          for (const c of g.children) next.add(c);
        }
      }
      todo = next;
      if (depth - start > seen.size)
        throw new InventoryError(file, `The group named '${this.name}' has a recursive dependency loop.`, { group: this.name });
    }
  }

  addHost(h: InvHost): boolean {
    if (this.hosts.some((x) => x.name === h.name)) return false;
    this.hosts.push(h);
    h.addGroup(this);
    return true;
  }

  removeHost(h: InvHost): void {
    const i = this.hosts.indexOf(h);
    if (i < 0) return;
    this.hosts.splice(i, 1);
    h.removeGroup(this);
  }

  setVariable(file: string, key: string, value: unknown): void {
    if (key === 'ansible_group_priority') {
      const n =
        typeof value === 'number' ? Math.trunc(value) : typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (Number.isNaN(n))
        throw new InventoryError(file, `ansible_group_priority must be an integer, not ${JSON.stringify(value)}`, {
          group: this.name,
          field: key,
        });
      this.priority = n;
    } else this.vars[key] = value;
  }

  /** Hosts of this group and its descendants, deduplicated, in Ansible's order. */
  allHosts(): InvHost[] {
    const out: InvHost[] = [];
    const seen = new Set<InvHost>();
    for (const g of this.descendants(true)) {
      for (const h of g.hosts) {
        if (seen.has(h)) continue;
        seen.add(h);
        if (this.name === 'all' && h.implicit) continue;
        out.push(h);
      }
    }
    return out;
  }
}

function walk(start: InvGroup, rel: 'parents' | 'children', includeSelf: boolean): InvGroup[] {
  const seen = new Set<InvGroup>();
  let todo = new Set<InvGroup>(start[rel]);
  if (includeSelf) todo = new Set([start, ...todo]);
  const ordered: InvGroup[] = includeSelf ? [start, ...start[rel]] : [...start[rel]];
  while (todo.size) {
    for (const g of todo) seen.add(g);
    const next = new Set<InvGroup>();
    for (const g of todo) {
      for (const item of g[rel]) {
        next.add(item);
        if (!seen.has(item) && !ordered.includes(item)) ordered.push(item);
      }
    }
    for (const g of seen) next.delete(g);
    todo = next;
  }
  return ordered;
}

export class InvHost {
  vars: Vars = {};
  readonly groups: InvGroup[] = [];
  implicit = false;
  constructor(readonly name: string) {}

  addGroup(g: InvGroup): void {
    for (const a of g.ancestors()) if (!this.groups.includes(a)) this.groups.push(a);
    if (!this.groups.includes(g)) this.groups.push(g);
  }

  removeGroup(g: InvGroup): void {
    const i = this.groups.indexOf(g);
    if (i < 0) return;
    this.groups.splice(i, 1);
    for (const old of g.ancestors()) {
      if (old.name === 'all') continue;
      if (!this.groups.some((c) => c.ancestors().includes(old))) this.removeGroup(old);
    }
  }

  setVariable(key: string, value: unknown): void {
    this.vars[key] = value;
  }
}

export class InventoryData {
  readonly groups = new Map<string, InvGroup>();
  readonly hosts = new Map<string, InvHost>();
  localhost?: InvHost;
  /** Ansible's warnings, in order; the caller prints them once. */
  readonly warnings: string[] = [];
  private warnedNames = false;

  constructor() {
    this.addGroup('-', 'all');
    this.addGroup('-', 'ungrouped');
    this.addChild('-', 'all', 'ungrouped');
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  addGroup(file: string, name: string): string {
    if (!name) throw new InventoryError(file, `Invalid empty/false group name provided: ${name}`);
    if (!this.groups.has(name)) {
      if (INVALID_NAME.test(name) && !this.warnedNames) {
        this.warnedNames = true;
        this.warn('Invalid characters were found in group names but not replaced, use -vvvv to see details');
      }
      this.groups.set(name, new InvGroup(name));
    }
    return name;
  }

  group(name: string): InvGroup | undefined {
    return this.groups.get(name);
  }

  addHost(file: string, name: string, group?: string, port?: number): string {
    if (!name) throw new InventoryError(file, `Invalid empty host name provided: ${name}`);
    const g = group ? this.groups.get(group) : undefined;
    if (group && !g) throw new InventoryError(file, `Could not find group ${group} in inventory`);
    let h = this.hosts.get(name);
    if (!h) {
      h = new InvHost(name);
      if (port) h.setVariable('ansible_port', port);
      this.hosts.set(name, h);
      if (LOCALHOST.includes(name)) {
        if (!this.localhost) this.localhost = h;
        else this.warn(`A duplicate localhost-like entry was found (${name}). First found localhost was ${this.localhost.name}`);
      }
    }
    g?.addHost(h);
    return name;
  }

  setVariable(file: string, entity: string, key: string, value: unknown): void {
    const g = this.groups.get(entity);
    if (g) return g.setVariable(file, key, value);
    const h = this.hosts.get(entity);
    if (!h) throw new InventoryError(file, `Could not identify group or host named ${entity}`);
    h.setVariable(key, value);
  }

  addChild(file: string, group: string, child: string): boolean {
    const g = this.groups.get(group);
    if (!g) throw new InventoryError(file, `${group} is not a known group`);
    const cg = this.groups.get(child);
    if (cg) return g.addChild(file, cg);
    const ch = this.hosts.get(child);
    if (ch) return g.addHost(ch);
    throw new InventoryError(file, `${child} is not a known host nor group`);
  }

  /** Ansible's reconcile_inventory: top groups under `all`, lone hosts in `ungrouped`. */
  reconcile(): void {
    const all = this.groups.get('all')!;
    const ungrouped = this.groups.get('ungrouped')!;
    for (const g of this.groups.values()) if (g !== all && g.ancestors().length === 0) all.addChild('-', g);
    for (const h of this.hosts.values()) {
      if (h.groups.includes(ungrouped)) {
        if (h.groups.some((g) => g !== all && g !== ungrouped)) ungrouped.removeHost(h);
      } else if (!h.implicit && (h.groups.length === 0 || (h.groups.length === 1 && h.groups[0] === all))) {
        ungrouped.addHost(h);
      }
    }
    for (const name of this.groups.keys()) if (this.hosts.has(name)) this.warn(`Found both group and host with same name: ${name}`);
  }

  /** A host by name; `localhost`, `127.0.0.1` and `::1` exist implicitly (connection local). */
  getHost(name: string): InvHost | undefined {
    const h = this.hosts.get(name);
    if (h || !LOCALHOST.includes(name)) return h;
    if (!this.localhost) {
      const l = new InvHost(name);
      l.implicit = true;
      l.vars = { ansible_connection: 'local' };
      this.localhost = l;
    }
    return this.localhost;
  }
}

/** Ansible's sort_groups: by depth, then ansible_group_priority, then name. */
export function sortGroups(groups: InvGroup[]): InvGroup[] {
  return [...groups].sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
