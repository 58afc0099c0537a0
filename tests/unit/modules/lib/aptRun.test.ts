// dpkg's errors picked out of apt's output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dpkgErrors } from '../../../../modules/lib/aptRun.ts';

test('dpkgErrors: dpkg\'s errors from apt\'s stdout (apt copies dpkg\'s pty there), with continuation lines', () => {
  // lab2 with /var/lib/dpkg full (tests/faults/lab-apt.test.ts)
  const full = `Preparing to unpack .../ucware-firmware-yealink_1.0.1_all.deb ...
Unpacking ucware-firmware-yealink (1.0.1) over (1.0.0) ...
dpkg: error: failed to write status database stanza about 'libbpf1:amd64' to '/var/lib/dpkg/status': No space left on device
`;
  assert.equal(dpkgErrors(full), ["dpkg: error: failed to write status database stanza about 'libbpf1:amd64' to '/var/lib/dpkg/status': No space left on device"]);
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
  assert.equal(dpkgErrors('Unpacking x (1) over (0) ...\ndpkg: warning: while removing x, directory /a not empty so not removed\nSetting up x (1) ...\n'), []);
});

test.run();
