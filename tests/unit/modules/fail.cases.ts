// fail: the plan is the failure.
import { fail } from '../../../modules/fail.ts';
import { cases } from '../../support/planCases.ts';

export default cases(fail, [
  {
    name: 'fails with the message',
    params: { msg: 'the upgrade of lab1 stopped: see the report' },
    expect: { throws: 'the upgrade of lab1 stopped: see the report' },
  },
  {
    name: 'a multi-line message is kept whole',
    params: { msg: 'NO-GO\n  dpkg: half configured' },
    expect: { throws: 'NO-GO\n  dpkg: half configured' },
  },
]);
