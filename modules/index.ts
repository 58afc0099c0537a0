/** Every module, for `import { copy, command } from './index.ts'`. */
export { command, shell } from './command.ts';
export { file } from './file.ts';
export { copy } from './copy.ts';
export { aptSources } from './aptSources.ts';
export { packageFacts } from './packageFacts.ts';
export { assertVersion } from './assertVersion.ts';
export { debconfKeep } from './debconfKeep.ts';
export { mysqlExec } from './mysqlExec.ts';
export { httpCheck } from './httpCheck.ts';
export { waitForSsh } from './waitForSsh.ts';
export { reboot } from './reboot.ts';
export { aptUpgrade } from './aptUpgrade.ts';
export { pause } from './pause.ts';
export { fetchFile } from './fetchFile.ts';
export { aptPackages } from './aptPackages.ts';
