/** The 4-task workload (after pyinfra's benchmark), shared by the playbooks, the floor and the checks. */
export const W4 = {
  user: 'ucwbench',
  touched: '/root/ucwbench-touched',
  copied: '/root/ucwbench-copied.txt',
  content: 'ucw-runner benchmark\nsmall file, 3 lines\nend\n',
  shell: 'uname -r | wc -c',
} as const;

/** Removes everything the workload creates (run before each tool's first run). */
export const cleanupLine = `userdel -r ${W4.user} >/dev/null 2>&1; rm -f ${W4.touched} ${W4.copied}; true`;

/** Prints the end state, one line per fact; compared against expectedState(). */
export const stateLine =
  `getent passwd ${W4.user} | cut -d: -f1,6; test -d /home/${W4.user} && echo home; ` +
  `test -f ${W4.touched} && stat -c 'touched %s' ${W4.touched}; stat -c 'copied %a' ${W4.copied} 2>/dev/null; md5sum < ${W4.copied} 2>/dev/null`;

export async function expectedState(): Promise<string> {
  const { createHash } = await import('node:crypto');
  return [
    `${W4.user}:/home/${W4.user}`,
    'home',
    'touched 0',
    'copied 644',
    `${createHash('md5').update(W4.content).digest('hex')}  -`,
  ].join('\n');
}
