// httpCheck: the verdict table and curl output parsing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluate, parseCurl, plan, httpCheck } from '../../../modules/httpCheck.ts';

const resp = (status: number, body: string) => ({
  response: { status, url: 'https://h/admin/', headers: {}, body },
  attempts: 1,
  elapsedMs: 5,
});
const cases = [
  { p: {}, f: resp(200, 'x'), ok: true },
  { p: {}, f: resp(503, 'down'), why: /status 503 from https:\/\/h\/admin\/, wanted 200; body: down/ },
  { p: { status: [200, 302] }, f: resp(302, ''), ok: true },
  { p: { contains: 'UCware' }, f: resp(200, 'nginx'), why: /lacks "UCware"/ },
  { p: { matches: /5\.\d/ }, f: resp(200, 'v4.5'), why: /does not match/ },
  { p: { json: { path: 'result.version' } }, f: resp(200, '{"result":{"version":"5.0.1"}}'), ok: true },
  {
    p: { json: { path: 'result.version', equals: '5.0.1' } },
    f: resp(200, '{"result":{"version":"4.5"}}'),
    why: /JSON result\.version is "4\.5", wanted "5\.0\.1"/,
  },
  { p: { json: { path: 'a' } }, f: resp(200, '<html>'), why: /not JSON/ },
  { p: {}, f: { error: 'connect ECONNREFUSED', attempts: 3, elapsedMs: 4000 }, why: /ECONNREFUSED/ },
];
for (const [i, c] of cases.entries()) {
  test(`evaluate #${i}`, () => {
    const v = evaluate({ url: 'https://h/admin/', ...c.p }, c.f);
    if (c.ok) assert.ok(v.ok);
    else {
      assert.not.ok(v.ok);
      assert.match((v as { why: string }).why, c.why!);
    }
  });
}
test('plan: failure names attempts and time; success is a no-op carrying the JSON', () => {
  assert.throws(
    () => plan({ url: 'https://h/' }, { error: 'timeout', attempts: 3, elapsedMs: 4200 }),
    /httpCheck GET https:\/\/h\/: timeout after 3 attempts \(4 s\)/,
  );
  const p = plan({ url: 'https://h/', json: { path: 'ok' } }, resp(200, '{"ok":true}'));
  assert.is(p.changed, false);
  assert.equal(p.result!.json, { ok: true });
});
test('curl output: last header block wins, body and trailer split', () => {
  const out =
    'HTTP/1.1 302 Found\r\nLocation: /admin/\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hi</html>\n@@ucw-http 200 https://h/admin/\n';
  const r = parseCurl(out);
  assert.is(r.status, 200);
  assert.is(r.url, 'https://h/admin/');
  assert.is(r.headers['content-type'], 'text/html');
  assert.is(r.body, '<html>hi</html>');
});
test('params', () => {
  assert.throws(() => httpCheck({ url: 'ftp://x/' }), /only http and https/);
  assert.throws(() => httpCheck({ url: 'https://x/', pinSha256: 'abc' }), /64 hex/);
  assert.throws(() => httpCheck({ url: 'http://x/', caFile: '/ca.pem' }), /need an https URL/);
  httpCheck({
    url: 'https://x/',
    pinSha256: '79:F6:D1:B6:02:DF:60:09:EC:4F:E9:3D:A5:ED:85:31:06:53:53:9A:F1:34:A4:F7:72:88:A1:26:FE:0A:48:CD',
  });
});
test.run();
