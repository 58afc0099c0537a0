/** Benchmark workload B (after pyinfra's): create a user, touch a file, copy a small file, run a shell command. Idempotent. */
import { playbook } from '../runner/index.ts';
import { command, copy, file } from '../modules/index.ts';
import { W4 } from './workload4.ts';

export default playbook({ name: 'bench-four', description: 'benchmark: user, file, copy, shell' }, [
  command({ argv: ['useradd', '-m', W4.user], creates: `/home/${W4.user}` }, { name: 'user' }),
  file({ path: W4.touched, kind: 'file' }, { name: 'touch' }),
  copy({ path: W4.copied, content: W4.content, mode: '0644' }, { name: 'copy' }),
  command({ cmd: W4.shell }, { name: 'shell', changedWhen: () => false }),
]);
