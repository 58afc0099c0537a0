/**
 * Revert a server to a snapshot the upgrade took, through its snapshot provider, after the
 * operator confirms on the terminal (or `--yes` in a script), then wait until SSH answers.
 *
 *   run rollback inventory/prod.ts --limit pbx-ber-1 --to before-ucware-5
 */
import { playbook } from '../runner/index.ts';
import { pause, waitForSsh } from '../modules/index.ts';
import { snapshot } from '../modules/snapshot.ts';
import './ucware-vars.ts';

export default playbook(
  {
    name: 'rollback',
    description: 'Revert servers to a snapshot (before-ubuntu-update or before-ucware-5)',
    serial: 1,
    maxFailPercentage: 0,
    params: {
      to: { description: 'snapshot name, e.g. before-ucware-5', required: true },
      yes: { description: 'skip the confirmation (for scripts)' },
    },
  },
  [
    pause(
      {
        title: 'Confirm the rollback',
        instructions: [
          'This reverts {host} ({address}) to its snapshot, losing every change made since it was taken.',
          'Answer yes to roll back, no to leave this server as it is.',
        ],
        question: 'Roll {host} back now?',
      },
      { name: 'operator confirms', when: (h) => !h.vars.yes, runInCheckMode: false },
    ),
    snapshot((h) => ({ name: String(h.vars.to), rollback: true }), { name: 'roll back to the snapshot' }),
    waitForSsh({ timeoutSec: 600 }, { name: 'server answers again' }),
  ],
);
