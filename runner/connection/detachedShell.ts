/**
 * The shell scripts behind detached commands (detached.ts), run on the host as the uid the job
 * runs as. What they guard against is another local user on the host (`asterisk`, `www-data`):
 * the folders the job's status is kept in must be ones no other uid can create, swap or write, so
 * - the base is under a parent chain owned by root or us that no one else can write
 *   (root: /var/lib/ucw-runner; another user: ~/.ucw-runner), created 0700 by us;
 * - a base or run folder that is a symlink, someone else's, or group/world-writable is tampering:
 *   the script stops (exit 9) naming the path and its owner, before anything is run or read;
 * - every read (rc, pid, out, err) happens after `cd -P` into a run folder verified again;
 * - a pid is signalled only while it is still the job's own process: same start time, its own
 *   session and process group leader, our uid (the pid and start time come from the controller,
 *   recorded when the job started, not from a file read at kill time).
 * Linux `/proc` and coreutils `stat -c` are assumed (Debian/Ubuntu targets).
 */
import { quote } from '../model/shell.ts';

export const ROOT_BASE = '/var/lib/ucw-runner';
/** Under the login user's $HOME. */
export const USER_BASE = '.ucw-runner';

/** Exit status of a script that found tampering (its stderr says where). */
export const TAMPERED = 9;

const GUARD = String.raw`u=$(id -u)
tamper() { echo "ucw-tamper: $*" >&2; exit 9; }
owner() { stat -c '%U (uid %u)' -- "$1" 2>/dev/null || echo 'an unknown owner'; }
guard() {
  if [ -L "$1" ]; then tamper "$1 is a symbolic link (to $(readlink -- "$1")), owned by $(owner "$1")"; fi
  i=$(stat -c '%u %a %F' -- "$1" 2>/dev/null) || tamper "$1 cannot be examined"
  o=\${i%% *}; i=\${i#* }; m=\${i%% *}; t=\${i#* }
  [ "$t" = directory ] || tamper "$1 is a $t owned by $(owner "$1"), not a directory"
  [ "$o" = "$u" ] || { [ "$2" = above ] && [ "$o" = 0 ]; } || tamper "$1 is owned by $(owner "$1"), not by uid $u"
  [ $((0$m & 022)) = 0 ] || tamper "$1 is writable by group or others (mode $m), owned by $(owner "$1")"
}
same() {
  x=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$x" ] || return 1
  set -- "$1" "$2" $x
  [ "$5" = "$1" ] && [ "$6" = "$1" ] && [ "\${22}" = "$2" ] && [ "$(stat -c %u "/proc/$1" 2>/dev/null)" = "$u" ]
}
running() { same "$1" "$2" && ! grep -q '^State:.Z' "/proc/$1/status" 2>/dev/null; }`.replace(/\\\$/g, '$');

/** Enter the run folder and verify it and its base again: every read starts with this. */
const ENTER = (dir: string) =>
  [
    `d=${quote(dir)}`,
    'cd -P -- "$d" 2>/dev/null || exit 5',
    '[ "$(pwd -P)" = "$d" ] || tamper "$d resolves to $(pwd -P)"',
    'guard "$(dirname -- "$d")" base',
    'guard "$d" run',
  ].join('\n');

/** Writes `pid` as "PID STARTTIME" (field 22 of /proc/PID/stat), then runs the command. */
const WRAPPER =
  `s=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f20); echo "$$ $s" > pid.tmp && mv pid.tmp pid; ` +
  'sh ./cmd < in > out 2> err; echo $? > rc.tmp; mv rc.tmp rc';

export interface StartSpec {
  id: string;
  cmd: string;
  /** An explicit base; otherwise chosen on the host by uid. */
  baseDir?: string;
  launcher: 'auto' | 'systemd-run' | 'setsid';
}

/** Creates the run folder and starts the job; prints launcher, "pid start", and the folder. */
export function startScript(o: StartSpec): string {
  // systemd expands $VAR and $$ in ExecStart itself (--expand-environment=no needs systemd 254): each $ is written $$.
  const systemd = `systemd-run --unit=${quote('ucw-' + o.id)} --collect --quiet --working-directory="$d" /bin/sh -c ${quote(WRAPPER.replace(/\$/g, '$$$$'))}`;
  // The redirections are on the whole background subshell: a subshell left holding the channel's
  // pipes would keep the SSH channel (and this start command) open until the job ends.
  const setsid = `(cd "$d" && exec setsid nohup /bin/sh -c ${quote(WRAPPER)}) </dev/null >/dev/null 2>&1 &`;
  const choose =
    o.launcher === 'systemd-run'
      ? 'l=systemd-run'
      : o.launcher === 'setsid'
        ? 'l=setsid'
        : 'if [ -d /run/systemd/system ] && [ "$u" = 0 ] && command -v systemd-run >/dev/null 2>&1; then l=systemd-run; else l=setsid; fi';
  return [
    'set -e',
    'umask 077',
    GUARD,
    o.baseDir !== undefined ? `b=${quote(o.baseDir)}` : `if [ "$u" = 0 ]; then b=${ROOT_BASE}; else b="$HOME/${USER_BASE}"; fi`,
    'case $b in /?*) ;; *) tamper "the base $b is not an absolute path";; esac',
    'p=$(cd -P -- "$(dirname -- "$b")" 2>/dev/null && pwd -P) || { echo "$(dirname -- "$b") does not exist" >&2; exit 8; }',
    // Every folder above the base: a base is only as safe as the folders that hold it.
    'q=$p; while :; do guard "$q" above; [ "$q" = / ] && break; q=$(dirname -- "$q"); done',
    'b=${p%/}/$(basename -- "$b")',
    '[ -e "$b" ] || [ -L "$b" ] || mkdir -m 0700 -- "$b"',
    'guard "$b" base',
    `d=$b/${o.id}`,
    'mkdir -m 0700 -- "$d"',
    'guard "$d" run',
    'cd -P -- "$d"',
    'cat > in',
    ': > out; : > err',
    `printf '%s\\n' ${quote(o.cmd)} > cmd`,
    choose,
    `if [ "$l" = systemd-run ]; then ${systemd}\nelse ${setsid}\nfi`,
    'i=0; while [ ! -s pid ]; do i=$((i+1)); if [ $i -gt 100 ]; then echo "the detached command did not start" >&2; exit 1; fi; sleep 0.1; done',
    'read -r jp js < pid',
    `printf '%s\\n%s %s\\n%s\\n' "$l" "$jp" "$js" "$d"`,
  ].join('\n');
}

export interface JobRef {
  dir: string;
  pid: number;
  startTime: string;
}

/**
 * Output past the byte offsets (base64, one line each), then `rc` if there is one. Exit 0: done
 * (rc printed); 3: still running; 4: gone without rc; 6: rc appeared meanwhile; 5: folder gone.
 * rc is read before the output, so once rc exists the output read after it is complete.
 */
export function pollScript(job: JobRef, offsets: { stdout: number; stderr: number }): string {
  return [
    GUARD,
    ENTER(job.dir),
    'r=$(cat rc 2>/dev/null || true)',
    `tail -c +${offsets.stdout + 1} out | base64 | tr -d '\\n'; echo`,
    `tail -c +${offsets.stderr + 1} err | base64 | tr -d '\\n'; echo`,
    'if [ -n "$r" ]; then echo "$r"; exit 0; fi',
    `running ${job.pid} ${quote(job.startTime)} && exit 3`,
    '[ -s rc ] && exit 6',
    'exit 4',
  ].join('\n');
}

/**
 * TERM, then after up to 2 s KILL, to the job's process group, only while the pid is the job's.
 * Prints `killed` or `not ours`. A group whose leader is gone keeps its number reserved while
 * members live, so KILL to it then still reaches only the job's processes.
 */
export function killScript(job: JobRef & { id: string; launcher: 'systemd-run' | 'setsid' }): string {
  const p = String(job.pid);
  const s = quote(job.startTime);
  const unit = job.launcher === 'systemd-run' ? `systemctl kill --signal=KILL ${quote(`ucw-${job.id}.service`)} 2>/dev/null || true` : ':';
  return [
    GUARD,
    `if ! same ${p} ${s}; then echo 'not ours'; exit 0; fi`,
    // `kill -TERM -PGID`, not `kill -- -PGID`: dash's kill has no `--`.
    `kill -TERM -${p} 2>/dev/null || true`,
    `i=0; while running ${p} ${s} && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done`,
    `if same ${p} ${s} || [ ! -e /proc/${p} ]; then kill -KILL -${p} 2>/dev/null || true; fi`,
    unit,
    'echo killed',
  ].join('\n');
}

export function cleanupScript(dir: string): string {
  return [GUARD, ENTER(dir), 'cd / && rm -rf -- "$d"'].join('\n');
}
