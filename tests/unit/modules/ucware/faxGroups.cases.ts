// ucwareFaxGroups: the groups UCware's API lists (a stand-in only here, so written out).
import { ucwareFaxGroups } from '../../../../modules/ucware/faxGroups.ts';
import { cases } from '../../../support/planCases.ts';

const want = { name: 'fax-sales', title: 'Fax Sales', numbers: ['491'], userGroups: ['sales'] };
const sales = (target: number | null) => ({
  id: 2,
  name: 'sales',
  type: 'user',
  members: [],
  permissions: target === null ? [] : [{ permission: 'fax', targetGroup: target }],
});
const fax = { id: 7, name: 'fax-sales', title: 'Fax Sales', type: 'fax', members: ['491'], permissions: [] };

export default cases(ucwareFaxGroups, [
  {
    name: 'group, member and permission in place',
    params: { faxGroups: [want] },
    facts: [fax, sales(7)],
    expect: { noop: 'fax groups as wanted (verified through admin/group getAll)' },
  },
  {
    name: 'no group yet: all of it is manual',
    params: { faxGroups: [want] },
    facts: [sales(null)],
    expect: {
      reason: /^3 difference\(s\): Create a group of type "fax": name "fax-sales"/,
      steps: [],
      result: {
        gaps: [
          { kind: 'create', group: 'fax-sales', title: 'Fax Sales' },
          { kind: 'member', group: 'fax-sales', number: '491' },
          { kind: 'permission', group: 'fax-sales', userGroup: 'sales' },
        ],
      },
    },
  },
  {
    name: 'a number missing from the group: the API adds it',
    params: { faxGroups: [want] },
    facts: [{ ...fax, members: [] }, sales(7)],
    expect: { reason: '1 difference(s): member fax-sales', steps: [], result: { manual: [] } },
  },
  {
    name: 'a group of another type',
    params: { faxGroups: [want] },
    facts: [{ ...fax, type: 'user' }, sales(7)],
    expect: { reason: /exists with type "user", not "fax"/, steps: [] },
  },
]);
