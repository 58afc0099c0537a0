/**
 * STAND-IN for the Proxmox VE HTTP API (no real Proxmox can run here). It follows the
 * documented paths, token header and task life cycle closely enough to exercise our client:
 *   GET/POST /api2/json/nodes/{node}/qemu/{vmid}/snapshot
 *   POST     /api2/json/nodes/{node}/qemu/{vmid}/snapshot/{name}/rollback
 *   DELETE   /api2/json/nodes/{node}/qemu/{vmid}/snapshot/{name}
 *   GET      /api2/json/nodes/{node}/tasks/{upid}/status   → running, then stopped + exitstatus
 * Writes return `{ data: "UPID:…" }`; bodies are form-encoded; auth is
 * `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`.
 */
import { createServer, type Server } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProxmoxStandin {
  url: string;
  certFile: string;
  /** vmid → snapshot names */
  snapshots: Map<number, { name: string; description: string; snaptime: number }[]>;
  calls: string[];
  /** The next task ends with this exitstatus instead of OK. */
  failNextTask?: string;
  close(): Promise<void>;
}

export async function startProxmoxStandin(o: {
  node: string;
  tokenId: string;
  secret: string;
  pollsPerTask?: number;
}): Promise<ProxmoxStandin> {
  const dir = mkdtempSync(join(tmpdir(), 'pve-standin-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=pve-standin',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const tasks = new Map<string, { polls: number; exitstatus: string; then: () => void }>();
  let seq = 0;
  const state: ProxmoxStandin = { url: '', certFile: cert, snapshots: new Map(), calls: [], close: async () => {} };
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const send = (status: number, data: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status < 300 ? { data } : { errors: data, data: null }));
      };
      state.calls.push(`${req.method} ${req.url}`);
      if (req.headers.authorization !== `PVEAPIToken=${o.tokenId}=${o.secret}`) return send(401, 'authentication failure');
      const url = new URL(req.url!, 'https://x');
      const form = Object.fromEntries(new URLSearchParams(body));
      const m = /^\/api2\/json\/nodes\/([^/]+)\/(?:qemu\/(\d+)\/snapshot(?:\/([^/]+)(\/rollback)?)?|tasks\/([^/]+)\/status)$/.exec(
        url.pathname,
      );
      if (!m || decodeURIComponent(m[1]!) !== o.node) return send(404, 'no such path');
      const task = (then: () => void) => {
        const upid = `UPID:${o.node}:0000${++seq}:qmsnapshot::root@pam:`;
        tasks.set(upid, { polls: o.pollsPerTask ?? 2, exitstatus: state.failNextTask ?? 'OK', then });
        state.failNextTask = undefined;
        return send(200, upid);
      };
      if (m[5]) {
        const t = tasks.get(decodeURIComponent(m[5]));
        if (!t) return send(404, 'no such task');
        if (--t.polls > 0) return send(200, { status: 'running' });
        if (t.exitstatus === 'OK') t.then();
        t.then = () => {};
        return send(200, { status: 'stopped', exitstatus: t.exitstatus });
      }
      const vmid = Number(m[2]);
      const snaps = state.snapshots.get(vmid) ?? [];
      state.snapshots.set(vmid, snaps);
      const name = m[3] ? decodeURIComponent(m[3]) : undefined;
      if (req.method === 'GET' && !name) return send(200, [...snaps, { name: 'current', description: 'You are here!' }]);
      if (req.method === 'POST' && !name) {
        if (!form.snapname) return send(400, { snapname: 'property is missing' });
        if (snaps.some((s) => s.name === form.snapname)) return send(500, `snapshot name '${form.snapname}' already used`);
        return task(() =>
          snaps.push({ name: form.snapname!, description: form.description ?? '', snaptime: Math.floor(Date.now() / 1000) }),
        );
      }
      const at = snaps.findIndex((s) => s.name === name);
      if (at < 0) return send(500, `snapshot '${name}' does not exist`);
      if (req.method === 'POST' && m[4]) return task(() => {});
      if (req.method === 'DELETE') return task(() => snaps.splice(at, 1));
      return send(501, 'not implemented in stand-in');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}
