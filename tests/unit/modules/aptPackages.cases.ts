// aptPackages: lab1's dpkg status, holds, list age and apt-get -s answers (bookworm, the lab repo).
import { aptPackages } from '../../../modules/aptPackages.ts';
import { capture, cases, override, type Replay } from '../../support/planCases.ts';

const [now, stamp] = capture('bookworm/apt-lists-age.txt').trim().split(' ').map(Number);
const age = now! - stamp!;
const lw = { waitMs: 300_000, lockOf: () => undefined, errorLines: () => [] };
const sim = (args: string, out: string, exitCode?: number): Replay => ({
  run: `-s -o Debug::NoLocking=1 ${args}`,
  out: `bookworm/apt/${out}`,
  exitCode,
});
const lab1 = (...over: Replay[]): Replay[] =>
  override(
    [
      { run: 'dpkg-query -W', out: 'bookworm/apt/dpkg-query.txt', exitCode: 1 },
      { run: 'apt-mark showhold', out: 'bookworm/apt/showhold-none.txt' },
      { run: 'update-success-stamp', out: 'bookworm/apt-lists-age.txt' },
    ],
    ...over,
  );
const install = (targets: string) => ({
  kind: 'exec' as const,
  cmd: new RegExp(`apt-get .*-y -q install --no-install-recommends ${targets} </dev/null$`),
  lockWait: lw,
  detached: true,
});
const DEB = '/root/ucw-toolbox-test_1.0_all.deb';

export default cases(aptPackages, [
  {
    name: 'installed already: no simulation, no-op',
    params: { names: ['ucware-core'] },
    replay: lab1(),
    expect: { noop: 'all 1 package(s) as wanted' },
  },
  {
    name: 'pinned to the installed version',
    params: { names: ['ucware-core=4.5.0.9'] },
    replay: lab1(),
    expect: { noop: 'all 1 package(s) as wanted' },
  },
  {
    name: 'pinned to a newer version: install name=version, recommends off, detached, lock wait',
    params: { names: ['ucware-firmware-yealink=1.0.1'] },
    replay: lab1(sim('install --no-install-recommends ucware-firmware-yealink=1.0.1', 'sim-install-pinned.txt')),
    expect: {
      reason: 'ucware-firmware-yealink 1.0.0 → 1.0.1',
      steps: [install('ucware-firmware-yealink=1\\.0\\.1')],
      diff: [{ path: '(packages)', before: 'ucware-firmware-yealink 1.0.0\n', after: 'ucware-firmware-yealink 1.0.1\n' }],
      result: { held: [], moved: [{ name: 'ucware-firmware-yealink', from: '1.0.0', to: '1.0.1', action: 'upgrade' }] },
    },
  },
  {
    name: 'held: left alone and named',
    params: { names: ['ucware-firmware-yealink=1.0.1'] },
    replay: lab1({ run: 'apt-mark showhold', out: 'bookworm/apt/showhold.txt' }),
    expect: {
      noop: 'all 1 package(s) as wanted; held, left alone: ucware-firmware-yealink',
      result: { held: ['ucware-firmware-yealink'] },
    },
  },
  {
    name: 'held, allowChangeHeld: moves',
    params: { names: ['ucware-firmware-yealink=1.0.1'], allowChangeHeld: true },
    replay: lab1(
      { run: 'apt-mark showhold', out: 'bookworm/apt/showhold.txt' },
      sim('install --no-install-recommends --allow-change-held-packages ucware-firmware-yealink=1.0.1', 'sim-install-pinned.txt'),
    ),
    expect: {
      reason: 'ucware-firmware-yealink 1.0.0 → 1.0.1',
      steps: [{ ...install('x'), cmd: /install --no-install-recommends --allow-change-held-packages ucware-firmware-yealink=1\.0\.1 </ }],
    },
  },
  {
    name: 'latest: apt upgrades it and what depends on it',
    params: { names: ['ucware-core'], latest: true },
    replay: lab1(sim('install --no-install-recommends ucware-core', 'sim-install-latest.txt')),
    expect: { reason: 'ucware 4.5.0.9 → 4.5.0.10, ucware-core 4.5.0.9 → 4.5.0.10', steps: [install('ucware-core')] },
  },
  {
    name: 'latest, newest already: the simulation says no',
    params: { names: ['ucware-core'], latest: true },
    replay: lab1(sim('install --no-install-recommends ucware-core', 'sim-install-already.txt')),
    expect: { noop: 'apt would move nothing for ucware-core (newest version already)' },
  },
  {
    name: "unknown package, no update: apt's error",
    params: { names: ['nosuchpkg'] },
    replay: lab1(sim('install --no-install-recommends nosuchpkg', 'sim-install-unknown.txt', 100)),
    expect: { throws: 'aptPackages: apt cannot install nosuchpkg: E: Unable to locate package nosuchpkg' },
  },
  {
    name: 'unknown package with update: update, stamp, then install',
    params: { names: ['nosuchpkg'], update: true },
    replay: lab1(sim('install --no-install-recommends nosuchpkg', 'sim-install-unknown.txt', 100)),
    expect: {
      reason: `apt-get update (lists ${age} s old), then nosuchpkg (apt on the current lists: E: Unable to locate package nosuchpkg)`,
      steps: [
        { kind: 'exec', cmd: /apt-get .*-q -o APT::Update::Error-Mode=any update <\/dev\/null$/, lockWait: lw },
        { kind: 'exec', cmd: /touch \/var\/lib\/apt\/periodic\/update-success-stamp$/ },
        install('nosuchpkg'),
      ],
    },
  },
  {
    name: 'update skipped while the lists are young, nothing else to do',
    params: { names: ['ucware-core'], update: true, cacheValidTimeSec: age + 3600 },
    replay: lab1(),
    expect: { noop: 'all 1 package(s) as wanted' },
  },
  {
    name: 'purge an installed package',
    params: { names: ['ucware-firmware-yealink'], present: false, purge: true },
    replay: lab1({ run: '-s -o Debug::NoLocking=1 purge ucware-firmware-yealink', out: 'bookworm/apt/sim-purge.txt' }),
    expect: {
      reason: 'ucware-firmware-yealink 1.0.0 → (removed)',
      steps: [{ kind: 'exec', cmd: /apt-get .*-y -q purge ucware-firmware-yealink <\/dev\/null$/, lockWait: lw, detached: true }],
    },
  },
  {
    name: 'remove one not installed',
    params: { names: ['nosuchpkg'], present: false },
    replay: lab1(),
    expect: { noop: 'none of the 1 package(s) installed' },
  },
  {
    name: 'a local .deb not installed yet',
    params: { debs: [DEB] },
    replay: lab1(
      { run: `dpkg-deb -f ${DEB} Package Version`, out: 'bookworm/apt/dpkg-deb-fields.txt' },
      sim(`install --no-install-recommends ${DEB}`, 'sim-install-deb.txt'),
    ),
    expect: { reason: 'ucw-toolbox-test (new) → 1.0', steps: [install(DEB.replace(/\./g, '\\.'))] },
  },
  {
    name: 'a local .deb installed at its version',
    params: { debs: [DEB] },
    replay: lab1(
      { run: `dpkg-deb -f ${DEB} Package Version`, out: 'bookworm/apt/dpkg-deb-fields.txt' },
      { run: 'dpkg-query -W', stdout: 'ucw-toolbox-test\t1.0\tii \n' },
    ),
    expect: { noop: 'all 1 package(s) as wanted' },
  },
  { name: 'a relative .deb path is refused', params: { debs: ['x.deb'] }, expect: { throws: /"debs" are absolute paths/ } },
  { name: 'latest with a pin contradicts', params: { names: ['a=1'], latest: true }, expect: { throws: /contradict/ } },
]);
