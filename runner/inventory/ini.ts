/**
 * Ansible's INI inventory dialect (plugins/inventory/ini.py): lines before any section are
 * `[ungrouped]`; `[g]` hosts with `k=v` vars, `[g:vars]` and `[g:children]`, ranges, `host:port`,
 * `#`/`;` comments. A `[g:vars]` or `[g:children]` entry may name a group declared later; one
 * never declared is an error, as in Ansible. Errors carry `file:line:` like Ansible's.
 *
 * @example
 * parseIni(data, 'hosts', '[web]\nweb[1:2] ansible_port=2222\n[web:vars]\nntp=ntp.example.com\n')
 */
import { InventoryError } from '../model/errors.ts';
import type { InventoryData } from './data.ts';
import { expandHostPattern } from './ranges.ts';
import { literalEval, shlexSplit } from './pyLiteral.ts';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/u;
const GROUPNAME = /^([^:\]\s]+)\s*(?:#.*)?$/u;

interface Pending {
  line: number;
  state: 'vars' | 'children';
  name: string;
  parents: string[];
}

export function parseIni(inv: InventoryData, file: string, text: string): void {
  let group = 'ungrouped';
  let state = 'hosts';
  let lineno = 0;
  const pending = new Map<string, Pending>();
  const fail = (message: string): never => {
    throw new InventoryError(file, `${lineno}: ${message}`);
  };
  for (const raw of text.split(/\r\n|\r|\n/)) {
    lineno++;
    const line = raw.trim();
    if (!line || line[0] === '#' || line[0] === ';') continue;
    const m = SECTION.exec(line);
    if (m) {
      group = m[1]!;
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) fail(`Section [${m[1]}:${m[2]}] has unknown type: ${state}`);
      if (!inv.groups.has(group)) {
        if (state === 'vars' && !pending.has(group)) pending.set(group, { line: lineno, state: 'vars', name: group, parents: [] });
        inv.addGroup(file, group);
      }
      const p = pending.get(group);
      if (p && state !== 'vars') {
        if (p.state === 'children') addPendingChildren(inv, file, group, pending);
        else pending.delete(group);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      fail(
        `Invalid section entry: '${line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters`,
      );
    }
    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        fail(`Error parsing host definition '${line}': ${(e as Error).message}`);
      }
      const first = tokens![0]!;
      const { names, port } = expandHostPattern(file, first);
      if (first.trim().endsWith(':') && port === undefined) {
        fail(`Invalid host pattern '${first}' supplied, ending in ':' is not allowed, this character is reserved to provide a port.`);
      }
      if (names.some((n) => n.trim() === '---'))
        fail(`Invalid host pattern '${first}' supplied, '---' is normally a sign this is a YAML file.`);
      const vars: Record<string, unknown> = {};
      for (const t of tokens!.slice(1)) {
        const eq = t.indexOf('=');
        if (eq < 0) fail(`Expected key=value host variable assignment, got: ${t}`);
        vars[t.slice(0, eq)] = literalEval(t.slice(eq + 1));
      }
      for (const h of names) {
        inv.addHost(file, h, group, port);
        for (const [k, v] of Object.entries(vars)) inv.setVariable(file, h, k, v);
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) fail(`Expected key=value, got: ${line}`);
      inv.setVariable(file, group, line.slice(0, eq).trim(), literalEval(line.slice(eq + 1).trim()));
    } else {
      const gm = GROUPNAME.exec(line);
      if (!gm) fail(`Expected group name, got: ${line}`);
      const child = gm![1]!;
      if (!inv.groups.has(child)) {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: lineno, state: 'children', name: child, parents: [group] });
        else p.parents.push(group);
      } else inv.addChild(file, group, child);
    }
  }
  for (const p of pending.values()) {
    if (p.state === 'vars') throw new InventoryError(file, `${p.line}: Section [${p.name}:vars] not valid for undefined group: ${p.name}`);
    throw new InventoryError(file, `${p.line}: Section [${p.parents[p.parents.length - 1]}:children] includes undefined group: ${p.name}`);
  }
}

function addPendingChildren(inv: InventoryData, file: string, group: string, pending: Map<string, Pending>): void {
  for (const parent of pending.get(group)!.parents) {
    inv.addChild(file, parent, group);
    const pp = pending.get(parent);
    if (pp && pp.state === 'children') addPendingChildren(inv, file, parent, pending);
  }
  pending.delete(group);
}
