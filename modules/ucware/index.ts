/** The UCware modules, for `import { ucwarePreflight } from 'ucw-runner/ucware'`. */
export { ucwarePreflight, type PreflightResult } from './preflight.ts';
export { ucwareBackup, type UcwareBackupResult } from './backup.ts';
export { ucwareReport, type KeptConffile } from './report.ts';
export { ucwareMerge, type MergeSpec } from './merge.ts';
export { ucwareFaxGroups, type FaxGroupSpec } from './faxGroups.ts';
export type { UcwareApiConfig } from './config.ts';
