// Attacks on httpCheck (issue 14, items 6, 7, 10, 12) with real servers on loopback and real
// curl/openssl processes (the host is the controller itself, `connection: local`): a pinned
// https server that redirects to plain http or to another origin, a server that shows the
// pinned certificate to the first connection and another to the second, a slow server while
// `ps` is read for the token, a server that sends without end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook } from '../../runner/cli/run.ts';
import { playbook, type Item } from '../../runner/model/dsl.ts';
import { secret } from '../../runner/module.ts';
import { httpCheck } from '../../modules/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ucw-sechttp-'));
const TOKEN = 'tok-3f9a7c21e8b4d6';
const inventory = join(dir, 'inv.yml');
writeFileSync(inventory, 'all:\n  hosts:\n    me: { connection: local }\n');

function makeCert(name: string) {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
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
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const pem = readFileSync(cert, 'utf8');
  return { key: readFileSync(key, 'utf8'), cert: pem, file: cert, pin: new X509Certificate(pem).fingerprint256 };
}
const good = makeCert('good');
const evil = makeCert('evil');

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  cert: 'good' | 'evil' | 'none';
}
const seen: Seen[] = [];
const credentialsSeen = (where: (s: Seen) => boolean) =>
  seen.filter((s) => where(s) && (s.headers.authorization || s.headers['x-api-key'])).map((s) => `${s.cert} ${s.path}`);

let tlsServer: HttpsServer;
let plain: Server;
let other: Server;
let tlsPort = 0;
let plainPort = 0;
let otherPort = 0;
let bigSent = 0;
let swapCert = false;

function routes(kind: Seen['cert'], req: IncomingMessage, res: ServerResponse) {
  seen.push({ path: req.url ?? '', headers: req.headers, cert: kind });
  const go = (to: string) => res.writeHead(302, { location: to }).end();
  switch (req.url) {
    case '/downgrade':
      return go(`http://127.0.0.1:${plainPort}/steal`);
    case '/elsewhere':
      return go(`http://127.0.0.2:${otherPort}/steal`);
    case '/hop':
      return go('/ok');
    case '/loop':
      return go('/loop');
    case '/slow':
      return void setTimeout(() => res.end('slow ok'), 1500);
    case '/big': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(256 * 1024, 'x');
      const pump = () => {
        while (bigSent < 64 << 20 && !res.destroyed) {
          bigSent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    default:
      return void res.end('ok');
  }
}

const listen = (s: Server | HttpsServer, host: string) =>
  new Promise<number>((r) => s.listen(0, host, () => r((s.address() as AddressInfo).port)));

test.before(async () => {
  tlsServer = createHttps({ key: good.key, cert: good.cert }, (req, res) =>
    routes((req.socket as unknown as { ucwCert: Seen['cert'] }).ucwCert, req, res),
  );
  // The second attack: the first TLS connection sees the pinned certificate, every later one another.
  tlsServer.on('secureConnection', (sock) => {
    (sock as unknown as { ucwCert: Seen['cert'] }).ucwCert = swapCert ? 'evil' : 'good';
    if (swapCert) return;
    if ((tlsServer as unknown as { ucwSwapNext?: boolean }).ucwSwapNext) {
      swapCert = true;
      tlsServer.setSecureContext({ key: evil.key, cert: evil.cert });
    }
  });
  plain = createHttp((req, res) => routes('none', req, res));
  other = createHttp((req, res) => routes('none', req, res));
  tlsPort = await listen(tlsServer, '127.0.0.1');
  plainPort = await listen(plain, '127.0.0.1');
  otherPort = await listen(other, '127.0.0.2');
});

test.after(async () => {
  for (const s of [tlsServer, plain, other]) s.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function run(items: Item[]) {
  const id = n++;
  const g = globalThis as unknown as { __ucwSecHttp?: unknown[] };
  (g.__ucwSecHttp ??= [])[id] = playbook({ name: `sechttp-${id}` }, items);
  const file = join(dir, `pb-${id}.ts`);
  writeFileSync(file, `export default (globalThis as any).__ucwSecHttp[${id}];\n`);
  const lines: string[] = [];
  const json = join(dir, `ev-${id}.jsonl`);
  const r = await runPlaybook({ playbook: file, inventory, logsDir: join(dir, 'logs'), view: 'plain', write: (l) => lines.push(l), json });
  const written = [readFileSync(json, 'utf8'), ...readdirSync(r.logDir).map((f) => readFileSync(join(r.logDir, f), 'utf8'))].join('\n');
  return { ...r, out: lines.join('\n'), written };
}

const auth = { authorization: `Bearer ${TOKEN}`, 'x-api-key': secret(TOKEN) };

test('item 6: with a pin, a redirect from https to http is refused and the token never goes out in clear', async () => {
  for (const from of ['controller', 'target'] as const) {
    seen.length = 0;
    const r = await run([httpCheck({ url: `https://localhost:${tlsPort}/downgrade`, pinSha256: good.pin, headers: auth, from })]);
    assert.is(r.exitCode, 2, `${from}: the check must fail\n${r.out}`);
    assert.match(r.out, /leaves TLS, and a pin or CA file is set: refused/);
    assert.equal(
      credentialsSeen((s) => s.cert === 'none'),
      [],
      `${from}: the token reached the plain-http server`,
    );
  }
});

test('item 6: a redirect to another origin carries no credentials; the redirect limit holds; the report names the final URL', async () => {
  for (const from of ['controller', 'target'] as const) {
    seen.length = 0;
    const r = await run([httpCheck({ url: `http://127.0.0.1:${plainPort}/elsewhere`, headers: auth, from })]);
    assert.is(r.exitCode, 0, r.out);
    assert.ok(
      seen.some((s) => s.path === '/steal'),
      'the redirect was followed',
    );
    assert.equal(
      credentialsSeen((s) => s.path === '/steal'),
      [],
      `${from}: credentials went to another origin`,
    );
    assert.match(
      r.out,
      new RegExp(
        `200 from http://127\\.0\\.0\\.2:${otherPort}/steal \\(after 1 redirect from http://127\\.0\\.0\\.1:${plainPort}/elsewhere\\)`,
      ),
    );
    const loop = await run([httpCheck({ url: `http://127.0.0.1:${plainPort}/loop`, from })]);
    assert.is(loop.exitCode, 2);
    assert.match(loop.out, /more than 5 redirects/);
  }
  const hop = await run([httpCheck({ url: `https://localhost:${tlsPort}/hop`, pinSha256: good.pin })]);
  assert.match(hop.out, new RegExp(`200 from https://localhost:${tlsPort}/ok \\(pinned certificate\\) \\(after 1 redirect`));
});

test('item 7: from the host, the pin is enforced on the connection that carries the request', async () => {
  seen.length = 0;
  (tlsServer as unknown as { ucwSwapNext?: boolean }).ucwSwapNext = true;
  const r = await run([httpCheck({ url: `https://localhost:${tlsPort}/ok`, pinSha256: good.pin, headers: auth, from: 'target' })]);
  (tlsServer as unknown as { ucwSwapNext?: boolean }).ucwSwapNext = false;
  tlsServer.setSecureContext({ key: good.key, cert: good.cert });
  swapCert = false;
  assert.is(r.exitCode, 2, `a connection with another certificate must fail the check\n${r.out}`);
  assert.equal(
    credentialsSeen((s) => s.cert === 'evil'),
    [],
    'the token went to the server with the other certificate',
  );
});

test('item 10: header values from the host go to curl on stdin: not in any argv, not in any log', async () => {
  const argvHits = new Set<string>();
  let polling = true;
  const poll = (async () => {
    while (polling) {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (cmd.includes(TOKEN)) argvHits.add(cmd.replace(/\0/g, ' ').slice(0, 200));
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  seen.length = 0;
  const r = await run([
    httpCheck({ url: `https://localhost:${tlsPort}/slow`, pinSha256: good.pin, headers: auth, from: 'target', contains: 'slow ok' }),
  ]);
  polling = false;
  await poll;
  assert.is(r.exitCode, 0, r.out);
  assert.ok(
    seen.some((s) => s.path === '/slow' && s.headers.authorization === `Bearer ${TOKEN}` && s.headers['x-api-key'] === TOKEN),
    'the headers arrived',
  );
  assert.equal([...argvHits], [], 'the token was in a process argv');
  assert.not.ok(r.written.includes(TOKEN) || r.out.includes(TOKEN), 'the token is in a log');
});

test('item 12: a body is capped while it is read (a server that sends 64 MiB is cut off near 1 MiB)', async () => {
  for (const from of ['controller', 'target'] as const) {
    bigSent = 0;
    const started = Date.now();
    const r = await run([httpCheck({ url: `http://127.0.0.1:${plainPort}/big`, contains: 'xxxx', from, timeoutSec: 20 })]);
    assert.is(r.exitCode, 0, r.out);
    if (from === 'controller') assert.ok(bigSent < 16 << 20, `${from}: the server sent ${bigSent} bytes before the reader stopped`);
    assert.ok(r.written.length < 8 << 20, `${from}: ${r.written.length} characters of logs and events for a 1 MiB cap`);
    assert.ok(Date.now() - started < 15_000, `${from}: took ${Date.now() - started} ms`);
  }
});

test.run();
