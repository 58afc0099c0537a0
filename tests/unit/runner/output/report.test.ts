// The fleet report: phases from tasks, reports merged, the HTML escaped, self-contained, secrets kept out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { phasesOf, renderReportHtml, type FleetReport } from '../../../../runner/output/reportHtml.ts';
import { mergeReport } from '../../../../runner/output/report.ts';
import type { HostReport } from '../../../../runner/model/plan.ts';

test('phasesOf: consecutive tasks of a block are one span; failed wins over changed over ok', () => {
  const p = phasesOf(
    [
      { task: 'a', phase: 'backup', start: 0, end: 10, status: 'changed', changed: true },
      { task: 'b', phase: 'backup', start: 10, end: 20, status: 'ok' },
      { task: 'c', phase: 'step 2', start: 20, end: 30, status: 'failed' },
      { task: 'd', phase: 'step 2', start: 30, status: undefined },
    ],
    99,
  );
  assert.equal(p, [
    { name: 'backup', start: 0, end: 20, status: 'changed' },
    { name: 'step 2', start: 20, end: 99, status: 'failed' },
  ]);
});

test('mergeReport: lists add up, a conffile reported again replaces the earlier entry', () => {
  const r: HostReport = {};
  mergeReport(r, { backups: [{ path: '/b/1', sha256: 'a'.repeat(64) }], conffiles: [{ path: '/etc/x', diff: 'old' }] });
  mergeReport(r, { backups: [{ path: '/b/2', sha256: 'b'.repeat(64) }], conffiles: [{ path: '/etc/x', diff: 'new' }], snapshots: ['s1'] });
  assert.equal(
    r.backups!.map((b) => b.path),
    ['/b/1', '/b/2'],
  );
  assert.equal(r.conffiles, [{ path: '/etc/x', diff: 'new' }]);
  assert.equal(r.snapshots, ['s1']);
});

const fleet = (): FleetReport => ({
  runId: 'r1',
  playbook: 'upgrade',
  inventory: 'inv.ts',
  check: false,
  start: 0,
  end: 1000,
  exitCode: 2,
  resumeCommand: 'run upgrade inv.ts --resume --limit HOST',
  rollbackCommand: 'run rollback inv.ts --limit HOST --to SNAPSHOT',
  hosts: [
    {
      name: 'a<b>',
      status: 'ok',
      tasks: [],
      pending: ['upload the licence'],
      tail: [],
      report: {
        conffiles: [
          { path: '/etc/pw.conf', secret: true },
          { path: '/etc/u.php', diff: '-x\n+<script>' },
        ],
      },
    },
    {
      name: 'c',
      status: 'failed',
      tasks: [{ task: 'upgrade', phase: 'step 3', start: 0, end: 900, status: 'failed', error: 'exit code 100' }],
      pending: [],
      tail: ['E: boom'],
      report: { snapshots: ['before-ucware-5'] },
    },
  ],
});

test('renderReportHtml: escaped, no script or outside reference, secret conffile without contents, the commands to resume and roll back', () => {
  const html = renderReportHtml(fleet());
  assert.not.match(html, /<script/i);
  assert.not.match(html, /(src|href)=["']?(https?:)?\/\//i);
  assert.match(html, /a&lt;b&gt;/);
  assert.match(html, /<span class="add">\+&lt;script&gt;<\/span>/);
  assert.match(html, /\/etc\/pw\.conf<\/code>: kept, changed \(marked secret: contents not shown\)/);
  assert.match(html, /run upgrade inv\.ts --resume --limit c/);
  assert.match(html, /run rollback inv\.ts --limit c --to before-ucware-5/);
  assert.match(html, /exit code 100/);
  assert.is((html.match(/<tr class="host /g) ?? []).length, 2);
});

test.run();
