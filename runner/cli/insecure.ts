/**
 * Settings that switch certificate checks off behind the runner's back: Node's
 * NODE_TLS_REJECT_UNAUTHORIZED=0 (every HTTPS call: UCware API, Proxmox, httpCheck) and govc's
 * GOVC_INSECURE (vSphere), in the environment or in a host's snapshot settings. A run refuses to
 * start with any of them unless `--insecure` is given, and then says so in the recap.
 */
import { UsageError } from '../model/errors.ts';
import type { Host } from '../inventory/load.ts';

const on = (v: unknown) => v !== undefined && v !== '' && !/^(0|false|no)$/i.test(String(v));

/** What is set, e.g. `NODE_TLS_REJECT_UNAUTHORIZED=0 (environment)`; empty when nothing is. */
export function insecureSettings(hosts: Host[], env: NodeJS.ProcessEnv = process.env): string[] {
  const found: string[] = [];
  if (env.NODE_TLS_REJECT_UNAUTHORIZED === '0') found.push('NODE_TLS_REJECT_UNAUTHORIZED=0 (environment)');
  if (on(env.GOVC_INSECURE)) found.push(`GOVC_INSECURE=${env.GOVC_INSECURE} (environment)`);
  for (const h of hosts) {
    const snap = (h.vars as { snapshot?: { env?: Record<string, string> } }).snapshot;
    if (on(snap?.env?.GOVC_INSECURE)) found.push(`GOVC_INSECURE=${snap!.env!.GOVC_INSECURE} (snapshot.env of ${h.name})`);
  }
  return found;
}

/** Throws unless allowed; returns the recap line when something insecure is allowed. */
export function checkInsecure(hosts: Host[], allowed: boolean | undefined): string | undefined {
  const found = insecureSettings(hosts);
  if (!found.length) return undefined;
  if (!allowed) {
    throw new UsageError(
      `certificate checks are switched off by ${found.join(', ')}: a network attacker could read the API tokens and passwords this run sends. ` +
        `Unset ${found.length > 1 ? 'them' : 'it'}, or pass --insecure to run like this anyway.`,
    );
  }
  return `INSECURE: certificate checks are off (${found.join(', ')}), allowed by --insecure`;
}
