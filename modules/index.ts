/** Every module, for `import { copy, command } from '../modules/index.ts'`. */
export { command, shell } from './command.ts';
export { file } from './file.ts';
export { copy } from './copy.ts';
