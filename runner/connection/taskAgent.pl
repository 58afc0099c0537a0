# The persistent channel's task agent: the same wire protocol as SHELL_LOOP (shellChannel.ts),
# one process per task instead of five. perl-base is Essential on Debian and Ubuntu, so it is on
# every host we target; where it is missing, SHELL_LOOP runs instead.
#
# Started as `perl -e AGENT -- TASKSHELL` (the script is an argument: nothing but data ever
# travels on the channel's stdin). Per task it forks once and execs the task shell with the line
# (`TASKSHELL -c LINE`, argv[0] the shell's base name), or, for an argv task (header ending in
# ` a`), the program itself with no shell at all (PATH searched as execvp does; exit 127 when it
# is not found, 126 when it cannot run), as sshd does for an exec channel: its own process group
# (what a timeout kills), signals at their defaults, stdin from an anonymous temp file or
# /dev/null, stdout and stderr on pipes copied to the channel as they come until every writer
# (background children too) has closed them, and the status from waitpid, so an exit code and a
# signal death never look alike. Only core built-ins: no module is loaded.
#
# Where the wire differs from the sh loop's (fewer SSH packets per task): the ready line says
# `<S> R <pid> agent <nodump|dumpable>`; the `<N> P <pid>` line travels with the task's first
# stdout bytes or its status; stderr has no end marker: the status line
# `<N> X <k> <x code|s signal> ~<n>` carries the number of stderr bytes, and the runner waits for
# that many. <N> is the task's own nonce, from its header.
#
# Non-dumpable first, before anything secret is read (the sentinel, the nonces): a process of
# the same user can then neither read this one's memory (/proc/PID/mem, ptrace) nor open its
# descriptors (/proc/PID/fd/1: the channel) to write a forged status. prctl(PR_SET_DUMPABLE, 0)
# through `syscall`, its number chosen by the ELF header of this very perl (class, byte order,
# machine): no module, and never a guess from the kernel's architecture. A task's exec makes it
# dumpable again (a new program image), as any program is.
my %PRCTL = ('2 62' => 157, '2 183' => 167, '2 243' => 167, '1 3' => 172, '1 40' => 172, '2 22' => 172, '2 21' => 171);
my $DUMP = 'dumpable';
if (open(my $exe, '<', '/proc/self/exe')) {
  binmode $exe;
  my $elf = '';
  read($exe, $elf, 20);
  if (length $elf == 20 && substr($elf, 0, 4) eq "\x7fELF") {
    my $mach = unpack(ord(substr($elf, 5, 1)) == 2 ? 'n' : 'v', substr($elf, 18, 2));
    my $nr = $PRCTL{ord(substr($elf, 4, 1)) . " $mach"};
    $DUMP = 'nodump' if defined $nr && syscall($nr, 4, 0, 0, 0, 0) == 0 && syscall($nr, 3, 0, 0, 0, 0) == 0;
  }
  close $exe;
}

# The task shell as configured (the host's `shell` setting, /bin/sh by default): one that is not
# there fails each shell task with 127 and says so, never runs it under another shell.
my $SH = shift // '/bin/sh';
(my $NAME = $SH) =~ s{.*/}{};
binmode STDIN;

# The task's end wakes the wait for its status at once, never a poll: SIGCHLD writes to a pipe
# the wait selects on (a signal that comes just before the select still leaves its byte there).
pipe(my $cr, my $cw) or exit 96;
$SIG{CHLD} = sub { syswrite($cw, 'x') };

# What every task would otherwise redo between fork and exec, done once: each perl op there
# writes to pages the fork shares, and every such page is copied (the child's cost per task).
# exec resets caught signals (CHLD) itself; only an ignored one needs resetting.
my @RESET = grep { ($SIG{$_} // '') eq 'IGNORE' } qw(HUP INT QUIT PIPE TERM);
delete @ENV{qw(SSH_CLIENT SSH2_CLIENT)};
open(my $NULL, '<', '/dev/null') or exit 96;

# An argv task's program as execvp finds it, looked up with stat (a failed execve per PATH entry
# costs far more); undef when it is nowhere.
sub program {
  my ($p) = @_;
  return $p if $p =~ m{/};
  for my $d (split /:/, $ENV{PATH} // '/usr/bin:/bin', -1) {
    my $f = ($d eq '' ? '.' : $d) . "/$p";
    return $f if -f $f && -x _;
  }
  return undef;
}

# Writes all of it or ends the agent (the channel is gone: the runner reports the task unknown).
sub put {
  my ($fh, $data) = @_;
  while (length $data) {
    my $n = syswrite($fh, $data);
    if (!defined $n) { next if $!{EINTR}; exit 98 }
    substr($data, 0, $n) = '';
  }
}

my $S = <STDIN>;
exit 0 unless defined $S;
chomp $S;
put(\*STDOUT, "$S R $$ agent $DUMP\n");

while (defined(my $h = <STDIN>)) {
  chomp $h;
  my ($n, $len, $t, $N, $form) = split / /, $h;
  my $c = '';
  for my $i (1 .. $n) {
    my $l = <STDIN>;
    exit 0 unless defined $l;
    chomp $l;
    $c .= $i == 1 ? $l : "\n$l";
  }
  my $in;
  if ($len > 0) {
    open($in, '+>', undef) or do { put(\*STDERR, "ucw-sh: no temp file for the task's stdin: $!\n"); exit 95 };
    my $left = $len;
    while ($left > 0) {
      my $r = read(STDIN, my $buf, $left > 65536 ? 65536 : $left);
      exit 0 unless $r;
      put($in, $buf);
      $left -= $r;
    }
    sysseek($in, 0, 0);
  }
  my ($or, $ow, $er, $ew);
  pipe($or, $ow) && pipe($er, $ew) or do { put(\*STDERR, "ucw-sh: pipe: $!\n"); exit 96 };
  my ($argv, $dir, @argv, $prog) = ($form // '') eq 'a';
  if ($argv) {
    ($dir, @argv) = split /\0/, $c, -1;
    # A relative program name is looked up from the task's directory, as after a `cd`.
    $prog = length $dir && $argv[0] !~ m{/} ? undef : program($argv[0]);
  }
  my $pid = fork;
  if (!defined $pid) { put(\*STDERR, "ucw-sh: fork: $!\n"); exit 96 }
  if ($pid == 0) {
    setpgrp(0, 0);
    $SIG{$_} = 'DEFAULT' for @RESET;
    open(STDIN, '<&', $in // $NULL);
    open(STDOUT, '>&', $ow);
    open(STDERR, '>&', $ew);
    # Every other descriptor is close-on-exec (perl sets it above $^F = 2).
    if ($argv) {
      if (length $dir && !chdir $dir) { put(\*STDERR, "ucw-agent: cannot cd to $dir: $!\n"); exit 1 }
      $prog //= program($argv[0]);
      if (defined $prog) { exec { $prog } @argv } else { $! = 2 } # ENOENT
      my $e = $! == 2 ? 127 : 126;
      put(\*STDERR, "ucw-agent: cannot run $argv[0]: $!\n");
      exit $e;
    }
    exec { $SH } $NAME, '-c', $c;
    put(\*STDERR, "ucw-sh: cannot run $SH: $!\n");
    exit 127;
  }
  close $ow;
  close $ew;
  close $in if $in;
  # The pid line goes out with the first stdout write (or the status): one SSH packet fewer.
  my $head = "$N P $pid\n";
  # Linux's select() leaves the time not slept in its timeout, which perl returns: the task's
  # time left is counted down without Time::HiRes; `time` bounds it too, in whole seconds.
  my $left = $t > 0 ? $t : undef;
  my $hard = $t > 0 ? time + int($t) + 2 : undef;
  my $k = 0;
  my $eb = 0; # stderr bytes: sent with the status instead of an end marker on stderr
  my %open = (fileno($or) => [$or, \*STDOUT], fileno($er) => [$er, \*STDERR]);
  my $fire = sub {
    return if $k;
    $k = 1;
    kill 'KILL', -$pid or kill 'KILL', $pid;
  };
  while (%open) {
    my $rin = '';
    vec($rin, $_, 1) = 1 for keys %open;
    my ($nf, $tl) = select(my $rout = $rin, undef, undef, $k ? 1 : $left);
    if (defined $left && !$k) {
      $left = $tl;
      $fire->() if $left <= 0 || time > $hard;
    }
    next if $nf <= 0;
    for my $fd (keys %open) {
      next unless vec($rout, $fd, 1);
      my ($from, $to) = @{$open{$fd}};
      my $r = sysread($from, my $buf, 65536);
      if (!defined $r) { next if $!{EINTR} || $!{EAGAIN}; }
      if (!$r) { close $from; delete $open{$fd}; next }
      if ($to == \*STDOUT) { put($to, $head . $buf); $head = '' } else { put($to, $buf); $eb += length $buf }
    }
  }
  # The pipes are closed; the task itself may still be running (it closed them): wait for it.
  while (waitpid($pid, 1) == 0) {
    my $rin = '';
    vec($rin, fileno($cr), 1) = 1;
    my ($nf, $tl) = select(my $rout = $rin, undef, undef, $k ? 1 : $left);
    sysread($cr, my $x, 64) if $nf > 0;
    if (defined $left && !$k) {
      $left = $tl;
      $fire->() if $left <= 0 || time > $hard;
    }
  }
  my $st = $? & 127 ? 's ' . ($? & 127) : 'x ' . ($? >> 8);
  put(\*STDOUT, "$head\n$N X $k $st ~$eb\n");
}
