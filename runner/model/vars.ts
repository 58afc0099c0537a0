/**
 * Host variables. A project types its own by augmenting this interface, e.g.
 * `declare module 'ucw-runner/model/vars' { interface HostVars { licenceFile: string } }`
 * (inside this repository: `declare module '../runner/model/vars.ts'`).
 */
export interface HostVars {
  [key: string]: unknown;
}
