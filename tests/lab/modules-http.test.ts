// httpCheck against the lab's nginx (https://HOST/admin/, lab CA): verified by CA, by a pinned
// certificate, failing on a wrong pin or without the CA, redirects, and from the host via curl.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { labOrSkip, run } from '../fixtures/modules/labRun.ts';
import { httpCheck } from '../../modules/index.ts';

const lab = labOrSkip();
const H = 'lab1';
const addr = lab?.hosts.find((h) => h.name === H)?.address ?? '';
const fingerprint = () =>
  /=([0-9A-F:]+)/.exec(
    spawnSync('sh', ['-c', `openssl s_client -connect ${addr}:443 </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`], {
      encoding: 'utf8',
    }).stdout,
  )?.[1] ?? '';

test('admin page with the lab CA; with the pinned certificate; a wrong pin and a missing CA fail', async () => {
  if (!lab) return;
  const pin = fingerprint();
  assert.is(pin.length, 95);
  const r = await run(lab, H, [
    httpCheck(
      {
        url: `https://${addr}/admin/`,
        caFile: lab.caFile,
        contains: 'UCware Admin',
        matches: /version: <span id="ucware-version">\d+\.\d+\.\d+/,
      },
      { name: 'ca' },
    ),
    httpCheck({ url: `https://${addr}/admin/`, pinSha256: pin }, { name: 'pinned' }),
    httpCheck({ url: `https://${addr}/`, caFile: lab.caFile }, { name: 'redirect followed' }),
    httpCheck({ url: `https://${addr}/`, caFile: lab.caFile, followRedirects: false, status: [302] }, { name: 'redirect seen' }),
    httpCheck({ url: `https://${addr}/admin/`, pinSha256: '00'.repeat(32) }, { name: 'wrong pin', ignoreErrors: true }),
    httpCheck({ url: `https://${addr}/admin/` }, { name: 'no CA', ignoreErrors: true }),
    httpCheck({ url: `https://${addr}/nope`, caFile: lab.caFile, retries: 1, delaySec: 0.2 }, { name: 'missing page', ignoreErrors: true }),
  ]);
  assert.equal(
    r.done.map((d) => `${d.task}:${d.status}`),
    ['ca:ok', 'pinned:ok', 'redirect followed:ok', 'redirect seen:ok', 'wrong pin:ignored', 'no CA:ignored', 'missing page:ignored'],
  );
  assert.ok(r.done[1]!.reason.includes(`200 from https://${addr}/admin/ (pinned certificate)`), r.done[1]!.reason);
  assert.match(r.done[2]!.reason, /200 from https:\/\/.*\/admin\//);
  assert.match(r.done[4]!.error!, new RegExp(`has SHA-256 ${pin}, not the pinned 0000`));
  assert.match(r.done[5]!.error!, /unable to verify the first certificate|self.signed|unable to get local issuer/);
  assert.match(r.done[6]!.error!, /status 404 from .*\/nope, wanted 200; body: .*Not Found.* after 2 attempts/);
  assert.is(r.recap[H]!.changed, 0);
});

test('from the host through curl: plain http, a pinned certificate, curl errors reported', async () => {
  if (!lab) return;
  const pin = fingerprint();
  const r = await run(
    lab,
    H,
    [
      httpCheck({ url: 'http://127.0.0.1/admin/', from: 'target', contains: 'UCware Admin' }, { name: 'http' }),
      httpCheck({ url: `https://${addr}/`, from: 'target', pinSha256: pin, contains: 'UCware Admin' }, { name: 'pinned' }),
      httpCheck({ url: `https://${addr}/admin/`, from: 'target' }, { name: 'unverified', ignoreErrors: true }),
    ],
    { check: true },
  );
  assert.equal(
    r.done.map((d) => `${d.task}:${d.status}`),
    ['http:ok', 'pinned:ok', 'unverified:ignored'],
  );
  assert.match(r.done[2]!.error!, /curl on lab1 exit 60/);
});

test.run();
