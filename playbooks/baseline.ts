/**
 * A fresh Ubuntu/Debian server made fit for production: time sync and unattended security
 * updates installed, an admin user with an SSH key and sudo rights (the sudoers line checked
 * with `visudo` before it goes live), sshd hardened (checked with `sshd -t`, reloaded through a
 * handler only when it changed), a sysctl, a nightly cron job, and the time service enabled and
 * running. Idempotent: a second run changes nothing.
 *
 *   npx run baseline inventory/prod.ts --check --diff
 *
 * Host vars (`baseline` in the inventory): the admin's name and keys are required.
 */
import { playbook, block } from '../runner/index.ts';
import { aptPackages, authorizedKey, blockInFile, cron, lineInFile, sysctl, systemd, user } from '../modules/index.ts';
import type { HostView } from '../runner/module.ts';

/** What `baseline` sets up on a host. */
export interface BaselineVars {
  /** The admin account (created, in group sudo, bash). */
  admin: string;
  /** The admin's public keys (`type base64 comment`). */
  adminKeys: string[];
  /** Packages to install. @default ['chrony', 'unattended-upgrades'] */
  packages?: string[];
  /** The unit to keep enabled and running. @default 'chrony' */
  timeUnit?: string;
  /** The host runs systemd (false: a host whose init is something else; unit tasks are skipped). @default true */
  systemd?: boolean;
}

declare module '../runner/model/vars.ts' {
  interface HostVars {
    baseline?: BaselineVars;
  }
}

const v = (h: HostView): BaselineVars => {
  const b = h.vars.baseline;
  if (!b?.admin || !b.adminKeys?.length) throw new Error(`baseline: host ${h.name} needs vars.baseline.admin and vars.baseline.adminKeys`);
  return b;
};
const withSystemd = (h: HostView) => h.vars.baseline?.systemd !== false;

// SYN flood protection, no ICMP redirects: per network namespace, so they also hold in containers
const SYSCTLS = { 'net.ipv4.tcp_syncookies': 1, 'net.ipv4.conf.all.accept_redirects': 0 };
const SSHD =
  'PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nX11Forwarding no\nMaxAuthTries 4';

export default playbook(
  {
    name: 'baseline',
    description: 'A fresh Ubuntu/Debian server made fit for production',
    handlers: [systemd({ name: 'ssh', state: 'reloaded' }, { name: 'reload sshd', become: true, when: withSystemd })],
  },
  [
    aptPackages((h) => ({ names: v(h).packages ?? ['chrony', 'unattended-upgrades'], update: true, cacheValidTimeSec: 3600 }), {
      become: true,
      tags: ['packages'],
    }),
    block('admin user', { become: true, tags: ['admin'] }, [
      user((h) => ({ name: v(h).admin, groups: ['sudo'], shell: '/bin/bash' })),
      authorizedKey((h) => ({ user: v(h).admin, keys: v(h).adminKeys })),
      lineInFile((h) => ({
        path: `/etc/sudoers.d/baseline-${v(h).admin}`,
        line: `${v(h).admin} ALL=(ALL:ALL) NOPASSWD: ALL`,
        create: true,
        mode: '0440',
        validate: '/usr/sbin/visudo -cf %s',
      })),
    ]),
    block('sshd', { become: true, tags: ['sshd'] }, [
      // before the first Match block, where sshd still reads global settings
      blockInFile(
        {
          path: '/etc/ssh/sshd_config',
          marker: '# {mark} baseline',
          block: SSHD,
          insertBefore: /^Match /,
          validate: '/usr/sbin/sshd -t -f %s',
        },
        { notify: 'reload sshd' },
      ),
    ]),
    block('kernel and cron', { become: true, tags: ['system'] }, [
      ...Object.entries(SYSCTLS).map(([name, value]) => sysctl({ name, value, file: '/etc/sysctl.d/60-baseline.conf' })),
      cron({ name: 'baseline apt lists', cronFile: 'baseline', minute: '17', hour: '3', job: 'apt-get -qq update >/dev/null 2>&1' }),
    ]),
    systemd((h) => ({ name: v(h).timeUnit ?? 'chrony', state: 'started', enabled: true }), {
      become: true,
      tags: ['services'],
      when: withSystemd,
    }),
  ],
);
