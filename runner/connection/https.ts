/**
 * HTTPS requests from the controller with the trust an admin chooses: the system CAs, a CA
 * file (a lab or company CA), or one self-signed certificate pinned by its SHA-256
 * fingerprint — never "verification off". Used by API clients (Proxmox, UCware).
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { RunnerError } from '../model/errors.ts';

export interface TlsTrust {
  /** PEM file with the CA(s) to trust instead of the system store. */
  caFile?: string;
  /** SHA-256 fingerprint of the server certificate (hex, colons optional), for self-signed certificates. */
  pinSha256?: string;
}

export interface HttpRequest extends TlsTrust {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** @default 30000 */
  timeoutMs?: number;
  /**
   * The most of the body read, counted while reading (a server can send without end).
   * @default 16 MiB
   */
  maxBodyBytes?: number;
  /** Past `maxBodyBytes`: `fail` (an API answer cut short is useless) or `truncate` (keep the head). @default 'fail' */
  overLimit?: 'fail' | 'truncate';
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** SHA-256 of the server's certificate (upper-case hex with colons), for messages. */
  certSha256?: string;
  /** The body was longer than `maxBodyBytes` and is its head only (`overLimit: 'truncate'`). */
  truncated?: boolean;
}

export const MAX_BODY_BYTES = 16 << 20;

export class HttpError extends RunnerError {}

export const normalizePin = (pin: string) => pin.replace(/[^0-9a-f]/gi, '').toUpperCase();

export function certFingerprint(cert: PeerCertificate): string {
  return createHash('sha256').update(cert.raw).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** Fingerprint of a PEM certificate file, as `openssl x509 -fingerprint -sha256` prints it. */
export function pemFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/**
 * With a pin, the TLS handshake is done first and the certificate checked before a single
 * byte of the request (with its credentials) is sent; then HTTP runs over that socket.
 */
function pinnedSocket(url: URL, pin: string, pinText: string, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const sock = tlsConnect({ host, port: Number(url.port || 443), servername: isIP(host) ? undefined : host, rejectUnauthorized: false });
    const timer = setTimeout(
      () => sock.destroy(new HttpError(`${url.host}: TLS handshake timed out after ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const offered = certFingerprint(sock.getPeerCertificate());
      if (normalizePin(offered) !== pin) {
        sock.destroy();
        reject(new HttpError(`certificate of ${url.host} has SHA-256 ${offered}, not the pinned ${pinText}`));
      } else resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e instanceof HttpError ? e : new HttpError(`${url.host}: ${e.message}`, { cause: e }));
    });
  });
}

/** Reads a body up to `max` bytes; past that, stops the transfer and hands over the head. */
function readCapped(
  res: IncomingMessage,
  max: number,
  onOver: (head: Buffer) => void,
  onEnd: (body: Buffer) => void,
  onError: (e: Error) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  res.on('data', (c: Buffer) => {
    if (over) return;
    size += c.length;
    if (size <= max) return void chunks.push(c);
    over = true;
    chunks.push(c.subarray(0, c.length - (size - max)));
    res.destroy();
    onOver(Buffer.concat(chunks));
  });
  res.on('end', () => !over && onEnd(Buffer.concat(chunks)));
  res.on('error', (e) => !over && onError(e));
}

export async function httpFetch(r: HttpRequest): Promise<HttpResponse> {
  const url = new URL(r.url);
  const isHttps = url.protocol === 'https:';
  const timeoutMs = r.timeoutMs ?? 30_000;
  const pin = isHttps && r.pinSha256 ? normalizePin(r.pinSha256) : undefined;
  const sock = pin ? await pinnedSocket(url, pin, r.pinSha256!, timeoutMs) : undefined;
  return new Promise((resolve, reject) => {
    const req = (isHttps ? httpsRequest : httpRequest)(
      url,
      {
        method: r.method ?? 'GET',
        headers: { ...(r.body !== undefined ? { 'content-length': Buffer.byteLength(r.body).toString() } : {}), ...r.headers },
        timeout: timeoutMs,
        ...(sock ? { createConnection: () => sock } : isHttps && r.caFile ? { ca: readFileSync(r.caFile) } : {}),
      },
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate?.();
        const answer = (body: string, truncated?: boolean) =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            certSha256: cert?.raw ? certFingerprint(cert) : undefined,
            ...(truncated ? { truncated } : {}),
          });
        readCapped(
          res,
          r.maxBodyBytes ?? MAX_BODY_BYTES,
          (over) => {
            if (r.overLimit === 'truncate') return answer(over.toString(), true);
            req.destroy(
              new HttpError(
                `${r.method ?? 'GET'} ${url.origin}${url.pathname}: the answer is larger than ${r.maxBodyBytes ?? MAX_BODY_BYTES} bytes; stopped reading`,
              ),
            );
          },
          (body) => answer(body.toString()),
          reject,
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(new HttpError(`${r.method ?? 'GET'} ${url.origin}${url.pathname}: no answer within ${timeoutMs / 1000} s`)),
    );
    req.on('error', (e) =>
      reject(e instanceof HttpError ? e : new HttpError(`${r.method ?? 'GET'} ${url.origin}${url.pathname}: ${e.message}`, { cause: e })),
    );
    if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}
