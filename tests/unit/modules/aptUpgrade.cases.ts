// aptUpgrade: lab1's list age, dpkg --audit and apt-get -s (4.5.0.10 in the lists; ucware-5 lists in a
// scratch dir), and a copy of its dpkg database with ucware-core half-configured.
import { aptUpgrade } from '../../../modules/aptUpgrade.ts';
import { capture, cases, override, type Replay } from '../../support/planCases.ts';

const [now, stamp] = capture('bookworm/apt-lists-age.txt').trim().split(' ').map(Number);
const age = now! - stamp!;
const sim = (args: string, out: string): Replay => ({ run: `-s -o Debug::NoLocking=1 ${args}`, out: `bookworm/${out}` });
const lab1 = (...over: Replay[]): Replay[] =>
  override(
    [
      { run: 'update-success-stamp', out: 'bookworm/apt-lists-age.txt' },
      { run: 'dpkg --audit', out: 'bookworm/dpkg-audit.txt' },
      // lists fetched into a scratch dir by capture.ts: 4.5.0.10 whatever the host's own lists hold
      sim('dist-upgrade', 'apt-get-s-dist-upgrade-4.5.0.10.txt'),
    ],
    ...over,
  );
const to4510 = '3 upgraded: ucware 4.5.0.9 → 4.5.0.10, ucware-core 4.5.0.9 → 4.5.0.10, ucware-firmware-yealink 1.0.0 → 1.0.1';
const to5 =
  '3 upgraded, 1 newly installed: ucware 4.5.0.9 → 5.0.2, ucware-core 4.5.0.9 → 5.0.2, ucware-admin-client (new) → 5.0.2, ucware-firmware-yealink 1.0.0 → 1.0.1';
const halfConfigured: Replay = { run: 'dpkg --audit', out: 'bookworm/dpkg-audit-half-configured.txt' };

export default cases(aptUpgrade, [
  {
    name: '4.5.0.10 in the lists: three packages move, the diff lists versions',
    params: {},
    replay: lab1(),
    expect: {
      reason: to4510,
      steps: [],
      diff: [
        {
          path: '(packages)',
          before: 'ucware 4.5.0.9\nucware-core 4.5.0.9\nucware-firmware-yealink 1.0.0\n',
          after: 'ucware 4.5.0.10\nucware-core 4.5.0.10\nucware-firmware-yealink 1.0.1\n',
        },
      ],
      result: { cacheAgeSec: age, updated: false, repaired: false },
    },
  },
  {
    name: 'ucware-5 lists, dist-upgrade: a new dependency comes in',
    params: { mode: 'full' },
    replay: lab1(sim('dist-upgrade', 'apt-get-s-dist-upgrade-ucware-5.txt')),
    expect: { reason: to5, steps: [] },
  },
  {
    name: 'ucware-5 lists, safe mode: upgrade --with-new-pkgs takes it too',
    params: { mode: 'safe' },
    replay: override(lab1(), sim('upgrade --with-new-pkgs', 'apt-get-s-upgrade-with-new-pkgs-ucware-5.txt')).filter(
      (r) => !String(r.run).endsWith(' dist-upgrade'),
    ),
    expect: { reason: to5, steps: [] },
  },
  {
    name: 'lists younger than cacheValidTimeSec, and nothing to move: no-op',
    params: { update: true, cacheValidTimeSec: age + 3600 },
    replay: lab1({
      run: '-s -o Debug::NoLocking=1 dist-upgrade',
      stdout: capture('bookworm/apt-get-s-dist-upgrade.txt').replace(/^(Inst|Conf) .*\n/gm, ''),
    }),
    expect: { noop: `nothing to upgrade (lists ${age} s old, younger than ${age + 3600} s)` },
  },
  {
    name: 'lists older than cacheValidTimeSec: update first',
    params: { update: true, cacheValidTimeSec: 1 },
    replay: lab1(),
    expect: { reason: `apt-get update (lists ${age} s old); ${to4510} (from the lists before the update)`, steps: [] },
  },
  {
    name: 'dpkg left ucware-core half-configured: repair first, no simulation',
    params: {},
    replay: override(lab1(), halfConfigured).filter((r) => !String(r.run).includes('-s -o')),
    expect: {
      reason:
        'repair dpkg (dpkg --configure -a): The following packages are only half configured, probably due to problems; nothing to upgrade',
      steps: [],
    },
  },
  {
    name: 'half-configured and repair: false is an error',
    params: { repair: false },
    replay: override(lab1(), halfConfigured).filter((r) => !String(r.run).includes('-s -o')),
    expect: { throws: /dpkg reports unfinished work and repair is off: The following packages are only half configured/ },
  },
  { name: 'cacheValidTimeSec without update is refused', params: { cacheValidTimeSec: 10 }, expect: { throws: /needs update: true/ } },
  {
    name: 'a held package: kept back, by name, in the reason and the result',
    params: {},
    replay: lab1(sim('dist-upgrade', 'apt-get-s-dist-upgrade-4.5.0.10-held.txt')),
    expect: {
      reason: '1 upgraded: ucware-firmware-yealink 1.0.0 → 1.0.1; kept back: ucware, ucware-core',
      steps: [],
      result: { keptBack: ['ucware', 'ucware-core'], phased: [] },
    },
  },
  {
    name: 'Ubuntu phased update only: nothing to upgrade, and the deferred package named (public capture, Ubuntu 24.04)',
    params: { mode: 'safe' },
    replay: lab1()
      .filter((r) => !String(r.run).includes('-s -o'))
      .concat({ run: '-s -o Debug::NoLocking=1 upgrade --with-new-pkgs', out: 'public/apt-upgrade-phased-noble.txt' }),
    expect: {
      noop: `nothing to upgrade (lists ${age} s old); phased (deferred by apt): distro-info-data`,
      result: { phased: ['distro-info-data'] },
    },
  },
]);
