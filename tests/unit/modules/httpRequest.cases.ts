// httpRequest: a reading request from lab1 (curl -D - of its admin page, captured); writing requests plan only.
import { X509Certificate } from 'node:crypto';
import { httpRequest } from '../../../modules/httpRequest.ts';
import { secret } from '../../../runner/module.ts';
import { capture, cases } from '../../support/planCases.ts';

const PIN = new X509Certificate(capture('bookworm/openssl-cert.txt')).fingerprint256;

const admin = { run: 'curl -sS -K -', stdin: 'url = "https://127.0.0.1/admin/"', out: 'bookworm/curl-admin.txt' };

export default cases(httpRequest, [
  {
    name: 'GET from the host: the answer, no change',
    params: { url: 'https://127.0.0.1/admin/', from: 'target' },
    replay: [admin],
    expect: { noop: 'GET https://127.0.0.1/admin/: 200', result: { status: 200 } },
  },
  {
    name: 'GET from the host, status not wanted: fails',
    params: { url: 'https://127.0.0.1/admin/', from: 'target', status: [204] },
    replay: [admin],
    expect: { throws: /status 200, wanted 204; body: <!DOCTYPE html>/ },
  },
  {
    name: "the secret header travels in curl's config on stdin",
    params: { url: 'https://127.0.0.1/admin/', from: 'target', headers: { authorization: secret('Bearer t0ken') } },
    replay: [{ ...admin, stdin: /header = "authorization: Bearer t0ken"/ }],
    expect: { noop: /: 200$/ },
  },
  {
    name: 'POST: a change, sent by apply (not under --check)',
    params: { url: 'https://mon.example.com/api/downtime', method: 'POST', json: { host: 'lab1', minutes: 60 } },
    replay: [],
    expect: { reason: 'POST https://mon.example.com/api/downtime', steps: [] },
  },
  {
    name: 'json and form together are refused',
    params: { url: 'https://x/', method: 'POST', json: {}, form: {} },
    expect: { throws: /one of "json", "form", "body"/ },
  },
  {
    name: 'a malformed pin is refused',
    params: { url: 'https://x/', from: 'target', pinSha256: 'AA' },
    expect: { throws: /must be 64 hex digits/ },
  },
  {
    name: 'from the host, another certificate than the pinned one fails before curl',
    params: { url: 'https://127.0.0.1/admin/', from: 'target', pinSha256: 'AA'.repeat(32) },
    replay: [{ run: 'openssl s_client -connect 127.0.0.1:443', out: 'bookworm/openssl-cert.txt' }],
    expect: { throws: /has SHA-256 .*, not the pinned A{64}/ },
  },
  {
    name: "from the host, the pin becomes curl's pinnedpubkey",
    params: { url: 'https://127.0.0.1/admin/', from: 'target', pinSha256: PIN },
    replay: [
      { run: 'openssl s_client -connect 127.0.0.1:443', out: 'bookworm/openssl-cert.txt' },
      { ...admin, stdin: /pinnedpubkey = "sha256\/\/[A-Za-z0-9+\/=]+"/ },
    ],
    expect: { noop: /: 200$/ },
  },
]);
