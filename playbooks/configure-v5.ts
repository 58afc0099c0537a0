/**
 * The UCware 5 configuration work after the upgrade, from the desired state in the inventory
 * (host var `ucware5`), through the UCware JSON-RPC API where a method is known:
 *
 *   merge        people created several times under 4.5 → one user, several numbers and slots
 *   fax          fax groups and per-group fax permissions (verified; manual where no API is known)
 *   forwarding   call-forwarding profiles are all inactive after the update: users re-activate them
 *
 *   run configure-v5 inventory/prod.ts --check     # the exact plan, and look-alike accounts
 *   run configure-v5 inventory/prod.ts --resume    # after a crash between delete and reassign
 */
import { playbook } from '../runner/index.ts';
import { pause } from '../modules/index.ts';
import { ucwareMerge } from '../modules/ucware/merge.ts';
import { ucwareFaxGroups } from '../modules/ucware/faxGroups.ts';
import './ucware-vars.ts';

export default playbook(
  {
    name: 'configure-v5',
    description: 'UCware 5 configuration: merge duplicated people, fax groups, forwarding profiles',
  },
  [
    ucwareMerge((h) => ({ api: h.vars.ucwareApi, merges: h.vars.ucware5?.merges ?? [] }), {
      name: 'merge people created several times',
      id: 'merge',
      tags: ['merge'],
      when: (h) => (h.vars.ucware5?.merges?.length ?? 0) > 0,
    }),
    ucwareFaxGroups((h) => ({ api: h.vars.ucwareApi, faxGroups: h.vars.ucware5?.faxGroups ?? [] }), {
      name: 'fax groups and permissions',
      id: 'fax',
      tags: ['fax'],
      when: (h) => (h.vars.ucware5?.faxGroups?.length ?? 0) > 0,
    }),
    pause(
      {
        title: 'Re-activate call-forwarding profiles',
        instructions: [
          'After the update every call-forwarding profile of {host} is INACTIVE (profiles now belong to numbers, not users)',
          'Tell users: UCC client → Rufnummernkonfiguration → number → profile drop-down → save',
          'or do it for them as admin; profiles can now also be activated on a schedule',
        ],
        skipNonInteractive: true,
      },
      { name: 'call-forwarding profiles (manual: no API is known)', id: 'forwarding', tags: ['forwarding'] },
    ),
  ],
);
