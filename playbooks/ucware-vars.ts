/**
 * The host variables of a UCware fleet, typed: inventories that set them and playbooks that
 * read them are checked against this by `tsc`. Augments the runner's open `HostVars`.
 */
import type { SnapshotConfig } from '../modules/snapshot.ts';
import type { MergeSpec } from '../modules/ucware/merge.ts';
import type { FaxGroupSpec } from '../modules/ucware/faxGroups.ts';
import type { UcwareApiConfig } from '../modules/ucware/config.ts';

export type { UcwareApiConfig };

/** The v5 configuration wanted on a server (`run configure-v5`). */
export interface UcwareV5Config {
  /** People created several times under 4.5, to merge into one user each. */
  merges?: MergeSpec[];
  /** Fax groups and who may see their faxes. */
  faxGroups?: FaxGroupSpec[];
}

declare module '../runner/model/vars.ts' {
  interface HostVars {
    /** Kept conffiles that hold secrets: the reports say only that they changed, never their diff. */
    secretConffiles?: string[];
    /** The v5 licence key file for this server, on the controller. */
    licenceFile?: string;
    /** VM snapshot provider for this server. */
    snapshot?: SnapshotConfig;
    /** Trust for https://HOST/admin/: a CA file, or a pinned certificate fingerprint. */
    adminCaFile?: string;
    adminPinSha256?: string;
    /** A regular expression the admin page must match after the upgrade. @default 'UCware' */
    adminExpect?: string;
    ucwareApi?: UcwareApiConfig;
    /** Desired v5 configuration for configure-v5. */
    ucware5?: UcwareV5Config;
    /** Archived before the upgrade. @default ['/etc/ucware', '/etc/asterisk', '/var/spool/asterisk/voicemail', '/var/lib/asterisk/sounds/custom'] */
    backupPaths?: string[];
    /** Minimum free space in MiB on / and /var before the upgrade. @default { root: 2048, var: 2048 } */
    minFreeMb?: { root?: number; var?: number };
    /** Known phone vendors/apps on this server, checked against the v5 compatibility list. */
    devices?: string[];
    /** The operator checked the v5 compatibility list for this server (preflight refuses without it). */
    compatibilityConfirmed?: boolean;
    /** `--no-prefetch`: the upgrade downloads its packages inside the window. */
    'no-prefetch'?: string | boolean;
    /** Hosts downloading at once during the prefetch. @default 4 */
    prefetchConcurrency?: number;
    /** Accepted /etc/os-release VERSION_IDs. @default ['18.04'] */
    expectRelease?: string[];
  }
}

export {};
