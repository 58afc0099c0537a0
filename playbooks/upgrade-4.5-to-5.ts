/**
 * UCware Server 4.5 → 5, the vendor's procedure end to end (docs: UCware wiki
 * "UCware Server auf Version 5 aktualisieren", 2023-06-29), one server at a time by default:
 *
 *   preflight   GO/NO-GO on every selected server before anything changes
 *   backup      MySQL dump + /etc/ucware, /etc/asterisk, voicemail, announcements → backups/<host>/<stamp>/
 *   mysql       root authenticates by unix socket; .my.cnf files removed          (step 1)
 *   snapshot    "before-ubuntu-update"                                          (step 2.1)
 *   ubuntu      keep conffiles, apt clean/update/full-upgrade, reboot, ≥ 4.5.0.10 (step 2)
 *   snapshot    "before-ucware-5"                                               (step 3.1)
 *   ucware5     ucware.list ucware-4.5 → ucware-5, full-upgrade, reboot, 5.x     (step 3)
 *   verify      no failed systemd unit (named if any); https://HOST/admin/ answers with UCware 5
 *   licence     guided step: upload the v5 licence (no API for it is known)
 *   report      versions, kept conffiles and their .dpkg-dist diffs, backup, snapshots, times
 *
 *   run upgrade inventory/prod.ts --limit tag:berlin --check
 *
 * A server already on 5 passes preflight with nothing to do, so a second run changes nothing.
 * After a failure past a snapshot, the failure names the snapshot and the rollback command.
 */
import { playbook, block, quote, type HostView, type Task } from '../runner/index.ts';
import { aptSources, aptUpgrade, assertVersion, debconfKeep, httpCheck, mysqlExec, packageFacts, pause, reboot } from '../modules/index.ts';
import { fail } from '../modules/fail.ts';
import { snapshot, type SnapshotResult } from '../modules/snapshot.ts';
import { ucwarePreflight, type PreflightResult } from '../modules/ucware/preflight.ts';
import { aptPrefetch, type AptPrefetchResult } from '../modules/aptPrefetch.ts';
import { command } from '../modules/command.ts';
import { ucwareBackup, type UcwareBackupResult } from '../modules/ucware/backup.ts';
import { ucwareReport, type KeptConffile } from '../modules/ucware/report.ts';
import type { DebconfKeepResult } from '../modules/debconfKeep.ts';
import { shell } from '../modules/command.ts';

/** How long `noFailedUnits` waits for a boot to end. */
const BOOT_WAIT_SEC = 300;

/**
 * On systemd hosts: fail naming the units systemd reports failed (a server that did not come
 * back after the reboot), where the admin URL alone only says "connection refused". sshd answers
 * a second after a reboot, before the later servers have started or failed, so this first waits
 * until the boot is over (`is-system-running --wait`, systemd 240+; older ones skip the wait), and
 * fails naming the jobs still queued if it is not over after `BOOT_WAIT_SEC`.
 */
export const noFailedUnits = shell(
  {
    cmd: [
      '[ -d /run/systemd/system ] || exit 0',
      `timeout ${BOOT_WAIT_SEC} systemctl is-system-running --wait >/dev/null 2>&1`,
      's=$(systemctl is-system-running 2>/dev/null)',
      "f=$(systemctl --failed --no-legend --plain | cut -d' ' -f1 | tr '\\n' ' ')",
      '[ -z "${f% }" ] || { echo "failed units: ${f% }" >&2; exit 1; }',
      `case $s in initializing|starting) echo "boot not finished after ${BOOT_WAIT_SEC} s (system $s); queued jobs: $(systemctl list-jobs --no-legend --plain | head -5 | tr -s ' ' | cut -d' ' -f2,3 | tr '\\n' ',')" >&2; exit 1;; esac`,
    ].join('; '),
  },
  { name: 'no failed systemd units', changedWhen: () => false, verifiesChanges: true },
);
import type { PackageFactsResult } from '../modules/packageFacts.ts';
import type { PauseResult } from '../modules/pause.ts';
import './ucware-vars.ts';

const LIST = '/etc/apt/sources.list.d/ucware.list';
const CONFFILES = ['/etc/init/asterisk.conf', '/etc/ucware/ucware.php'];
const PACKAGES = ['ucware', 'ucware-core'];
/** One folder name per run, shared by backup and report. */
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 13);

const preflight = ucwarePreflight(
  (h) => ({
    expectRelease: h.vars.expectRelease,
    licenceFile: h.vars.licenceFile,
    snapshot: h.vars.snapshot,
    compatibilityConfirmed: h.vars.compatibilityConfirmed,
    devices: h.vars.devices,
    minFreeMb: h.vars.minFreeMb,
  }),
  { name: 'GO/NO-GO checks', id: 'preflight', runInCheckMode: true, become: true },
);
/** Later phases only where there is something to upgrade. */
const todo = (h: HostView) => !h.result<PreflightResult>(preflight)?.result?.alreadyDone;

/**
 * Both phases' packages downloaded during preflight (`--no-prefetch` turns it off), so the
 * window downloads nothing: no `apt-get clean`, no list refresh inside it; the UCware 5 lists
 * resolved then are seeded after the ucware.list switch.
 */
const prefetch = aptPrefetch(
  (h) => ({
    update: true,
    mode: 'full',
    next: { listFile: LIST, from: 'ucware-4.5', to: 'ucware-5' },
    reserveMb: h.vars.minFreeMb?.var ?? 2048,
    concurrency: h.vars.prefetchConcurrency ?? 4,
  }),
  {
    name: 'prefetch the packages of both phases',
    id: 'prefetch',
    become: true,
    when: (h) => todo(h) && !h.vars['no-prefetch'],
    timeoutSec: 3600,
  },
);
/** Under --check the prefetch only planned: the window would still clean and refresh. */
const prefetched = (h: HostView) => !h.check && h.changed(prefetch);
/** Within a day of the prefetch its lists stand; without one, clean and refresh as the vendor says. */
const upgradeParams = (h: HostView) =>
  prefetched(h) ? { update: true, cacheValidTimeSec: 86400, mode: 'full' as const } : { clean: true, update: true, mode: 'full' as const };

const versionsBefore = packageFacts(
  { names: PACKAGES },
  { name: 'versions before', id: 'versionsBefore', runInCheckMode: true, tags: ['always'] },
);
const backup = ucwareBackup((h) => ({ stamp, paths: h.vars.backupPaths }), {
  name: 'back up MySQL and UCware data',
  id: 'backup',
  become: true,
  timeoutSec: 1800,
});
const snap1 = snapshot(
  { name: 'before-ubuntu-update', description: 'UCware 4.5 before apt full-upgrade (ucw-runner)' },
  { id: 'snap1', tags: ['snapshot'], when: todo },
);
const snap2 = snapshot(
  { name: 'before-ucware-5', description: 'UCware 4.5 up to date, before switching to 5 (ucw-runner)' },
  { id: 'snap2', tags: ['snapshot'], when: todo },
);
const keep45 = debconfKeep(
  { files: CONFFILES, verify: true },
  { name: 'conffiles kept (4.5 update)', id: 'keep45', become: true, verifiesChanges: true },
);
const keep5 = debconfKeep(
  { files: CONFFILES, verify: true },
  { name: 'conffiles kept (5 update)', id: 'keep5', become: true, verifiesChanges: true },
);
const upgrade45 = aptUpgrade(upgradeParams, {
  name: 'apt full-upgrade (Ubuntu + UCware 4.5)',
  id: 'upgrade45',
  become: true,
  timeoutSec: 3600,
});
const upgrade5 = aptUpgrade(upgradeParams, { name: 'apt full-upgrade (UCware 5)', id: 'upgrade5', become: true, timeoutSec: 3600 });
const versionsAfter = packageFacts(
  { names: PACKAGES },
  { name: 'versions after', id: 'versionsAfter', runInCheckMode: true, tags: ['always'] },
);
const licence = pause(
  {
    title: 'Upload the UCware 5 licence key',
    instructions: [
      'Open https://{address}/admin/ and log in as supervisor (or a member of group admin)',
      'Administration → Lizenz → "Lizenz hochladen", choose the v5 licence file for {host}',
      'Check the licence status at the top of that page',
      'Until then no user accounts can be created and users cannot use the UCC client',
    ],
    skipNonInteractive: true,
  },
  { name: 'licence (manual: no API is known for it)', id: 'licence', tags: ['licence'], when: (h) => upgraded(h) },
);

/** This rollout upgraded the host (also true on --resume, where preflight finds it done). */
const upgraded = (h: HostView) => todo(h) || h.changed(upgrade45) || h.changed(upgrade5);

const taken = (h: HostView) =>
  [snap1, snap2]
    .map((t) => h.result<SnapshotResult>(t))
    .filter((o) => o && !o.skipped && !o.failed && o.result?.provider !== 'none')
    .map((o) => o!.result!);

/** Seconds a group of tasks took on this host. */
const secs = (h: HostView, tasks: Task<any>[]) => tasks.reduce((s, t) => s + (h.result(t)?.durationMs ?? 0), 0) / 1000;

const keptOf = (h: HostView): KeptConffile[] => {
  const results = [keep45, keep5].map((t) => h.result<DebconfKeepResult>(t)?.result).filter((r): r is DebconfKeepResult => !!r);
  const files = [...new Set(results.flatMap((r) => r.kept ?? []))];
  return files.map((path) => ({
    path,
    secret: h.vars.secretConffiles?.includes(path) ?? false,
    leftovers: [
      ...new Map(
        results
          .flatMap((r) => r.leftovers ?? [])
          .filter((l) => l.of === path)
          .map((l) => [l.path, { path: l.path, diff: `${l.differingLines} line(s) differ from the kept file` }]),
      ).values(),
    ],
  }));
};

export default playbook(
  {
    name: 'upgrade',
    description: 'UCware Server 4.5 → 5 (Ubuntu update, UCware 5, verification, licence)',
    serial: 1,
    maxFailPercentage: 0,
    // Every step of the procedure is an admin step (`sudo …` in the vendor's article).
    become: true,
    preflight: [preflight, prefetch],
    params: { 'no-prefetch': { description: 'do not download the packages during preflight (the window downloads them)' } },
  },
  [
    versionsBefore,
    block('backup', { tags: ['backup'], when: todo }, [backup]),
    block('MySQL root via unix socket (step 1)', { tags: ['mysql'] }, [
      mysqlExec((h) => ({ socketAuthForRoot: true, removeMyCnfFor: [...new Set(['root', h.user])] }), {
        name: 'root by unix socket, .my.cnf removed',
        become: true,
      }),
    ]),
    block(
      'update',
      {
        rescue: [
          fail(
            (h) => {
              const s = taken(h).at(-1);
              const snap = h.vars.snapshot;
              return {
                msg: s
                  ? `the upgrade failed after snapshot "${s.name}" (${s.provider}). To roll back: ${s.rollbackCommand}`
                  : snap?.provider === 'none'
                    ? `the upgrade failed; snapshots are waived for this host (${snap.waiver}), so there is none to roll back to: restore from the backup`
                    : 'the upgrade failed before any snapshot was taken; nothing to roll back to',
              };
            },
            { name: 'say how to roll back' },
          ),
        ],
      },
      [
        snap1,
        block('Ubuntu and UCware 4.5 up to date (step 2)', { tags: ['ubuntu'] }, [
          debconfKeep({ files: CONFFILES }, { name: 'keep modified conffiles', become: true }),
          upgrade45,
          reboot({}, { name: 'reboot after the 4.5 update', when: (h) => h.changed(upgrade45), become: true }),
          assertVersion({ packages: PACKAGES, atLeast: '4.5.0.10' }, { name: 'UCware ≥ 4.5.0.10', verifiesChanges: true }),
          keep45,
        ]),
        snap2,
        block('UCware 5 (step 3)', { tags: ['ucware5'] }, [
          aptSources(
            { file: LIST, replace: { field: 'uri', from: 'ucware-4.5', to: 'ucware-5' }, backup: true },
            { name: 'ucware.list: ucware-4.5 → ucware-5', id: 'sources', become: true },
          ),
          debconfKeep({ files: CONFFILES }, { name: 'keep modified conffiles', become: true }),
          command(
            (h) => ({
              cmd: `for f in ${quote(h.result<AptPrefetchResult>(prefetch)?.result?.next?.lists ?? '/nonexistent')}/*; do [ -f "$f" ] && [ "\${f##*/}" != lock ] && cp -n -p -- "$f" /var/lib/apt/lists/; done; true`,
            }),
            { name: 'ucware-5 lists from the prefetch', become: true, when: (h) => !!h.result<AptPrefetchResult>(prefetch)?.result?.next },
          ),
          upgrade5,
          reboot({}, { name: 'reboot after the 5 update', when: (h) => h.changed(upgrade5), become: true }),
          assertVersion({ packages: PACKAGES, atLeast: '5', below: '6' }, { name: 'UCware 5.x', verifiesChanges: true }),
          keep5,
        ]),
        block('verify', { tags: ['verify'] }, [
          noFailedUnits,
          httpCheck(
            (h) => ({
              url: `https://${h.address}/admin/`,
              caFile: h.vars.adminCaFile,
              pinSha256: h.vars.adminPinSha256,
              matches: new RegExp(h.vars.adminExpect ?? 'UCware'),
              retries: 20,
              delaySec: 3,
            }),
            { name: 'admin client answers', verifiesChanges: true },
          ),
        ]),
      ],
    ),
    licence,
    versionsAfter,
    ucwareReport(
      (h) => {
        const v = (t: Task<PackageFactsResult>) =>
          Object.fromEntries(PACKAGES.map((n) => [n, h.result<PackageFactsResult>(t)?.result?.packages[n]?.version ?? null]));
        const pending = h.result<PauseResult>(licence)?.result?.pending
          ? ['upload the UCware 5 licence key (Administration → Lizenz)']
          : [];
        return {
          dir: `backups/${h.name}/${stamp}`,
          before: v(versionsBefore),
          after: v(versionsAfter),
          conffiles: keptOf(h),
          backupDir: h.result<UcwareBackupResult>(backup)?.result?.dir,
          snapshots: taken(h).map((s) => s.name),
          rollbackCommand: taken(h).at(-1)?.rollbackCommand,
          phases: {
            backup: secs(h, [backup]),
            ubuntu: secs(h, [upgrade45]),
            ucware5: secs(h, [upgrade5]),
            snapshots: secs(h, [snap1, snap2]),
          },
          pending,
        };
      },
      { name: 'report', tags: ['always'], when: (h) => upgraded(h) },
    ),
  ],
);
