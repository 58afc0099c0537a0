/**
 * The fleet report as one self-contained HTML file: inline CSS, inline SVG timelines, no script,
 * no font, no image, no link to anything outside it — it opens from a USB stick on a locked-down
 * laptop and prints as it shows. Pure: a FleetReport in, a string out.
 */
import type { HostReport } from '../model/plan.ts';
import type { RecapCounts, TaskStatus } from './events.ts';

export interface TaskLine {
  task: string;
  phase: string;
  start: number;
  end?: number;
  status?: TaskStatus;
  changed?: boolean;
  reason?: string;
  error?: string;
}

export interface HostEntry {
  name: string;
  status: 'ok' | 'failed' | 'unreachable' | 'stopped' | 'not started';
  counts?: RecapCounts;
  error?: string;
  tasks: TaskLine[];
  report: HostReport;
  pending: string[];
  /** The host's last output lines, for a failed host. */
  tail: string[];
}

export interface FleetReport {
  runId: string;
  playbook: string;
  inventory: string;
  check: boolean;
  start: number;
  end: number;
  exitCode?: number;
  stopped?: string;
  hosts: HostEntry[];
  /** How to continue the run, and how to roll one host back (HOST replaced). */
  resumeCommand: string;
  rollbackCommand?: string;
}

const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const secs = (ms: number) => (ms < 90_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`);

export interface Phase {
  name: string;
  start: number;
  end: number;
  status: 'ok' | 'changed' | 'failed';
}

/** Consecutive tasks of one phase (their block) as one span; failed if one of its tasks failed. */
export function phasesOf(tasks: TaskLine[], now: number): Phase[] {
  const out: Phase[] = [];
  for (const t of tasks) {
    if (t.status === 'skipped' && t.end !== undefined && t.end - t.start < 5) continue;
    const status = t.status === 'failed' || t.status === 'unreachable' ? 'failed' : t.changed ? 'changed' : 'ok';
    const last = out.at(-1);
    if (last && last.name === t.phase) {
      last.end = t.end ?? now;
      if (status === 'failed' || (status === 'changed' && last.status === 'ok')) last.status = status;
    } else out.push({ name: t.phase, start: t.start, end: t.end ?? now, status });
  }
  return out;
}

const COLORS = { ok: '#4c9a5f', changed: '#c9931e', failed: '#c0392b' };

function timeline(h: HostEntry, r: FleetReport): string {
  const W = 560;
  const span = Math.max(1, r.end - r.start);
  const x = (t: number) => ((t - r.start) / span) * W;
  const bars = phasesOf(h.tasks, r.end).map((p) => {
    const x0 = x(p.start);
    const w = Math.max(2, x(p.end) - x0);
    const label = w > 46 ? `<text x="${(x0 + 3).toFixed(1)}" y="15">${esc(p.name.slice(0, Math.floor(w / 7)))}</text>` : '';
    return `<g class="phase" data-phase="${esc(p.name)}" data-status="${p.status}"><rect x="${x0.toFixed(1)}" y="2" width="${w.toFixed(1)}" height="18" fill="${COLORS[p.status]}"><title>${esc(p.name)}: ${secs(p.end - p.start)} (${p.status})</title></rect>${label}</g>`;
  });
  return `<svg class="timeline" viewBox="0 0 ${W} 22" width="${W}" height="22" role="img" aria-label="phases of ${esc(h.name)}"><rect x="0" y="2" width="${W}" height="18" fill="#eee"/>${bars.join('')}</svg>`;
}

const versions = (v?: Record<string, string | null>) =>
  v
    ? Object.entries(v)
        .map(([k, x]) => `${esc(k)} ${esc(x ?? 'absent')}`)
        .join('<br>')
    : '—';

function changedTasks(h: HostEntry): string {
  const changed = h.tasks.filter((t) => t.changed && t.status !== 'skipped');
  if (!changed.length) return '<p class="none">no task changed anything</p>';
  return `<ul class="changed">${changed.map((t) => `<li>${esc(t.task)} <span class="why">${esc(t.reason)}</span></li>`).join('')}</ul>`;
}

function diffBlock(diff: string): string {
  const lines = diff.split('\n').map((l) => {
    const cls =
      l.startsWith('+') && !l.startsWith('+++')
        ? 'add'
        : l.startsWith('-') && !l.startsWith('---')
          ? 'del'
          : l.startsWith('@@')
            ? 'hunk'
            : '';
    return cls ? `<span class="${cls}">${esc(l)}</span>` : esc(l);
  });
  return `<pre class="diff">${lines.join('\n')}</pre>`;
}

function conffiles(h: HostEntry): string {
  const c = h.report.conffiles ?? [];
  if (!c.length) return '';
  const items = c.map((f) =>
    f.secret
      ? `<li class="conffile secret"><code>${esc(f.path)}</code>: kept, changed (marked secret: contents not shown)</li>`
      : `<li class="conffile"><details open><summary><code>${esc(f.path)}</code> kept; the shipped version's diff</summary>${f.diff ? diffBlock(f.diff) : '<p class="none">no shipped version left beside it</p>'}</details></li>`,
  );
  return `<h4>Conffiles kept</h4><ul class="conffiles">${items.join('')}</ul>`;
}

function backups(h: HostEntry): string {
  const b = h.report.backups ?? [];
  if (!b.length) return '';
  const rows = b.map(
    (f) =>
      `<tr class="backup"><td><code>${esc(f.path)}</code></td><td>${f.bytes !== undefined ? esc(f.bytes) + ' B' : ''}</td><td><code class="sha256">${esc(f.sha256)}</code></td></tr>`,
  );
  return `<h4>Backups</h4><table class="backups"><thead><tr><th>file</th><th>size</th><th>SHA-256</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function failure(h: HostEntry, r: FleetReport): string {
  if (h.status === 'ok' || h.status === 'not started') return '';
  const failed = [...h.tasks].reverse().find((t) => t.status === 'failed' || t.status === 'unreachable');
  const resume = r.resumeCommand.replace('HOST', h.name);
  const snap = h.report.snapshots?.at(-1);
  const rollback =
    h.report.rollbackCommand ??
    (snap && r.rollbackCommand ? r.rollbackCommand.replace('HOST', h.name).replace('SNAPSHOT', snap) : undefined);
  return (
    `<div class="failure"><h4>${esc(h.status)}${failed ? `: ${esc(failed.task)}` : ''}</h4><pre class="error">${esc(failed?.error ?? h.error ?? failed?.reason ?? '')}</pre>` +
    (h.tail.length
      ? `<details><summary>last ${h.tail.length} output lines</summary><pre class="log">${esc(h.tail.join('\n'))}</pre></details>`
      : '') +
    `<p>To continue: <code class="resume">${esc(resume)}</code></p>${rollback ? `<p>To roll back: <code class="rollback">${esc(rollback)}</code></p>` : ''}</div>`
  );
}

function hostRow(h: HostEntry, r: FleetReport): string {
  const snaps = h.report.snapshots?.length
    ? `<h4>Snapshots</h4><ul class="snapshots">${h.report.snapshots.map((s) => `<li><code>${esc(s)}</code></li>`).join('')}</ul>`
    : '';
  const pending = h.pending.length
    ? `<h4>Pending manual steps</h4><ul class="pending">${h.pending.map((p) => `<li><pre>${esc(p)}</pre></li>`).join('')}</ul>`
    : '';
  const c = h.counts;
  return `<tr class="host status-${esc(h.status.replace(' ', '-'))}" id="host-${esc(h.name)}" data-host="${esc(h.name)}">
<th scope="row">${esc(h.name)}<br><span class="badge">${esc(h.status)}</span>${c ? `<br><small>ok=${c.ok} changed=${c.changed} failed=${c.failed} skipped=${c.skipped}</small>` : ''}</th>
<td>${timeline(h, r)}</td>
<td class="versions before">${versions(h.report.versionsBefore)}</td>
<td class="versions after">${versions(h.report.versionsAfter)}</td>
<td class="details">${changedTasks(h)}${conffiles(h)}${backups(h)}${snaps}${pending}${failure(h, r)}</td>
</tr>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}table.hosts{border-collapse:collapse;width:100%}
.hosts>tbody>tr>*,.hosts>thead>tr>th{border:1px solid #ccc;padding:6px;vertical-align:top;text-align:left}.hosts thead th{background:#f3f3f3}
.badge{font-size:12px;padding:1px 6px;border-radius:8px;background:#ddd}.status-ok .badge{background:#cfe9d6}.status-failed .badge,.status-unreachable .badge{background:#f5c6c0}
.timeline text{font-size:11px;fill:#fff}pre{white-space:pre-wrap;margin:4px 0;font-size:12px}pre.diff{background:#f8f8f8;padding:4px}.add{color:#1a7f37}.del{color:#b42318}.hunk{color:#6b46c1}
td.details{max-width:46em;overflow-wrap:anywhere}pre{overflow-wrap:anywhere}.failure{border-left:4px solid #c0392b;padding-left:8px}.why{color:#666}code.sha256{font-size:11px}h4{margin:8px 0 2px}table.backups td,table.backups th{padding:2px 6px;text-align:left}.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}`;

export function renderReportHtml(r: FleetReport): string {
  const counts = { ok: 0, failed: 0, other: 0 };
  for (const h of r.hosts) counts[h.status === 'ok' ? 'ok' : h.status === 'failed' || h.status === 'unreachable' ? 'failed' : 'other']++;
  const when = `${new Date(r.start).toISOString().replace('T', ' ').slice(0, 19)} UTC, ${secs(r.end - r.start)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(r.playbook)} on ${esc(r.inventory)}: ${esc(r.runId)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(r.playbook)} <small>on ${esc(r.inventory)}</small></h1>
<p class="summary">Run <code>${esc(r.runId)}</code>, ${esc(when)}${r.check ? ', check mode (nothing changed)' : ''}: ${counts.ok} host(s) ok, ${counts.failed} failed${counts.other ? `, ${counts.other} stopped or not started` : ''}; exit code ${esc(r.exitCode ?? '?')}.${r.stopped ? ` Rollout stopped: ${esc(r.stopped)}.` : ''}</p>
<p class="legend">Phases:<span style="background:${COLORS.ok}"></span>ok<span style="background:${COLORS.changed}"></span>changed<span style="background:${COLORS.failed}"></span>failed — time runs left to right over the whole run.</p>
<table class="hosts"><thead><tr><th>host</th><th>phases</th><th>versions before</th><th>versions after</th><th>what happened</th></tr></thead>
<tbody>
${r.hosts.map((h) => hostRow(h, r)).join('\n')}
</tbody></table>
</body></html>
`;
}
