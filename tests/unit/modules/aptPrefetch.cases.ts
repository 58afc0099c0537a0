// aptPrefetch: `apt-get --print-uris` as a bookworm lab host printed it with the real updates on, and df.
import { aptPrefetch } from '../../../modules/aptPrefetch.ts';
import { cases, type Replay } from '../../support/planCases.ts';

const uris =
  [
    "'http://10.248.0.1:8082/debian/bookworm/pool/libperl5.36_5.36.0-7%2bdeb12u4_amd64.deb' libperl5.36_5.36.0-7+deb12u4_amd64.deb 4207640 MD5Sum:30d1cc21fcedb2ab9841f60c55c557ba",
    "'http://10.248.0.1:8082/debian/bookworm/pool/perl_5.36.0-7%2bdeb12u4_amd64.deb' perl_5.36.0-7+deb12u4_amd64.deb 239392 MD5Sum:9e75681c649660593365067cd7031b8a",
  ].join('\n') + '\n';
const df = (availKb: number) =>
  `Filesystem     1024-blocks     Used Available Capacity Mounted on\noverlay          264212084 29269732 ${availKb}      28% /\n`;
const host = (printed: string, availKb = 77121180): Replay[] => [
  { run: '--print-uris -o Debug::NoLocking=1 dist-upgrade', stdout: printed },
  { run: 'df -Pk -- /var/cache/apt/archives', stdout: df(availKb) },
];
const next = { listFile: '/etc/apt/sources.list.d/ucware.list', from: 'ucware-4.5', to: 'ucware-5' };

export default cases(aptPrefetch, [
  {
    name: 'two packages to fetch: refresh the lists, download them, then the next phase',
    params: { next },
    replay: host(uris),
    expect: {
      reason:
        'refresh the package lists; download 2 package(s), 4.4 MB (from the lists before the refresh); resolve ucware-5 ahead in its own lists and cache and download its packages',
      steps: [],
      result: { ubuntu: { packages: 2, bytes: 4447032 } },
    },
  },
  {
    name: 'no refresh, nothing to fetch: no-op',
    params: { update: false },
    replay: host(''),
    expect: { noop: "nothing to prefetch: every package the upgrade needs is in apt's cache" },
  },
  {
    name: 'no refresh, two to fetch',
    params: { update: false },
    replay: host(uris),
    expect: { reason: 'download 2 package(s), 4.4 MB', steps: [] },
  },
  {
    name: '/var/cache/apt/archives too full: NO-GO before anything is downloaded',
    params: { reserveMb: 100 },
    replay: host(uris, 102400),
    expect: {
      throws:
        'not enough space to prefetch: 100 MiB free on /var/cache/apt/archives, the packages need 4.2 MiB plus 100 MiB kept free; nothing downloaded',
    },
  },
  {
    name: "a next listFile outside apt's sources is refused",
    params: { next: { ...next, listFile: '/tmp/x.list' } },
    expect: { throws: /next.listFile must be/ },
  },
  { name: 'concurrency 0 is refused', params: { concurrency: 0 }, expect: { throws: /"concurrency" must be a whole number ≥ 1/ } },
]);
