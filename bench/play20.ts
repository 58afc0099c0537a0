/** Benchmark workload A: 20 trivial tasks (`true`), as Ansible's play20.yml. */
import { playbook } from '../runner/index.ts';
import { command } from '../modules/index.ts';

export default playbook(
  { name: 'bench-true20', description: 'benchmark: 20 x command true' },
  Array.from({ length: 20 }, (_, i) => command({ argv: ['true'] }, { name: `t${i + 1}` })),
);
