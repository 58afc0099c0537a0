/**
 * Check that a URL answers as expected — status code, body text or regex, a JSON field —
 * from the controller (default) or from the host itself (`from: 'target'`, through curl).
 * TLS is verified: against the system CAs, or `caFile`; a self-signed certificate is pinned by
 * its SHA-256 fingerprint (`pinSha256`) instead of switching verification off. With
 * `retries`, it polls (a service coming up after a reboot) and fails with the last answer.
 * Read-only: runs in check mode too; never reports changed.
 *
 * @example
 * httpCheck((h) => ({ url: `https://${h.vars.address ?? h.name}/admin/`, caFile: 'lab/ca.pem', contains: 'UCware', retries: 10, delaySec: 3 }))
 * httpCheck({ url: 'https://10.0.0.5/admin/', pinSha256: '5F:0A:…:9C', status: [200, 302], followRedirects: false })
 * httpCheck({ url: 'http://127.0.0.1:8080/health', from: 'target', json: { path: 'status', equals: 'ok' } })
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineModule, noop, type Plan, type ModuleContext, ParamError, TaskFailed } from '../runner/module.ts';
import {
  curlHop,
  follow,
  nodeHop,
  pubkeyPinFor,
  registerHeaderSecrets,
  type HeaderValue,
  type Hop,
  type HopAnswer,
} from './lib/httpHops.ts';

export interface HttpCheckParams {
  /** http:// or https:// URL to request. */
  url: string;
  /** Where the request is made from. @default 'controller' */
  from?: 'controller' | 'target';
  /** HTTP method. @default 'GET' */
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT';
  /**
   * Request headers, e.g. `{ authorization: secret(`Bearer ${token}`) }`. Values can be secrets
   * (`secret()`; authorization, cookie and x-api-key values always count as secrets): masked in
   * every log, and from the host passed to curl on stdin, never in argv. Sent only to the URL's
   * own origin: a redirect elsewhere goes without them.
   */
  headers?: Record<string, HeaderValue>;
  /** Request body (e.g. JSON text). */
  body?: string;
  /** Accepted status codes. @default [200] */
  status?: number[];
  /** The body must contain this text. */
  contains?: string;
  /** The body must match this regex. */
  matches?: RegExp;
  /** The body is JSON and the field at `path` (dots, e.g. `result.version`) exists, or equals `equals`. */
  json?: { path: string; equals?: string | number | boolean | null };
  /**
   * Follow redirects (up to 5), or not; a number sets the limit (past it the check fails). With
   * a pin or CA file, a redirect from https to http is refused; one to another origin carries
   * no headers and no body. @default true
   */
  followRedirects?: boolean | number;
  /** Per attempt. @default 30 */
  timeoutSec?: number;
  /** Extra attempts while the check fails. @default 0 */
  retries?: number;
  /** Seconds between attempts. @default 2 */
  delaySec?: number;
  /** CA certificate (PEM) to verify the server with — a controller path, or a host path with `from: 'target'`. */
  caFile?: string;
  /** Accept exactly the certificate with this SHA-256 fingerprint (hex, colons optional), whoever signed it. */
  pinSha256?: string;
}

export interface HttpResponse {
  status: number;
  /** The URL that answered last (after redirects). */
  url: string;
  headers: Record<string, string>;
  /** First MiB of the body. */
  body: string;
  /** SHA-256 of the server certificate, upper-case hex with colons (https only, from the controller). */
  certSha256?: string;
  /** Redirects followed to get here. */
  redirects?: number;
  /** The body was longer than 1 MiB: `body` is its head (read no further). */
  truncated?: boolean;
}

export interface HttpCheckResult {
  /** Status code of the last answer. */
  status: number;
  /** URL that gave the last answer (after redirects). */
  url: string;
  /** First MiB of the body. */
  body: string;
  /** The parsed body, when `json` was checked. */
  json?: unknown;
  /** Tries made (1 + retries used). */
  attempts: number;
  /** From the first try to the answer. */
  elapsedMs: number;
}

interface Facts {
  response?: HttpResponse;
  /** The request itself failed (connect, TLS, pin, timeout): its message. */
  error?: string;
  attempts: number;
  elapsedMs: number;
}

const normPin = (s: string) => s.replace(/[:\s]/g, '').toUpperCase();

export const httpCheck = defineModule<HttpCheckParams, Facts, HttpCheckResult>({
  name: 'httpCheck',
  summary: (p) => `${p.method ?? 'GET'} ${p.url}${p.from === 'target' ? ' (from the host)' : ''}`,
  validate: (p) => {
    let u: URL;
    try {
      u = new URL(p.url);
    } catch {
      throw new ParamError(`httpCheck: "url" is not a URL: ${JSON.stringify(p.url)}`);
    }
    if (!/^https?:$/.test(u.protocol)) throw new ParamError(`httpCheck: only http and https, not ${u.protocol}`);
    if (p.pinSha256 !== undefined && !/^[0-9A-F]{64}$/.test(normPin(p.pinSha256)))
      throw new ParamError('httpCheck: "pinSha256" must be 64 hex digits (colons allowed), as `openssl x509 -fingerprint -sha256` prints');
    if (p.pinSha256 && p.caFile) throw new ParamError('httpCheck: give "caFile" or "pinSha256", not both');
    if ((p.pinSha256 || p.caFile) && u.protocol !== 'https:') throw new ParamError('httpCheck: caFile/pinSha256 need an https URL');
    for (const s of p.status ?? []) if (!Number.isInteger(s) || s < 100 || s > 599) throw new ParamError(`httpCheck: bad status code ${s}`);
  },
  facts: async (ctx, p) => {
    const started = Date.now();
    const attempts = 1 + (p.retries ?? 0);
    let last: Facts = { attempts: 0, elapsedMs: 0 };
    for (let i = 1; i <= attempts; i++) {
      try {
        const response = await request(ctx, p);
        last = { response, attempts: i, elapsedMs: Date.now() - started };
      } catch (e) {
        last = { error: (e as Error).message, attempts: i, elapsedMs: Date.now() - started };
      }
      const verdict = evaluate(p, last);
      if (verdict.ok) break;
      if (i < attempts) {
        ctx.output(`attempt ${i} of ${attempts}: ${verdict.why}; again in ${p.delaySec ?? 2} s`);
        await sleep((p.delaySec ?? 2) * 1000);
      }
    }
    return last;
  },
  plan,
});

const fieldAt = (obj: unknown, path: string): { found: boolean; value?: unknown } => {
  let cur: unknown = obj;
  for (const k of path.split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object' || !(k in (cur as object))) return { found: false };
    cur = (cur as Record<string, unknown>)[k];
  }
  return { found: true, value: cur };
};

/** Pure: does the answer pass? The reason names the first thing that did not. */
export function evaluate(p: HttpCheckParams, f: Facts): { ok: true; json?: unknown } | { ok: false; why: string } {
  if (!f.response) return { ok: false, why: f.error ?? 'no answer' };
  const r = f.response;
  const want = p.status ?? [200];
  const snippet = r.body.replace(/\s+/g, ' ').slice(0, 160);
  if (!want.includes(r.status))
    return { ok: false, why: `status ${r.status} from ${r.url}, wanted ${want.join('/')}${snippet ? `; body: ${snippet}` : ''}` };
  if (p.contains !== undefined && !r.body.includes(p.contains))
    return { ok: false, why: `body of ${r.url} lacks ${JSON.stringify(p.contains)}; body: ${snippet}` };
  if (p.matches && !p.matches.test(r.body)) return { ok: false, why: `body of ${r.url} does not match ${p.matches}; body: ${snippet}` };
  if (p.json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.body);
    } catch {
      return { ok: false, why: `body of ${r.url} is not JSON: ${snippet}` };
    }
    const at = fieldAt(parsed, p.json.path);
    if (!at.found) return { ok: false, why: `JSON of ${r.url} has no field ${p.json.path}` };
    if ('equals' in p.json && at.value !== p.json.equals)
      return { ok: false, why: `JSON ${p.json.path} is ${JSON.stringify(at.value)}, wanted ${JSON.stringify(p.json.equals)}` };
    return { ok: true, json: parsed };
  }
  return { ok: true };
}

/** Pure: pass → no-op with the answer; fail → TaskFailed with the last answer or error. */
export function plan(p: HttpCheckParams, f: Facts): Plan<HttpCheckResult> {
  const v = evaluate(p, f);
  const tries = f.attempts > 1 ? ` after ${f.attempts} attempts (${Math.round(f.elapsedMs / 1000)} s)` : '';
  if (!v.ok) throw new TaskFailed(`httpCheck ${p.method ?? 'GET'} ${p.url}: ${v.why}${tries}`);
  const r = f.response!;
  const via = r.redirects ? ` (after ${r.redirects} redirect${r.redirects > 1 ? 's' : ''} from ${p.url})` : '';
  const trust = p.pinSha256 ? ' (pinned certificate)' : p.caFile ? ' (certificate from the CA file)' : '';
  return noop(`${r.status} from ${r.url}${trust}${via}${tries}`, {
    status: r.status,
    url: r.url,
    body: r.body,
    json: v.json,
    attempts: f.attempts,
    elapsedMs: f.elapsedMs,
  });
}

const MAX_BODY = 1 << 20;
const maxRedirects = (p: HttpCheckParams) =>
  p.followRedirects === false ? 0 : typeof p.followRedirects === 'number' ? p.followRedirects : 5;

/** One check, from the controller or through curl on the host, redirects by the runner's policy. */
async function request(ctx: ModuleContext, p: HttpCheckParams): Promise<HttpResponse> {
  const headers = p.headers ?? {};
  registerHeaderSecrets(headers);
  const first: Hop = { url: new URL(p.url), method: p.method ?? 'GET', headers, body: p.body };
  const policy = { maxRedirects: maxRedirects(p), trustPinned: !!(p.pinSha256 || p.caFile) };
  let send: (hop: Hop) => Promise<HopAnswer>;
  if (p.from === 'target') {
    const pubkeyPin = p.pinSha256 ? await pubkeyPinFor(ctx, first.url, p.pinSha256, normPin) : undefined;
    send = (hop) => curlHop(ctx, hop, { timeoutSec: p.timeoutSec ?? 30, caFile: p.caFile, pubkeyPin, maxBody: MAX_BODY });
  } else {
    const deadline = Date.now() + (p.timeoutSec ?? 30) * 1000;
    send = (hop) => nodeHop(hop, { caFile: p.caFile, pinSha256: p.pinSha256, deadline, maxBody: MAX_BODY });
  }
  const r = await follow(first, policy, send);
  return {
    status: r.status,
    url: r.url,
    headers: r.headers,
    body: r.body,
    certSha256: r.certSha256,
    redirects: r.hops,
    truncated: r.truncated,
  };
}

/** Pure: curl's output, as httpCheck's tests and callers know it. */
export { parseCurl } from './lib/httpHops.ts';
