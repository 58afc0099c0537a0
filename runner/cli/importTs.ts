/**
 * Imports a playbook or inventory file. Started through bin/run.js the runner itself comes from
 * a bundle (bin/bundle.js) that also holds these files, so they are taken from it: the same
 * runner module instances, no loader hooks. A file the bundle does not hold (or any file when
 * the runner was loaded through tsx, as in the tests) is imported through tsx, registered on
 * first need.
 */
import { pathToFileURL } from 'node:url';

declare global {
  // Set by bin/bundle.js: source file → its module in the bundle.
  // eslint-disable-next-line no-var
  var __ucwBundle: Map<string, string> | undefined;
}

let tsxRegistered = false;

export async function importTs(file: string): Promise<{ default?: unknown }> {
  const bundled = globalThis.__ucwBundle?.get(file);
  if (bundled) return (await import(bundled)) as { default?: unknown };
  if (globalThis.__ucwBundle && !tsxRegistered && /\.[cm]?ts$/.test(file)) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  return (await import(pathToFileURL(file).href)) as { default?: unknown };
}
