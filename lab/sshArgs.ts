// The one ssh(1) command line into a lab host: the lab's key, its known_hosts with strict
// checking (a changed host key is an error, as in production), no prompts, a short connect timeout.

/** ssh arguments up to and including `user@address`; append the remote command. */
export function labSshArgs(lab: { keyFile: string; knownHostsFile: string }, target: string): string[] {
  return [
    '-i',
    lab.keyFile,
    '-o',
    `UserKnownHostsFile=${lab.knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=3',
    '-o',
    'LogLevel=ERROR',
    target,
  ];
}
