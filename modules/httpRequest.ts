/**
 * Make an HTTP request — any method, headers whose values may be secrets, a JSON, form or raw
 * body — from the controller (default) or from the host (curl, with URL, headers and body in a
 * config on stdin: nothing of them in argv), and fail unless the status is one of `status`.
 * TLS and hops exactly as `httpCheck` (modules/lib/httpHops.ts): verified against the system
 * CAs or `caFile`, or pinned by SHA-256 (`pinSha256`: on the controller checked on the socket
 * before a byte is sent, from the host enforced by curl's `--pinnedpubkey`). Redirects are not
 * followed (a 3xx is the answer): a writing request goes to the URL given, nowhere else. For what admins do around a window: set a
 * monitoring downtime, notify a chat, call a deploy hook. GET/HEAD/OPTIONS only read: they run
 * in check mode too and never report changed. Other methods report changed and are not sent
 * under --check. Not idempotent by itself (use `when`/`runOnce`).
 *
 * @example
 * httpRequest({ url: 'https://monitoring.example.com/api/downtime', method: 'POST', headers: { authorization: secret(`Bearer ${token}`) }, json: { host: '{host}', minutes: 60 }, status: [200, 201] }, { runOnce: true })
 * httpRequest({ url: 'http://127.0.0.1:8080/health', from: 'target' })
 */
import {
  defineModule,
  change,
  noop,
  ParamError,
  RunnerError,
  Secret,
  TaskFailed,
  registerSecret,
  type Plan,
  type ModuleContext,
} from '../runner/module.ts';
import { curlHop, follow, nodeHop, pubkeyPinFor, registerHeaderSecrets, reveal, type Hop, type HopAnswer } from './lib/httpHops.ts';

export interface HttpRequestParams {
  /** http:// or https:// URL. */
  url: string;
  /** HTTP method; GET, HEAD and OPTIONS only read. @default 'GET' */
  method?: 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Where the request is made from. @default 'controller' */
  from?: 'controller' | 'target';
  /** Request headers; values may be secrets. */
  headers?: Record<string, string | Secret>;
  /** A JSON body (sets content-type: application/json). */
  json?: unknown;
  /** A form body, urlencoded; values may be secrets. */
  form?: Record<string, string | Secret>;
  /** A raw body. */
  body?: string | Secret;
  /** Accepted status codes. @default [200] */
  status?: number[];
  /** CA certificate (PEM) to verify the server with: a controller path, or a host path with `from: 'target'`. */
  caFile?: string;
  /** Accept exactly the certificate with this SHA-256 fingerprint (from the host too: its public key is then curl's pin). */
  pinSha256?: string;
  /** Per request. @default 30 */
  timeoutSec?: number;
}

export interface HttpRequestResult {
  status: number;
  headers: Record<string, string>;
  /** First MiB. */
  body: string;
  /** The body parsed, when it is JSON. */
  json?: unknown;
}

interface Facts {
  /** The answer, for reading methods (asked while gathering facts). */
  response?: HttpRequestResult;
}

const READING = ['GET', 'HEAD', 'OPTIONS'];
const MAX_BODY = 1 << 20;
const normPin = (s: string) => s.replace(/[:\s]/g, '').toUpperCase();

export const httpRequest = defineModule<HttpRequestParams, Facts, HttpRequestResult>({
  name: 'httpRequest',
  summary: (p) => `${p.method ?? 'GET'} ${p.url}${p.from === 'target' ? ' (from the host)' : ''}`,
  validate: (p) => {
    if (!/^https?:\/\//.test(p.url ?? '')) throw new ParamError(`httpRequest: "url" must be http(s), not ${JSON.stringify(p.url)}`);
    if ([p.json !== undefined, p.form !== undefined, p.body !== undefined].filter(Boolean).length > 1)
      throw new ParamError('httpRequest: give one of "json", "form", "body"');
    if (p.pinSha256 !== undefined && !/^[0-9A-F]{64}$/.test(normPin(p.pinSha256)))
      throw new ParamError(
        'httpRequest: "pinSha256" must be 64 hex digits (colons allowed), as `openssl x509 -fingerprint -sha256` prints',
      );
    if (p.pinSha256 && p.caFile) throw new ParamError('httpRequest: give "caFile" or "pinSha256", not both');
    for (const s of p.status ?? [])
      if (!Number.isInteger(s) || s < 100 || s > 599) throw new ParamError(`httpRequest: bad status code ${s}`);
    for (const [k, v] of Object.entries(p.headers ?? {}))
      if (/[\r\n:]/.test(k) || /[\r\n]/.test(reveal(v))) throw new ParamError(`httpRequest: header ${JSON.stringify(k)} is not one line`);
  },
  facts: async (ctx, p) => {
    registerSecrets(p);
    return READING.includes(p.method ?? 'GET') ? { response: await send(ctx, p) } : {};
  },
  plan,
  apply: async (ctx, p) => {
    const r = await send(ctx, p);
    check(p, r);
    return { result: r, reason: `${p.method} ${p.url}: ${r.status}` };
  },
});

function registerSecrets(p: HttpRequestParams): void {
  registerHeaderSecrets(p.headers ?? {});
  for (const v of [...Object.values(p.form ?? {}), ...(p.body !== undefined ? [p.body] : [])])
    if (v instanceof Secret) registerSecret(v.reveal());
}

function check(p: HttpRequestParams, r: HttpRequestResult): void {
  const want = p.status ?? [200];
  if (!want.includes(r.status))
    throw new TaskFailed(
      `httpRequest ${p.method ?? 'GET'} ${p.url}: status ${r.status}, wanted ${want.join('/')}; body: ${r.body.replace(/\s+/g, ' ').slice(0, 200)}`,
    );
}

/** Pure: a reading request → its checked answer; a writing one → the change it will make. */
export function plan(p: HttpRequestParams, f: Facts): Plan<HttpRequestResult> {
  const m = p.method ?? 'GET';
  if (f.response) {
    check(p, f.response);
    return noop(`${m} ${p.url}: ${f.response.status}`, f.response);
  }
  return change(`${m} ${p.url}${p.from === 'target' ? ' from the host' : ''}`, { steps: [] });
}

/** The body and its content type. */
export function bodyOf(p: HttpRequestParams): { body?: string; type?: string } {
  if (p.json !== undefined) return { body: JSON.stringify(p.json), type: 'application/json' };
  if (p.form)
    return {
      body: new URLSearchParams(Object.entries(p.form).map(([k, v]): [string, string] => [k, reveal(v)])).toString(),
      type: 'application/x-www-form-urlencoded',
    };
  if (p.body !== undefined) return { body: reveal(p.body) };
  return {};
}

const withJson = (r: Omit<HttpRequestResult, 'json'>): HttpRequestResult => {
  try {
    return { ...r, json: /json/.test(r.headers['content-type'] ?? '') ? JSON.parse(r.body) : undefined };
  } catch {
    return r;
  }
};

/** One request by httpCheck's hop rules (no redirects followed), from the controller or through curl on the host. */
async function send(ctx: ModuleContext, p: HttpRequestParams): Promise<HttpRequestResult> {
  const { body, type } = bodyOf(p);
  const headers: Record<string, string | Secret> = { 'user-agent': 'ucw-runner httpRequest', ...(type ? { 'content-type': type } : {}) };
  for (const [k, v] of Object.entries(p.headers ?? {})) headers[k.toLowerCase()] = v;
  const first: Hop = { url: new URL(p.url), method: p.method ?? 'GET', headers, body };
  const policy = { maxRedirects: 0, trustPinned: !!(p.pinSha256 || p.caFile) };
  const timeoutSec = p.timeoutSec ?? 30;
  let hop: (h: Hop) => Promise<HopAnswer>;
  if (p.from === 'target') {
    const pubkeyPin = p.pinSha256 ? await pubkeyPinFor(ctx, first.url, p.pinSha256, normPin) : undefined;
    hop = (h) => curlHop(ctx, h, { timeoutSec, caFile: p.caFile, pubkeyPin, maxBody: MAX_BODY });
  } else {
    const deadline = Date.now() + timeoutSec * 1000;
    hop = (h) => nodeHop(h, { caFile: p.caFile, pinSha256: p.pinSha256, deadline, maxBody: MAX_BODY });
  }
  try {
    const r = await follow(first, policy, hop);
    return withJson({ status: r.status, headers: r.headers, body: r.body });
  } catch (e) {
    // typed errors (HttpError from the controller's request) stay as they are; curl's and the redirect rules' get the task's name
    if (e instanceof RunnerError) throw e;
    throw new TaskFailed(
      `httpRequest ${first.method} ${p.url}${p.from === 'target' ? ` from ${ctx.host.name}` : ''}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}
