/** The subcommands that run no playbook: `init`, `completion`, and `__complete` (what the completion script calls). */
import { UsageError } from '../model/errors.ts';

export async function runSubcommand(name: 'init' | 'completion' | '__complete', args: string[]): Promise<number> {
  if (name === 'init') return (await import('./init.ts')).initMain(args);
  const c = await import('./completion.ts');
  if (name === '__complete') {
    for (const w of await c.candidates(Number(args[0]), args.slice(1))) console.log(w);
    return 0;
  }
  if (args[0] !== 'bash' && args[0] !== 'zsh')
    throw new UsageError(`run completion: say bash or zsh, e.g. source <(npx --no-install run completion bash)`);
  process.stdout.write(c.completionScript(args[0]));
  return 0;
}
