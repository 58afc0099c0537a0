// ucwareBackup: it always backs up (the apply dumps, archives and fetches); the plan names what.
import { ucwareBackup } from '../../../../modules/ucware/backup.ts';
import { cases } from '../../../support/planCases.ts';

export default cases(ucwareBackup, [
  {
    name: 'the default paths',
    params: { stamp: '20261201-0930' },
    expect: {
      reason: 'back up MySQL and /etc/ucware, /etc/asterisk, /var/spool/asterisk/voicemail, /var/lib/asterisk/sounds/custom',
      steps: [],
    },
  },
  {
    name: 'given paths',
    params: { stamp: '20261201-0930', paths: ['/etc/ucware'] },
    expect: { reason: 'back up MySQL and /etc/ucware', steps: [] },
  },
]);
