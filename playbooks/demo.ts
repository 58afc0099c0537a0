/**
 * A short tour of the runner on any Debian/Ubuntu hosts: read-only facts, a directory,
 * a managed file with a handler. Safe to run anywhere: it only writes under /tmp/ucw-demo.
 *
 *   npx run demo inventory/lab.ts
 */
import { playbook, block } from '../runner/index.ts';
import { command, copy, file } from '../modules/index.ts';

export default playbook(
  {
    name: 'demo',
    description: 'A tour: facts, a directory, a managed file, a handler',
    handlers: [command({ cmd: 'logger -t ucw-demo "motd updated"' }, { name: 'log the change' })],
  },
  [
    command({ argv: ['uname', '-sr'] }, { name: 'kernel', changedWhen: () => false, runInCheckMode: true, tags: ['info'] }),
    command(
      { cmd: 'cat /proc/sys/kernel/random/boot_id' },
      { name: 'boot id', id: 'bootId', changedWhen: () => false, runInCheckMode: true, tags: ['info'] },
    ),
    block('managed files', { tags: ['files'] }, [
      file({ path: '/tmp/ucw-demo', kind: 'directory', mode: '0755' }),
      copy((h) => ({ path: '/tmp/ucw-demo/motd', content: `Managed by ucw-runner.\nThis is ${h.name}.\n`, mode: '0644' }), {
        name: 'write motd',
        notify: 'log the change',
      }),
    ]),
  ],
);
