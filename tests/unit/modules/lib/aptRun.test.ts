// dpkg's errors picked out of apt's output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aptStatus, dpkgErrors, withStatusFd } from '../../../../modules/lib/aptRun.ts';

test("dpkgErrors: dpkg's errors from apt's stdout (apt copies dpkg's pty there), with continuation lines", () => {
  // lab2 with /var/lib/dpkg full (tests/faults/lab-apt.test.ts)
  const full = `Preparing to unpack .../ucware-firmware-yealink_1.0.1_all.deb ...
Unpacking ucware-firmware-yealink (1.0.1) over (1.0.0) ...
dpkg: error: failed to write status database stanza about 'libbpf1:amd64' to '/var/lib/dpkg/status': No space left on device
`;
  assert.equal(dpkgErrors(full), [
    "dpkg: error: failed to write status database stanza about 'libbpf1:amd64' to '/var/lib/dpkg/status': No space left on device",
  ]);
  const postinst = `Setting up ucware-core (4.5.0.10) ...
dpkg: error processing package ucware-core (--configure):
 installed ucware-core package post-installation script subprocess returned error exit status 1
dpkg: dependency problems prevent configuration of ucware:
 ucware depends on ucware-core (= 4.5.0.10); however:
  Package ucware-core is not configured yet.

Processing triggers for man-db ...
Errors were encountered while processing:
 ucware-core
 ucware
`;
  assert.equal(dpkgErrors(postinst), [
    'dpkg: error processing package ucware-core (--configure):',
    ' installed ucware-core package post-installation script subprocess returned error exit status 1',
    'dpkg: dependency problems prevent configuration of ucware:',
    ' ucware depends on ucware-core (= 4.5.0.10); however:',
    '  Package ucware-core is not configured yet.',
    'Errors were encountered while processing:',
    ' ucware-core',
    ' ucware',
  ]);
  assert.equal(
    dpkgErrors(
      'Unpacking x (1) over (0) ...\ndpkg: warning: while removing x, directory /a not empty so not removed\nSetting up x (1) ...\n',
    ),
    [],
  );
});

const STATUS = [
  {
    line: 'pmstatus:ucware-core:42.8571:Configuring ucware-core (amd64)',
    want: { percent: 42.8571, label: 'Configuring ucware-core (amd64)' },
  },
  { line: 'dlstatus:3:61.2:Retrieving file 3 of 5', want: { percent: 61.2, label: 'download: Retrieving file 3 of 5' } },
  { line: 'pmstatus:dpkg-exec:100:Running dpkg', want: { percent: 100, label: 'Running dpkg' } },
  { line: 'pmconffile:/etc/ucware/ucware.php:/etc/ucware/ucware.php.dpkg-new:1:1', want: undefined },
  { line: 'Setting up ucware-core (5.0.1) ...', want: undefined },
  { line: 'pmstatus:x:abc:y', want: undefined },
];
for (const c of STATUS) test(`aptStatus: ${c.line}`, () => assert.equal(aptStatus(c.line), c.want));

test('withStatusFd: once, on apt-get only', () => {
  assert.is(withStatusFd("env X=1 apt-get -y 'dist-upgrade'"), "env X=1 apt-get -o APT::Status-Fd=1 -y 'dist-upgrade'");
  assert.is(withStatusFd(withStatusFd('apt-get update')), 'apt-get -o APT::Status-Fd=1 update');
  assert.is(withStatusFd('dpkg --configure -a'), 'dpkg --configure -a');
});

test.run();
