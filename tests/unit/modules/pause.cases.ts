// pause: always a manual step; the plan shows it.
import { pause } from '../../../modules/pause.ts';
import { cases } from '../../support/planCases.ts';

export default cases(pause, [
  {
    name: 'instructions joined in the reason',
    params: { title: 'Licence', instructions: ['open the admin page', 'upload the v5 licence'] },
    expect: { reason: 'manual step: Licence — open the admin page / upload the v5 licence', steps: [] },
  },
  { name: 'an empty title is refused', params: { title: ' ', instructions: 'x' }, expect: { throws: /title/ } },
  { name: 'no instructions are refused', params: { title: 't', instructions: [] }, expect: { throws: /instructions/ } },
]);
