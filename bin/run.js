#!/usr/bin/env node
// Entry point for `npx run …`: playbooks and inventories are TypeScript, so tsx loads them at run time.
import { register } from 'tsx/esm/api';
register();
await import('../runner/cli.ts');
