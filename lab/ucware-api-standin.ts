// STAND-IN for the UCware JSON-RPC API — NOT the real UCware software.
// It mimics the wire format known from public UCware clients (see docs/ucware-update-v5.md):
//   POST https://HOST/api/2/<namespace>/<interface>  {"jsonrpc":"2.0","method":...,"params":[positional],"id":...}
//   auth: HTTP Basic (user/password) or `Authorization: Bearer <token>`, from $LAB_DIR/secrets/api.json
// One process per (non-light) lab host, started by the host's supervisor inside the host's network
// namespace on 127.0.0.1:8099; the host's nginx proxies /api/ to it. Restarted after a reboot and
// after a crash (api-restart-delay). State: $LAB_DIR/hosts/labN/api-state.json, seeded with 4.5-era data.
//
// Version-aware: while the host's installed ucware-core (read from its dpkg status) is < 5, the
// v5-only parts answer like a 4.5 server: admin/slot/* is "Method not found" and a user holds at most
// one number.
//
// Crash injection: `npm run lab -- set labN api-crash-after N` writes control/api-crash-after; the
// process exits (code 70) right after answering the N-th successful write call counted from the
// moment the flag was set, and removes the flag (one-shot). The supervisor restarts it after
// control/api-restart-delay seconds (default 1). Writes are persisted before the answer is sent.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labDir as defaultDir } from './state.ts';

const hostDir = process.argv[2];
if (!hostDir) {
  console.error('usage: ucware-api-standin.ts HOSTDIR');
  process.exit(2);
}
const labDir = defaultDir();
const PORT = Number(process.env.LAB_API_PORT || 8099);
const stateFile = join(hostDir, 'api-state.json');
const crashFlag = join(hostDir, 'control', 'api-crash-after');
// inside a systemd host (ucware-api.service) the credentials and dpkg status are at other paths
const credsFile = process.env.LAB_API_CREDENTIALS || join(labDir, 'secrets', 'api.json');
const dpkgStatus = process.env.LAB_API_DPKG_STATUS || join(hostDir, 'root', 'var', 'lib', 'dpkg', 'status');
const creds = JSON.parse(readFileSync(credsFile, 'utf8')) as { user: string; password: string; token: string };

export type DeviceType = 'mac' | 'webrtc' | 'sip-ua' | 'mobile' | 'ipei' | 'app';
export interface Extension {
  number: string;
  type: 'phone' | 'fax' | 'mobile';
}
export interface User {
  id: number;
  username: string;
  firstName: string;
  lastName: string;
  email: string | null;
  extensions: Extension[];
  license: string | null;
}
export interface Slot {
  id: number;
  deviceType: DeviceType;
  name: string;
  userId: number;
  extensions: string[];
}
export interface Permission {
  permission: string;
  targetGroup: number | null;
}
export interface Group {
  id: number;
  name: string;
  title: string;
  type: 'user' | 'fax' | 'extension';
  members: (number | string)[];
  permissions: Permission[];
}
export interface State {
  nextId: number;
  users: User[];
  slots: Slot[];
  groups: Group[];
}

function seed(): State {
  const u = (id: number, username: string, firstName: string, lastName: string, email: string | null, ext: Extension[]): User => ({
    id,
    username,
    firstName,
    lastName,
    email,
    extensions: ext,
    license: 'ucc',
  });
  const users = [
    u(1, 'supervisor', 'Super', 'Visor', null, [{ number: '100', type: 'phone' }]),
    // 4.5 workaround: the same person created several times, one number each (to merge in v5)
    u(2, 'mmueller', 'Max', 'Müller', 'max.mueller@example.com', [{ number: '201', type: 'phone' }]),
    u(3, 'mmueller2', 'Max', 'Müller', 'max.mueller@example.com', [{ number: '202', type: 'mobile' }]),
    u(4, 'mueller-fax', 'Max', 'Müller', 'max.mueller@example.com', [{ number: '291', type: 'fax' }]),
    u(5, 'aschmidt', 'Anna', 'Schmidt', 'anna.schmidt@example.com', [{ number: '210', type: 'phone' }]),
    u(6, 'aschmidt-fax', 'Anna', 'Schmidt', 'anna.schmidt@example.com', [{ number: '292', type: 'fax' }]),
    u(7, 'kweber', 'Klaus', 'Weber', 'klaus.weber@example.com', [{ number: '220', type: 'phone' }]),
    u(8, 'zentrale-fax', 'Fax', 'Zentrale', null, [{ number: '290', type: 'fax' }]),
  ];
  const slots: Slot[] = [
    { id: 101, deviceType: 'mac', name: 'Yealink T46 Empfang', userId: 1, extensions: ['100'] },
    { id: 102, deviceType: 'mac', name: 'Yealink T46 Müller', userId: 2, extensions: ['201'] },
    { id: 103, deviceType: 'mobile', name: 'Handy Müller', userId: 3, extensions: ['202'] },
    { id: 104, deviceType: 'mac', name: 'Yealink T54 Schmidt', userId: 5, extensions: ['210'] },
    { id: 105, deviceType: 'sip-ua', name: 'Softphone Weber', userId: 7, extensions: ['220'] },
  ];
  const groups: Group[] = [
    {
      id: 1,
      name: 'admin',
      title: 'Administratoren',
      type: 'user',
      members: [1],
      permissions: [{ permission: 'admin', targetGroup: null }],
    },
    // 4.5: the fax permission covers all internal fax numbers (targetGroup null)
    {
      id: 2,
      name: 'vertrieb',
      title: 'Vertrieb',
      type: 'user',
      members: [2, 3, 4, 5],
      permissions: [{ permission: 'fax', targetGroup: null }],
    },
    {
      id: 3,
      name: 'buchhaltung',
      title: 'Buchhaltung',
      type: 'user',
      members: [5, 6, 7],
      permissions: [
        { permission: 'fax', targetGroup: null },
        { permission: 'phonebook', targetGroup: null },
      ],
    },
    {
      id: 4,
      name: 'alle',
      title: 'Alle Benutzer',
      type: 'user',
      members: [1, 2, 3, 4, 5, 6, 7, 8],
      permissions: [{ permission: 'phonebook', targetGroup: null }],
    },
  ];
  return { nextId: 1000, users, slots, groups };
}

function load(): State {
  if (!existsSync(stateFile)) save(seed());
  return JSON.parse(readFileSync(stateFile, 'utf8')) as State;
}
function save(s: State): void {
  writeFileSync(stateFile + '.tmp', JSON.stringify(s, null, 2) + '\n');
  renameSync(stateFile + '.tmp', stateFile);
}

/** installed ucware-core version, from the host's dpkg database (the overlay root) */
function ucwareVersion(): string {
  try {
    const status = readFileSync(dpkgStatus, 'utf8');
    const stanza = status.split('\n\n').find((s) => /^Package: ucware-core$/m.test(s));
    return /^Version: (.+)$/m.exec(stanza ?? '')?.[1] ?? '0';
  } catch {
    return '0';
  }
}
const isV5 = () => Number(ucwareVersion().split('.')[0]) >= 5;

class RpcError extends Error {
  constructor(
    public code: number,
    message: string,
  ) {
    super(message);
  }
}
const invalid = (m: string) => new RpcError(-32602, `Invalid params: ${m}`);
const notFound = (what: string) => new RpcError(-32001, `${what} not found`);

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw notFound(what);
  return v;
}
function int(v: unknown, name: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw invalid(`${name} must be an integer`);
  return n;
}
function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || !v) throw invalid(`${name} must be a non-empty string`);
  return v;
}
function obj(v: unknown, name: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${name} must be an object`);
  return v as Record<string, unknown>;
}
function numberOwner(s: State, number: string): User | undefined {
  return s.users.find((u) => u.extensions.some((e) => e.number === number));
}

type Method = { write: boolean; fn: (s: State, p: unknown[]) => unknown };
const W = (fn: Method['fn']): Method => ({ write: true, fn });
const R = (fn: Method['fn']): Method => ({ write: false, fn });
const DEVICE_TYPES = ['mac', 'webrtc', 'sip-ua', 'mobile', 'ipei', 'app'];

const api: Record<string, Record<string, Method>> = {
  'admin/user': {
    getAll: R((s) => s.users),
    getUser: R((s, [id]) =>
      need(
        s.users.find((u) => u.id === int(id, 'userId')),
        `User ${id}`,
      ),
    ),
    newUser: W((s, [data]) => {
      const d = obj(data, 'user');
      const username = str(d.username, 'username');
      if (s.users.some((u) => u.username === username)) throw new RpcError(-32002, `User name ${username} already exists`);
      const u: User = {
        id: s.nextId++,
        username,
        firstName: String(d.firstName ?? ''),
        lastName: String(d.lastName ?? ''),
        email: typeof d.email === 'string' ? d.email : null,
        extensions: [],
        license: null,
      };
      s.users.push(u);
      return u;
    }),
    updateUser: W((s, [data]) => {
      const d = obj(data, 'user');
      const u = need(
        s.users.find((x) => x.id === int(d.id, 'id')),
        `User ${d.id}`,
      );
      if (d.username !== undefined && d.username !== u.username) {
        const n = str(d.username, 'username');
        if (s.users.some((x) => x.username === n)) throw new RpcError(-32002, `User name ${n} already exists`);
        u.username = n;
      }
      for (const k of ['firstName', 'lastName', 'email'] as const)
        if (d[k] !== undefined) (u as unknown as Record<string, unknown>)[k] = d[k];
      return u;
    }),
    deleteUser: W((s, [id]) => {
      const uid = int(id, 'userId');
      need(
        s.users.find((u) => u.id === uid),
        `User ${uid}`,
      );
      s.users = s.users.filter((u) => u.id !== uid);
      s.slots = s.slots.filter((sl) => sl.userId !== uid); // a user's devices (and profiles) go with it
      for (const g of s.groups) if (g.type === 'user') g.members = g.members.filter((m) => m !== uid);
      return true;
    }),
    /** assignExtension(userId, number, assign): assign=true adds the number to the user, false removes it */
    assignExtension: W((s, [id, number, assign]) => {
      const u = need(
        s.users.find((x) => x.id === int(id, 'userId')),
        `User ${id}`,
      );
      const num = str(String(number ?? ''), 'number');
      if (typeof assign !== 'boolean') throw invalid('third parameter must be a boolean');
      const owner = numberOwner(s, num);
      if (!assign) {
        if (owner?.id !== u.id) throw new RpcError(-32003, `Number ${num} is not assigned to user ${u.id}`);
        u.extensions = u.extensions.filter((e) => e.number !== num);
        for (const sl of s.slots) if (sl.userId === u.id) sl.extensions = sl.extensions.filter((n) => n !== num);
        return true;
      }
      if (owner && owner.id !== u.id) throw new RpcError(-32003, `Number ${num} is assigned to user ${owner.id} (${owner.username})`);
      if (owner) return true;
      if (!isV5() && u.extensions.length >= 1) throw new RpcError(-32004, 'UCware 4.5 allows only one number per user');
      const fax = s.groups.some((g) => g.type === 'fax' && g.members.includes(num));
      u.extensions.push({ number: num, type: fax ? 'fax' : 'phone' });
      return true;
    }),
    setPassword: W((s, [id, pw]) => {
      need(
        s.users.find((u) => u.id === int(id, 'userId')),
        `User ${id}`,
      );
      str(pw, 'password');
      return true;
    }),
    setPin: W((s, [id, pin]) => {
      need(
        s.users.find((u) => u.id === int(id, 'userId')),
        `User ${id}`,
      );
      str(String(pin ?? ''), 'pin');
      return true;
    }),
    assignLicense: W((s, [id, lic]) => {
      const u = need(
        s.users.find((x) => x.id === int(id, 'userId')),
        `User ${id}`,
      );
      u.license = lic === null ? null : str(lic, 'license');
      return true;
    }),
  },
  'admin/slot': {
    getAll: R((s) => s.slots),
    newSlot: W((s, [data]) => {
      const d = obj(data, 'slot');
      const deviceType = str(d.deviceType, 'deviceType');
      if (!DEVICE_TYPES.includes(deviceType)) throw invalid(`deviceType must be one of ${DEVICE_TYPES.join(', ')}`);
      const userId = int(d.userId, 'userId');
      need(
        s.users.find((u) => u.id === userId),
        `User ${userId}`,
      );
      const sl: Slot = { id: s.nextId++, deviceType: deviceType as DeviceType, name: str(d.name, 'name'), userId, extensions: [] };
      s.slots.push(sl);
      return sl;
    }),
    /** assignExtension(slotId, number): tick a number of the slot's user on that slot */
    assignExtension: W((s, [id, number]) => {
      const sl = need(
        s.slots.find((x) => x.id === int(id, 'slotId')),
        `Slot ${id}`,
      );
      const num = str(String(number ?? ''), 'number');
      const owner = numberOwner(s, num);
      if (owner?.id !== sl.userId) throw new RpcError(-32003, `Number ${num} does not belong to the slot's user ${sl.userId}`);
      if (!sl.extensions.includes(num)) sl.extensions.push(num);
      return true;
    }),
  },
  'admin/group': {
    getAll: R((s) => Object.fromEntries(s.groups.map((g) => [String(g.id), g]))),
    getGroupByName: R((s, [name]) =>
      need(
        s.groups.find((g) => g.name === str(name, 'name')),
        `Group ${name}`,
      ),
    ),
    /** assignMember(memberId, groupId): a user id (user groups) or a number (fax/extension groups) */
    assignMember: W((s, [member, gid]) => {
      const g = need(
        s.groups.find((x) => x.id === int(gid, 'groupId')),
        `Group ${gid}`,
      );
      let m: number | string;
      if (g.type === 'user') {
        m = int(member, 'memberId');
        need(
          s.users.find((u) => u.id === m),
          `User ${m}`,
        );
      } else m = str(String(member ?? ''), 'memberId');
      if (!g.members.includes(m)) g.members.push(m);
      return true;
    }),
  },
};

// ---------- crash injection ----------
let crashMark = ''; // identity of the flag file we are counting for
let crashCount = 0;
function crashDue(): boolean {
  let n: number;
  let mark: string;
  try {
    const st = statSync(crashFlag);
    mark = `${st.mtimeMs}:${st.ino}`;
    n = Number(readFileSync(crashFlag, 'utf8').trim());
  } catch {
    crashMark = '';
    return false;
  }
  if (mark !== crashMark) {
    crashMark = mark;
    crashCount = 0;
  }
  crashCount++;
  if (!(Number.isFinite(n) && crashCount >= n)) return false;
  rmSync(crashFlag, { force: true });
  return true;
}

// ---------- HTTP ----------
function authorized(req: IncomingMessage): boolean {
  const h = req.headers.authorization ?? '';
  if (h.startsWith('Bearer ')) return h.slice(7).trim() === creds.token;
  if (h.startsWith('Basic ')) {
    const [user, ...rest] = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8').split(':');
    return user === creds.user && rest.join(':') === creds.password;
  }
  return false;
}
function send(res: ServerResponse, status: number, body: unknown, after?: () => void): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text, after);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const m = /^\/api\/2\/([a-z]+\/[a-z]+)\/?$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const log = (msg: string) => console.log(`${new Date().toISOString()} ${req.method} ${req.url} ${msg}`);
    if (!authorized(req)) {
      log('401');
      res.writeHead(401, { 'www-authenticate': 'Basic realm="UCware"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Unauthorized' }));
      return;
    }
    if (req.method !== 'POST') {
      log('405');
      send(res, 405, { error: 'Method Not Allowed' });
      return;
    }
    let msg: { jsonrpc?: unknown; method?: unknown; params?: unknown; id?: unknown };
    try {
      msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      send(res, 200, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
      return;
    }
    const id = msg.id ?? null;
    if (msg.jsonrpc !== '2.0' || typeof msg.method !== 'string' || (msg.params !== undefined && !Array.isArray(msg.params))) {
      send(res, 200, { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request (positional params expected)' }, id });
      return;
    }
    const ns = m?.[1];
    const method = ns ? api[ns]?.[msg.method] : undefined;
    if (!method || (ns === 'admin/slot' && !isV5())) {
      log(`${msg.method} -32601`);
      send(res, 200, { jsonrpc: '2.0', error: { code: -32601, message: `Method not found: ${ns ?? req.url}.${msg.method}` }, id });
      return;
    }
    try {
      const state = load();
      const result = method.fn(state, (msg.params as unknown[]) ?? []);
      if (method.write) save(state);
      const crash = method.write && crashDue();
      log(`${msg.method} ok${crash ? ' — injected crash now' : ''}`);
      send(
        res,
        200,
        { jsonrpc: '2.0', result, id },
        crash
          ? () => {
              console.log('injected crash: exiting');
              process.exit(70);
            }
          : undefined,
      );
    } catch (e) {
      const err =
        e instanceof RpcError ? { code: e.code, message: e.message } : { code: -32603, message: `Internal error: ${(e as Error).message}` };
      log(`${msg.method} error ${err.code}`);
      send(res, 200, { jsonrpc: '2.0', error: err, id });
    }
  });
});
server.listen(PORT, '127.0.0.1', () => console.log(`${new Date().toISOString()} UCware API stand-in for ${hostDir} on 127.0.0.1:${PORT}`));
process.on('SIGTERM', () => process.exit(0));
