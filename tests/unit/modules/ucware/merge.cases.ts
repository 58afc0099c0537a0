// ucwareMerge: the users and slots UCware's API lists (a stand-in only here, so written out,
// shaped as lab/ucware-api-standin.ts answers).
import { ucwareMerge } from '../../../../modules/ucware/merge.ts';
import { cases } from '../../../support/planCases.ts';

const users = [
  { id: 1, username: 'mmeier', firstName: 'Maria', lastName: 'Meier', email: 'm.meier@example.com', extensions: [{ number: '201' }] },
  { id: 2, username: 'mmeier2', firstName: 'Maria', lastName: 'Meier', email: 'm.meier@example.com', extensions: [{ number: '202' }] },
  { id: 3, username: 'kschulz', firstName: 'Kai', lastName: 'Schulz', extensions: [{ number: '301' }] },
  { id: 4, username: 'kschulz-fax', firstName: 'Kai', lastName: 'Schulz', extensions: [{ number: '391' }] },
];
const slots = [{ id: 10, deviceType: 'mac' as const, name: 'Desk', userId: 1, extensions: ['201'] }];
const merge = { keep: 'mmeier', remove: ['mmeier2'] };

export default cases(ucwareMerge, [
  {
    name: 'two accounts of one person: note, delete, move the number; the look-alike pair is named',
    params: { merges: [merge] },
    facts: { users, slots, noted: {} },
    expect: {
      reason: 'delete mmeier2, 202 → mmeier; not in the desired state but look alike: kschulz = kschulz-fax',
      steps: [],
      result: {
        actions: [
          { kind: 'note', account: 'mmeier2', numbers: ['202'], keep: 'mmeier' },
          { kind: 'delete', account: 'mmeier2', userId: 2 },
          { kind: 'assign', number: '202', keep: 'mmeier', userId: 1 },
        ],
      },
    },
  },
  {
    name: 'a slot ticks both numbers',
    params: { merges: [{ ...merge, slots: [{ deviceType: 'mac', name: 'Desk', numbers: ['201', '202'] }] }] },
    facts: { users, slots, noted: {} },
    expect: { reason: /^delete mmeier2, 202 → mmeier, tick 202 on "Desk"/, steps: [] },
  },
  {
    name: 'after a crash between delete and assign: the journal still knows the numbers',
    params: { merges: [merge] },
    facts: { users: users.filter((u) => u.username !== 'mmeier2'), slots, noted: { mmeier2: { numbers: ['202'], keep: 'mmeier' } } },
    expect: { reason: /^202 → mmeier/, steps: [] },
  },
  {
    name: 'merged already',
    params: { merges: [merge] },
    facts: {
      users: [{ ...users[0]!, extensions: [{ number: '201' }, { number: '202' }] }, users[2]!, users[3]!],
      slots,
      noted: { mmeier2: { numbers: ['202'], keep: 'mmeier' } },
    },
    expect: { noop: 'every merge is done; not in the desired state but look alike: kschulz = kschulz-fax' },
  },
  {
    name: 'the account to keep is missing',
    params: { merges: [{ keep: 'nobody', remove: ['mmeier2'] }] },
    facts: { users, slots, noted: {} },
    expect: { throws: /the account to keep, "nobody", does not exist/ },
  },
  {
    name: 'a slot number nobody has',
    params: { merges: [{ ...merge, slots: [{ deviceType: 'mac', name: 'Desk', numbers: ['999'] }] }] },
    facts: { users, slots, noted: {} },
    expect: { throws: /slot "Desk" of mmeier should carry 999/ },
  },
]);
