// waitForSsh: nothing to learn before trying; the plan says what it will wait for.
import { waitForSsh } from '../../../modules/waitForSsh.ts';
import { cases } from '../../support/planCases.ts';

export default cases(waitForSsh, [
  { name: 'the default wait', params: {}, expect: { reason: 'wait up to 600 s for SSH', steps: [] } },
  {
    name: 'a new boot id',
    params: { bootIdNot: 'abc', timeoutSec: 30 },
    expect: { reason: 'wait up to 30 s for SSH and a boot id other than abc', steps: [] },
  },
  { name: 'a zero timeout is refused', params: { timeoutSec: 0 }, expect: { throws: /must be > 0/ } },
]);
