/**
 * Back up what the UCware update does not migrate: a consistent MySQL dump (all databases,
 * `--single-transaction`) and an archive of the given paths (config, voicemail, announcements),
 * made on the host, fetched to the controller under `backups/<host>/<stamp>/`, and checked
 * there against the SHA-256 sums the host computed. Not idempotent by nature: every run that
 * reaches it takes a new backup (guard it with `when`). Check mode: skipped.
 *
 * @example
 * ucwareBackup((h) => ({ stamp, paths: h.vars.backupPaths }), { tags: ['backup'], become: true })
 */
import { join, resolve } from 'node:path';
import { defineModule, change, sh, privateDir, writePrivateFile } from '../../runner/module.ts';
import { fetchVerified } from '../lib/fetch.ts';

export const DEFAULT_BACKUP_PATHS = ['/etc/ucware', '/etc/asterisk', '/var/spool/asterisk/voicemail', '/var/lib/asterisk/sounds/custom'];

export interface UcwareBackupParams {
  /** Names this backup's folder on host and controller, e.g. `20261128-0210`. */
  stamp: string;
  /** Paths to archive; missing ones are listed and skipped. @default DEFAULT_BACKUP_PATHS */
  paths?: string[];
  /** Dump MySQL through this defaults file. @default '/etc/mysql/debian.cnf' */
  mysqlDefaultsFile?: string;
  /** Folder on the host. @default '/var/backups/ucw-runner' */
  hostDir?: string;
  /** Folder on the controller. @default 'backups' */
  controllerDir?: string;
}

export interface BackupFile {
  name: string;
  bytes: number;
  sha256: string;
}

export interface UcwareBackupResult {
  /** Where the verified copies are on the controller. */
  dir: string;
  hostDir: string;
  files: BackupFile[];
  /** Paths that did not exist on the host. */
  missing: string[];
}

export const ucwareBackup = defineModule<UcwareBackupParams, undefined, UcwareBackupResult>({
  name: 'ucwareBackup',
  checkMode: 'none',
  summary: (p) => `MySQL dump and ${(p.paths ?? DEFAULT_BACKUP_PATHS).length} paths`,
  plan: (p) => change(`back up MySQL and ${(p.paths ?? DEFAULT_BACKUP_PATHS).join(', ')}`, { steps: [] }),
  apply: async (ctx, p) => {
    const hostDir = `${p.hostDir ?? '/var/backups/ucw-runner'}/${p.stamp}`;
    const paths = p.paths ?? DEFAULT_BACKUP_PATHS;
    await ctx.run(sh`umask 077 && mkdir -p ${hostDir}`);
    ctx.output('dumping MySQL');
    // POSIX sh has no pipefail: mysqldump's status goes through a file so a failed dump fails the task.
    await ctx.run(
      sh`cd ${hostDir} && { mysqldump --defaults-file=${p.mysqlDefaultsFile ?? '/etc/mysql/debian.cnf'} --single-transaction --routines --events --all-databases; echo $? > .dump-rc; } | gzip > mysql.sql.gz && test "$(cat .dump-rc)" = 0 && rm -f .dump-rc`,
    );
    const exist = await ctx.run(sh`for p in ${paths}; do if [ -e "$p" ]; then echo "+$p"; else echo "-$p"; fi; done`, { quiet: true });
    const present = exist.stdout
      .split('\n')
      .filter((l) => l.startsWith('+'))
      .map((l) => l.slice(1));
    const missing = exist.stdout
      .split('\n')
      .filter((l) => l.startsWith('-'))
      .map((l) => l.slice(1));
    ctx.output(`archiving ${present.join(', ') || 'nothing'}`);
    if (present.length) await ctx.run(sh`cd / && tar -czf ${hostDir}/files.tar.gz ${present.map((x) => x.replace(/^\//, ''))}`);
    const sums = await ctx.run(sh`cd ${hostDir} && sha256sum -- *.gz && wc -c -- *.gz`, { quiet: true });
    const files = parseSums(sums.stdout);
    const dir = resolve(p.controllerDir ?? 'backups', ctx.host.name, p.stamp);
    privateDir(dir);
    for (const f of files) await fetchVerified(ctx, `${hostDir}/${f.name}`, join(dir, f.name), f.sha256);
    writePrivateFile(join(dir, 'SHA256SUMS'), files.map((f) => `${f.sha256}  ${f.name}\n`).join(''));
    ctx.report?.({ backups: files.map((f) => ({ path: join(dir, f.name), sha256: f.sha256, bytes: f.bytes })) });
    return {
      changed: true,
      reason: `backup of ${files.map((f) => `${f.name} (${f.bytes} B)`).join(', ')} verified in ${dir}`,
      result: { dir, hostDir, files, missing },
    };
  },
});

export function parseSums(out: string): BackupFile[] {
  const sums = new Map<string, string>();
  const sizes = new Map<string, number>();
  for (const l of out.split('\n')) {
    const s = /^([0-9a-f]{64})\s+\*?(.+)$/.exec(l.trim());
    if (s) sums.set(s[2]!, s[1]!);
    const w = /^(\d+)\s+(.+)$/.exec(l.trim());
    if (w && w[2] !== 'total') sizes.set(w[2]!, Number(w[1]));
  }
  return [...sums].map(([name, sha256]) => ({ name, sha256, bytes: sizes.get(name) ?? -1 }));
}
