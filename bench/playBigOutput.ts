/** Benchmark workload C (issue 14 item 8): one task printing BENCH_BIG_BYTES (default 2 GiB) in 100-byte lines. */
import { playbook } from '../runner/index.ts';
import { command } from '../modules/index.ts';

const bytes = Number(process.env.BENCH_BIG_BYTES ?? 2 ** 31);

export default playbook({ name: 'bench-big-output', description: 'benchmark: one task printing a lot' }, [
  command({ cmd: `head -c ${bytes} /dev/zero | tr '\\0' x | fold -w 99; echo; echo big-output-end` }, { name: 'print a lot' }),
]);
