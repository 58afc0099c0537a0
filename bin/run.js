#!/usr/bin/env node
// Entry point for `npx run …`. Playbooks and inventories are TypeScript: the runner and they are
// loaded from a cached bundle (bundle.js), or through tsx when the bundle cannot be built.
// Both only strip types; runner/cli/cli.ts type-checks them first (runner/cli/typecheck.ts).
import { startBundled } from './bundle.js';

if (!(await startBundled(process.argv.slice(2)))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../runner/cli/cli.ts');
}
