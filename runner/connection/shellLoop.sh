# The persistent channel's sh loop: the task agent's protocol (shellChannel.ts, framing.ts)
# served by POSIX sh where the host has no perl (five processes per task: a job, `timeout 0`,
# the task shell, two `cat`s). Started as `sh -c LOOP ucw-sh TASKSHELL AGENT`; execs perl with
# the agent when it can. Comment lines are dropped before it travels (sudo logs the command line).
SH=$1
# The task agent, when given and the host has perl: the same protocol, one process per task.
if [ -n "$2" ] && command -v perl >/dev/null 2>&1; then exec perl -e "$2" -- "$SH"; fi
# The task shell as configured (/bin/sh by default); one that is not there fails each task (127).
case $SH in /*) ;; *) SH=/bin/sh ;; esac
# Started by its name where PATH finds the same file, the task shell's $0 is what sshd gives it.
N=${SH##*/}; M=$(command -v "$N" 2>/dev/null) && [ "$M" -ef "$SH" ] 2>/dev/null && SH=$N
for u in head mkfifo mktemp cat; do command -v $u >/dev/null 2>&1 || { echo "ucw-sh: $u not found" >&2; exit 97; }; done
T=$TMPDIR; [ -d "$T" ] || T=/tmp
T=$(mktemp -d "$T/.ucw-sh.XXXXXX") || exit 96
trap 'rm -rf "$T"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
trap 'exit 130' INT
mkfifo -m 600 "$T/o" "$T/e" || exit 96
# GNU timeout (no limit) puts the task in a process group of its own (what a timeout kills),
# resets SIGINT and SIGQUIT, which sh ignores for a background job, and passes a signal death
# on as its own; setsid gives at least the process group.
if timeout --version >/dev/null 2>&1; then Z='timeout 0'; elif command -v setsid >/dev/null 2>&1; then Z=setsid; else Z=; fi
# A sleep without fractions (some busybox builds) waits whole seconds, rounded up.
if sleep 0.001 2>/dev/null; then F=1; else F=; fi
IFS= read -r S || exit 0
printf '%s R %s\n' "$S" "$$"
while IFS= read -r h; do
  set -f; set -- $h; set +f
  # The task's own nonce: its status lines carry it, so no line can end another task.
  U=$4
  c=; i=0
  while [ "$i" -lt "$1" ]; do
    IFS= read -r l || exit 0
    if [ "$i" = 0 ]; then c=$l; else c="$c
$l"; fi
    i=$((i+1))
  done
  if [ "$2" -gt 0 ]; then head -c "$2" >"$T/i" || exit 95; I=$T/i; else I=/dev/null; fi
  { unset SSH_CLIENT SSH2_CLIENT; exec $Z "$SH" -c "$c"; } <"$I" >"$T/o" 2>"$T/e" &
  p=$!
  printf '%s P %s\n' "$U" "$p"
  w=
  t=$3; if [ -z "$F" ] && [ "$t" != 0 ]; then t=$((${t%.*} + 1)); fi
  if [ "$t" != 0 ]; then (sleep "$t"; : >"$T/k"; kill -9 -"$p" || kill -9 "$p") >/dev/null 2>&1 & w=$!; fi
  cat "$T/e" >&2 & q=$!
  cat "$T/o"
  wait "$q"
  [ -n "$w" ] && kill "$w" 2>/dev/null
  jobs -l >"$T/j"
  r=
  while IFS= read -r J; do case $J in *" $p "*) r=$J; break ;; esac; done <"$T/j"
  case $r in ""|*Running*) wait "$p"; r="x $?" ;; esac
  k=0
  if [ -e "$T/k" ]; then k=1; rm -f "$T/k"; fi
  printf '\n%s E\n' "$U" >&2
  printf '\n%s X %s %s\n' "$U" "$k" "$r"
done
