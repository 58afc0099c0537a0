// The fleet report of a real upgrade (lab1, lab2), in headless chromium: one row per host with its
// phases, a kept conffile's diff and one marked secret (no diff), backups with the SHA-256 of the
// files on the controller, the pending licence step; no request leaves the file; with scripts off
// the table still shows. The run's --json events validate against docs/events.schema.json.
// A screenshot is saved as logs/report-screenshot.png. Both hosts are recreated afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ensureLab } from '../../lab/testkit.ts';
import { reset } from '../../lab/lab.ts';
import { runPlaybook } from '../../runner/cli/run.ts';
import { hasChromium, withPage } from '../support/chromium.ts';
import { checkEvents } from '../support/jsonSchema.ts';

const HOSTS = ['lab1', 'lab2'];
const SECRET = '/etc/init/asterisk.conf';
const logsDir = mkdtempSync(join(tmpdir(), 'ucw-report-logs-'));
let report = '';
let out = '';
let json = '';

test.before(async () => {
  await ensureLab(3);
  await reset(HOSTS);
  const lines: string[] = [];
  json = join(logsDir, 'events.jsonl');
  const r = await runPlaybook({
    playbook: 'upgrade',
    inventory: 'inventory/lab.ts',
    limit: HOSTS.join(','),
    logsDir,
    view: 'plain',
    write: (l) => lines.push(l),
    json,
    extraVars: { secretConffiles: [SECRET] },
  });
  out = lines.join('\n');
  if (r.exitCode !== 0) throw new Error(`upgrade failed (exit ${r.exitCode}):\n${out}`);
  report = join(r.logDir, 'report.html');
});
test.after(async () => {
  await reset(HOSTS);
});

test('the recap names the report; 0600 in a 0700 run folder; the per-host Markdown report points to it', () => {
  assert.match(out, /Report: .*report\.html/);
  assert.is(statSync(report).mode & 0o777, 0o600);
  assert.is(statSync(dirname(report)).mode & 0o777, 0o700);
  const md = /report: (\S+upgrade-report\.md)/.exec(out)?.[1];
  assert.ok(md, out);
  assert.match(readFileSync(md!, 'utf8'), /report\.html/);
});

test('--json events of the upgrade validate against the schema', () => {
  const { types, errors } = checkEvents(json);
  assert.equal(errors.slice(0, 5), []);
  for (const t of ['run:start', 'batch:start', 'preflight:done', 'task:progress', 'host:report', 'pending', 'run:done'])
    assert.ok(types.has(t), t);
});

test('chromium: a row per host, phases, a conffile diff, a secret conffile, backups with checksums, the pending licence', async () => {
  if (!hasChromium()) throw new Error('chromium is missing: npm run setup installs it');
  await withPage(report, { scripts: true }, async (page, requests) => {
    assert.equal(
      requests.filter((u) => !u.startsWith('file://')),
      [],
      'nothing is fetched from anywhere',
    );
    assert.is(await page.locator('table.hosts > tbody > tr.host').count(), HOSTS.length);
    for (const h of HOSTS) {
      const row = page.locator(`tr.host[data-host="${h}"]`);
      assert.is(await row.getAttribute('class'), 'host status-ok');
      const phases = await row.locator('g.phase').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-phase')));
      assert.ok(
        phases.includes('backup') && phases.some((p) => /step 2/.test(p ?? '')) && phases.some((p) => /step 3/.test(p ?? '')),
        JSON.stringify(phases),
      );
      assert.match((await row.locator('td.versions.before').innerText()).replace(/\s+/g, ' '), /ucware 4\.5/);
      assert.match((await row.locator('td.versions.after').innerText()).replace(/\s+/g, ' '), /ucware 5\./);
      const diff = await row.locator('li.conffile pre.diff').first().innerText();
      assert.match(diff, /^[-+]/m);
      const secret = row.locator('li.conffile.secret');
      assert.match(await secret.innerText(), new RegExp(`${SECRET}.*marked secret`));
      assert.is(await secret.locator('pre').count(), 0);
      const sums = await row
        .locator('tr.backup')
        .evaluateAll((trs) => trs.map((tr) => [tr.querySelector('td code')!.textContent, tr.querySelector('code.sha256')!.textContent]));
      assert.ok(sums.length >= 2, JSON.stringify(sums));
      const onDisk = readFileSync(join(dirname(sums[0]![0]!), 'SHA256SUMS'), 'utf8');
      for (const [path, sha] of sums) assert.ok(onDisk.includes(`${sha}  ${path!.split('/').at(-1)}`), `${path} ${sha}`);
      assert.match(await row.locator('ul.pending').innerText(), /licence/i);
    }
    mkdirSync('logs', { recursive: true });
    await page.screenshot({ path: resolve('logs/report-screenshot.png'), fullPage: true });
  });
});

test('chromium with scripts disabled: the same table shows', async () => {
  await withPage(report, { scripts: false }, async (page) => {
    assert.is(await page.locator('table.hosts > tbody > tr.host').count(), HOSTS.length);
    assert.ok(await page.locator('tr.host[data-host="lab1"] svg.timeline').isVisible());
    assert.ok(await page.locator('tr.host[data-host="lab2"] pre.diff').first().isVisible());
  });
});

test.run();
