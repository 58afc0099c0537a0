// reboot: lab1's boot id, without and with /var/run/reboot-required(.pkgs).
import { reboot } from '../../../modules/reboot.ts';
import { capture, cases, type Replay } from '../../support/planCases.ts';

const plain: Replay[] = [{ run: 'cat /proc/sys/kernel/random/boot_id', out: 'bookworm/reboot-facts.txt' }];
const required: Replay[] = [{ run: 'cat /proc/sys/kernel/random/boot_id', out: 'bookworm/reboot-facts-required.txt' }];
const bootId = capture('bookworm/reboot-facts-required.txt').split('\n')[0];
const bootIdPlain = capture('bookworm/reboot-facts.txt').trim();

export default cases(reboot, [
  {
    name: 'onlyIfRequired, nothing asks for it',
    params: { onlyIfRequired: true },
    replay: plain,
    expect: { noop: 'no reboot required (/var/run/reboot-required absent)', result: { rebooted: false, bootIdBefore: bootIdPlain } },
  },
  {
    name: 'onlyIfRequired, and packages ask for it',
    params: { onlyIfRequired: true },
    replay: required,
    expect: {
      reason: `reboot required by ucware-core, linux-base; boot id now ${bootId}`,
      steps: [],
      result: { requiredBy: ['ucware-core', 'linux-base'] },
    },
  },
  { name: 'unconditional', params: {}, replay: plain, expect: { reason: `reboot; boot id now ${bootIdPlain}`, steps: [] } },
  {
    name: 'never through a local connection',
    params: {},
    replay: [],
    connection: 'local',
    expect: { throws: 'reboot: refusing to reboot through a local connection (that is the controller itself)' },
  },
  { name: 'a negative timeout is refused', params: { upTimeoutSec: -1 }, expect: { throws: /must be a number ≥ 0/ } },
]);
