// httpCheck from the target: lab1's certificate (openssl, checked against the pin on the
// controller) and its admin page (curl with its request on stdin, headers, body, trailer).
import { X509Certificate } from 'node:crypto';
import { httpCheck } from '../../../modules/httpCheck.ts';
import { capture, cases, override, type Replay } from '../../support/planCases.ts';

const URL_ = 'https://127.0.0.1/admin/';
const pin = new X509Certificate(capture('bookworm/openssl-cert.txt')).fingerprint256;
const lab1 = (...over: Replay[]): Replay[] =>
  override(
    [
      { run: 'openssl s_client -connect 127.0.0.1:443', out: 'bookworm/openssl-cert.txt' },
      { run: 'curl -sS -K -', stdin: /pinnedpubkey = "sha256\/\/[A-Za-z0-9+\/=]+"/, out: 'bookworm/curl-admin.txt' },
    ],
    ...over,
  );
const target = { url: URL_, from: 'target' as const, pinSha256: pin };

export default cases(httpCheck, [
  {
    name: 'pinned certificate, 200, the text is there',
    params: { ...target, contains: 'UCware Admin' },
    replay: lab1(),
    expect: { noop: `200 from ${URL_} (pinned certificate)`, result: { status: 200, attempts: 1 } },
  },
  {
    name: 'a regex on the version',
    params: { ...target, matches: /ucware-version">4\.5\.[\d.]+</ },
    replay: lab1(),
    expect: { noop: /^200 from/ },
  },
  {
    name: 'text that is not there fails, naming it',
    params: { ...target, contains: 'UCware 5' },
    replay: lab1(),
    expect: { throws: /^httpCheck GET https:\/\/127\.0\.0\.1\/admin\/: .*lacks "UCware 5"/ },
  },
  {
    name: 'a JSON check on an HTML page fails',
    params: { ...target, json: { path: 'result.version' } },
    replay: lab1(),
    expect: { throws: /not JSON/ },
  },
  {
    name: 'another certificate than the pinned one fails before curl',
    params: { ...target, pinSha256: 'AA'.repeat(32) },
    replay: lab1().filter((r) => !String(r.run).startsWith('curl')),
    expect: { throws: new RegExp(`certificate of 127\\.0\\.0\\.1 \\(seen from the host\\) has SHA-256 ${pin}, not the pinned A{64}`) },
  },
  {
    name: 'wanted 302, got 200',
    params: { ...target, status: [302] },
    replay: lab1(),
    expect: { throws: /status 200 from https:\/\/127\.0\.0\.1\/admin\/, wanted 302/ },
  },
  { name: 'an ftp URL is refused', params: { url: 'ftp://x/' }, expect: { throws: /only http and https/ } },
]);
