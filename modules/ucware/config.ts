/** Settings the UCware modules read from a host's vars; playbooks/ucware-vars.ts puts them into `HostVars`. */

/** How to reach a server's UCware JSON-RPC API. */
export interface UcwareApiConfig {
  /** @default `https://<address>` */
  url?: string;
  /** `/api/2` (current), `/api/1`, or `/ucware/api` (before 2024). @default '/api/2' */
  basePath?: '/api/2' | '/api/1' | '/ucware/api';
  /** Basic auth user (with passwordEnv), or leave out and use tokenEnv (Bearer). */
  user?: string;
  passwordEnv?: string;
  /** Read the password from a file instead (mode 600; the lab uses this). */
  passwordFile?: string;
  tokenEnv?: string;
  tokenFile?: string;
  caFile?: string;
  pinSha256?: string;
}
