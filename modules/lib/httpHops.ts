/**
 * httpCheck's requests, one hop at a time, so the redirect policy is the runner's and the same
 * from the controller and from the host: at most N redirects; never from https to http when a
 * pin or a CA file says whom to trust; headers (credentials) and the body go only to the origin
 * they were given for. From the host, curl gets its whole request (URL, headers, body) as a
 * config on stdin (`-K -`), never in argv, and enforces the pin itself on the connection that
 * carries the request (`--pinnedpubkey`).
 */
import { X509Certificate, createHash } from 'node:crypto';
import { httpFetch, sh, Secret, registerSecret, type ModuleContext } from '../../runner/module.ts';

/** A header value can be a secret (`secret(token)`): masked everywhere, never in argv. */
export type HeaderValue = string | Secret;

export interface Hop {
  url: URL;
  method: string;
  headers: Record<string, HeaderValue>;
  body?: string;
}

export interface HopAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body was longer than the cap and is its head only. */
  truncated?: boolean;
  certSha256?: string;
}

export interface HopPolicy {
  maxRedirects: number;
  /** A pin or CA file is set: leaving TLS on a redirect is refused. */
  trustPinned: boolean;
}

/** Redirects past the limit, a downgrade or a body sent on to another origin. */
export class RedirectRefused extends Error {}

export const reveal = (v: HeaderValue) => (v instanceof Secret ? v.reveal() : v);

/** Registers secret header values for masking; an Authorization or Cookie value is always one. */
export function registerHeaderSecrets(headers: Record<string, HeaderValue>): void {
  for (const [k, v] of Object.entries(headers)) {
    if (v instanceof Secret || /^(authorization|proxy-authorization|cookie|x-api-key)$/i.test(k)) {
      const text = reveal(v);
      registerSecret(text);
      registerSecret(text.replace(/^\S+\s+/, '')); // the credential of "Bearer <token>" alone
    }
  }
}

/** Pure: the next hop after a 3xx, or a refusal; undefined when the answer is not a redirect. */
export function nextHop(first: URL, hop: Hop, answer: HopAnswer, taken: number, policy: HopPolicy): Hop | undefined {
  const loc = answer.headers.location;
  if (answer.status < 300 || answer.status >= 400 || !loc || policy.maxRedirects === 0) return undefined;
  const url = new URL(loc, hop.url);
  if (taken >= policy.maxRedirects) throw new RedirectRefused(`more than ${policy.maxRedirects} redirects (the last to ${url.href})`);
  if (!/^https?:$/.test(url.protocol)) throw new RedirectRefused(`redirect from ${hop.url.href} to ${url.href}: only http and https`);
  if (policy.trustPinned && hop.url.protocol === 'https:' && url.protocol !== 'https:') {
    throw new RedirectRefused(`redirect from ${hop.url.href} to ${url.href} leaves TLS, and a pin or CA file is set: refused`);
  }
  const toGet = answer.status === 303 || ((answer.status === 301 || answer.status === 302) && hop.method === 'POST');
  const method = toGet ? 'GET' : hop.method;
  const body = toGet ? undefined : hop.body;
  const sameOrigin = url.origin === first.origin;
  if (!sameOrigin && body !== undefined)
    throw new RedirectRefused(`redirect from ${hop.url.href} to ${url.href} would send the request body to another origin: refused`);
  // Credentials were given for the first origin: once the chain leaves it, none go along, not even back.
  return { url, method, headers: sameOrigin ? hop.headers : {}, body };
}

/** Follows redirects by the policy; the answer names the URL that gave it. */
export async function follow(
  first: Hop,
  policy: HopPolicy,
  send: (hop: Hop) => Promise<HopAnswer>,
): Promise<HopAnswer & { url: string; hops: number }> {
  let hop = first;
  for (let taken = 0; ; taken++) {
    const answer = await send(hop);
    const next = nextHop(first.url, hop, answer, taken, policy);
    if (!next) return { ...answer, url: hop.url.href, hops: taken };
    hop = next;
  }
}

/** One request from the controller; the pin is checked on the socket that then carries it (runner/connection/https.ts). */
export async function nodeHop(hop: Hop, o: { caFile?: string; pinSha256?: string; deadline: number; maxBody: number }): Promise<HopAnswer> {
  const headers: Record<string, string> = { 'user-agent': 'ucw-runner httpCheck' };
  for (const [k, v] of Object.entries(hop.headers)) headers[k] = reveal(v);
  const r = await httpFetch({
    url: hop.url.href,
    method: hop.method,
    headers,
    body: hop.body,
    caFile: o.caFile,
    pinSha256: hop.url.protocol === 'https:' ? o.pinSha256 : undefined,
    timeoutMs: Math.max(1, o.deadline - Date.now()),
    maxBodyBytes: o.maxBody,
    overLimit: 'truncate',
  });
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { status: r.status, headers: h, body: r.body, truncated: r.truncated, certSha256: r.certSha256 };
}

const HOST_FILE_CAP = 64 << 20;

/** curl's config-file quoting: inside double quotes, backslash escapes `\\ \" \n \r \t`. */
export const curlQuote = (s: string) =>
  `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;

/** Pure: the curl config (read from stdin with `-K -`) for one hop: everything that could be secret. */
export function curlConfig(hop: Hop, o: { timeoutSec: number; caFile?: string; pubkeyPin?: string; maxBody: number }): string {
  const lines = [
    `url = ${curlQuote(hop.url.href)}`,
    `request = ${curlQuote(hop.method)}`,
    `max-time = ${o.timeoutSec}`,
    `max-filesize = ${HOST_FILE_CAP}`, // the host's disk: the body goes to a temp file there first
    'user-agent = "ucw-runner httpCheck"',
  ];
  if (o.caFile) lines.push(`cacert = ${curlQuote(o.caFile)}`);
  // curl checks the pin itself on this connection; -k only stops it from also wanting a CA for the self-signed certificate.
  if (o.pubkeyPin && hop.url.protocol === 'https:') lines.push(`pinnedpubkey = ${curlQuote(o.pubkeyPin)}`, 'insecure');
  for (const [k, v] of Object.entries(hop.headers)) lines.push(`header = ${curlQuote(`${k}: ${reveal(v)}`)}`);
  if (hop.body !== undefined) lines.push(`data-raw = ${curlQuote(hop.body)}`);
  return lines.join('\n') + '\n';
}

/**
 * One request from the host. Headers, the body head and a trailer come back on stdout; the
 * body is read from a temp file with `head -c`, so a server that sends without end costs the
 * controller no more than the cap.
 */
export async function curlHop(
  ctx: ModuleContext,
  hop: Hop,
  o: { timeoutSec: number; caFile?: string; pubkeyPin?: string; maxBody: number },
): Promise<HopAnswer> {
  const r = await ctx.run(curlCommand(o.maxBody), { stdin: curlConfig(hop, o), quiet: true, okExitCodes: 'any' });
  if (r.exitCode !== 0) throw new Error(`curl on ${ctx.host.name} exit ${r.exitCode}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
  const parsed = parseCurl(r.stdout);
  return {
    status: parsed.status,
    headers: parsed.headers,
    body: parsed.body,
    truncated: parsed.size !== undefined && parsed.size > o.maxBody,
  };
}

/** The host's side of one hop: curl reads its request from stdin; the body comes back cut at `maxBody` bytes. */
export function curlCommand(maxBody: number): string {
  return [
    't=$(mktemp -d) && trap \'rm -rf "$t"\' EXIT',
    sh`curl -sS -K - -D "$t/h" -o "$t/b" -w '%{http_code} %{url_effective}' > "$t/w"; rc=$?`,
    sh`cat "$t/h"; head -c ${String(maxBody)} "$t/b"; printf '\n@@ucw-http %s %s\n' "$(cat "$t/w")" "$(wc -c < "$t/b")"; exit $rc`,
  ].join('; ');
}

/** The certificate a host sees at host:port, as PEM (openssl), for the pin check. */
export const certCommand = (url: URL) =>
  sh`openssl s_client -connect ${`${url.hostname}:${url.port || 443}`} -servername ${url.hostname} </dev/null 2>/dev/null | openssl x509`;

/** Pure: curl's `-D` headers (one block per response: 100-continue, redirects) + body + the `@@ucw-http` trailer. */
export function parseCurl(out: string): { status: number; url: string; headers: Record<string, string>; body: string; size?: number } {
  const m = /\n?@@ucw-http (\d+) (\S*)(?: (\d+))?\n?$/.exec(out);
  if (!m) throw new Error('curl printed no status');
  let rest = out.slice(0, m.index);
  let headers: Record<string, string> = {};
  while (/^HTTP\/[\d.]+ \d+/.test(rest)) {
    const end = rest.search(/\r?\n\r?\n/);
    const block = end < 0 ? rest : rest.slice(0, end);
    headers = {};
    for (const line of block.split(/\r?\n/).slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    rest = end < 0 ? '' : rest.slice(end).replace(/^\r?\n\r?\n/, '');
  }
  return { status: Number(m[1]), url: m[2] ?? '', headers, body: rest, size: m[3] !== undefined ? Number(m[3]) : undefined };
}

/**
 * The certificate the host sees, read once with openssl: its fingerprint must be the pin, and
 * its public key becomes curl's `--pinnedpubkey`, so the request itself can only go over a
 * connection to the holder of that key (a server that answers the two connections differently
 * gets nothing). Parsed here, on the controller, not trusted from the host's openssl.
 */
export async function pubkeyPinFor(ctx: ModuleContext, url: URL, pin: string, normPin: (s: string) => string): Promise<string> {
  const r = await ctx.run(certCommand(url), { quiet: true, okExitCodes: 'any' });
  let cert: X509Certificate | undefined;
  try {
    cert = new X509Certificate(r.stdout);
  } catch {
    throw new Error(`no certificate from ${url.host} (seen from the host)`);
  }
  if (normPin(cert.fingerprint256) !== normPin(pin))
    throw new Error(`certificate of ${url.host} (seen from the host) has SHA-256 ${cert.fingerprint256}, not the pinned ${pin}`);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256//${createHash('sha256').update(spki).digest('base64')}`;
}
