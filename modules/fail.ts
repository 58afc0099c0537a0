/**
 * Fail the task on purpose, with a message (Ansible's `fail`): for a `rescue` that must still
 * fail the host after saying what to do, or a guard that a plain `when` can't express.
 *
 * @example
 * fail((h) => ({ msg: `upgrade failed; roll back with: ${h.result(snap)?.result?.rollbackCommand}` }))
 */
import { defineModule, TaskFailed } from '../runner/module.ts';

export interface FailParams {
  msg: string;
}

export const fail = defineModule<FailParams>({
  name: 'fail',
  summary: (p) => p.msg.split('\n')[0]!.slice(0, 60),
  plan: (p) => {
    throw new TaskFailed(p.msg);
  },
});
