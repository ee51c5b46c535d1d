#!/bin/busybox sh
# PID 1 of a kernel-NFS-client guest: a Linux hypervisor host in miniature. It loads the kernel's
# NFS client (sunrpc, lockd, nfs, nfsv3, nfsv4) and virtio_net, configures its address, starts
# rpcbind and rpc.statd from Debian's nfs-common (as a host's boot does), then obeys the test:
# one command per line on the serial console, each answered with machine-readable lines
#   DEPOT-NFS READY name=NAME                      set up, waiting for commands
#   DEPOT-NFS CHECK <check> PASS|FAIL <detail>     one result
#   DEPOT-NFS END <step>                           the command is done
#   DEPOT-NFS SETUP-FAIL <detail>                  the guest could not come up
# Commands: STEP <step> ARGS... (the step_* functions below).
# Kernel command line: depot.name=NAME depot.ip=ADDR/PREFIX depot.server=ADDR depot.export=PATH
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin /run /mnt
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
NAME=guest IP= SERVER= EXPORT=
for w in $(cat /proc/cmdline); do
  case $w in
    depot.name=*) NAME=${w#*=} ;;
    depot.ip=*) IP=${w#*=} ;;
    depot.server=*) SERVER=${w#*=} ;;
    depot.export=*) EXPORT=${w#*=} ;;
    depot.mode=probe) echo "DEPOT-GUEST PROBE"; poweroff -f ;;   # Accelerator's probe only needs to get here
  esac
done
say() { echo "DEPOT-NFS $*"; }
setup_fail() {
  say "SETUP-FAIL $*"
  poweroff -f
}
for m in $(cat /modules/order); do
  insmod /modules/$m.ko || setup_fail "insmod $m"
done
hostname "$NAME"
echo "${IP%/*} $NAME" >> /etc/hosts
ip link set lo up
n=0
while ! ip link show eth0 >/dev/null 2>&1; do
  n=$((n + 1))
  [ $n -gt 300 ] && setup_fail "no eth0 after 30 s"
  sleep 0.1
done
ip addr add "$IP" dev eth0 && ip link set eth0 up || setup_fail "cannot configure eth0 as $IP"
mkdir -p /run/rpcbind /var/lib/nfs/sm /var/lib/nfs/sm.bak /run/mount
chown _rpc /run/rpcbind
rpcbind 2>/tmp/rpcbind.err || setup_fail "rpcbind: $(cat /tmp/rpcbind.err)"
# rpc.statd forks once it is registered with rpcbind
rpc.statd 2>/tmp/statd.err || setup_fail "rpc.statd: $(cat /tmp/statd.err)"
W=/mnt/$NAME

# check NAME DETAIL COMMAND...: runs the command, PASS when it succeeds
check() {
  c=$1 d=$2
  shift 2
  if "$@" >/tmp/check.out 2>&1; then
    say "CHECK $c PASS $d"
  else
    say "CHECK $c FAIL $d; $(tr '\n' ' ' </tmp/check.out | head -c 400)"
  fi
}
# expect NAME WANT GOT: PASS when equal
expect() {
  if [ "$2" = "$3" ]; then
    say "CHECK $1 PASS $3"
  else
    say "CHECK $1 FAIL expected '$2', got '$3'"
  fi
}
size() { stat -c %s "$1" 2>&1; }
md5() { md5sum | cut -d' ' -f1; }
zeros() { tr -d '\000' | wc -c; }   # how many bytes of its input are not zero
dropcaches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
# waitfor SECONDS COMMAND...: polls the command every 0.1 s until it succeeds or the time is up
waitfor() {
  local ticks=$(($1 * 10))
  shift
  while ! "$@" 2>/dev/null; do
    ticks=$((ticks - 1))
    [ $ticks -le 0 ] && return 1
    sleep 0.1
  done
}

step_mount() {
  check rpcbind-running "" sh -c "rpcinfo -p 127.0.0.1 | grep -q ' 100000 '"
  check statd-registered "" sh -c "rpcinfo -p 127.0.0.1 | grep -q ' 100024 '"
  # exactly what `mount -t nfs SERVER:/export /mnt` runs: no options, so locking is on
  check mount-default-options "$SERVER:$EXPORT" timeout 120 mount.nfs "$SERVER:$EXPORT" /mnt
  opts=$(awk '$2 == "/mnt" && $3 == "nfs" { print $4 }' /proc/mounts)
  case ",$opts," in
    *,vers=3,*) case ",$opts," in *,nolock,*) say "CHECK negotiated-v3 FAIL mounted nolock: $opts" ;; *) say "CHECK negotiated-v3 PASS $opts" ;; esac ;;
    *) say "CHECK negotiated-v3 FAIL $(grep ' /mnt ' /proc/mounts)" ;;
  esac
  mkdir -p "$W" /mnt/shared
}

step_large() {
  want=$(nfscheck pattern 7 64 | tee "$W/large" | md5)
  expect large-write 67108864 "$(size "$W/large")"
  dropcaches
  expect large-read-md5 "$want" "$(md5 < "$W/large")"
}

step_files() {
  nfscheck pattern 3 4 > /tmp/four
  four=$(md5 < /tmp/four)
  dd if=/tmp/four of="$W/direct" bs=1M oflag=direct 2>/tmp/dd.err
  expect odirect "$four" "$(dd if="$W/direct" bs=1M iflag=direct 2>/dev/null | md5)"

  dd if=/tmp/four of="$W/fsync" bs=64k conv=fsync 2>/tmp/dd.err
  # what fsync sent is on the server: read around the client's cache
  expect fsync "$four" "$(dd if="$W/fsync" bs=1M iflag=direct 2>/dev/null | md5)"

  echo one > "$W/append"
  echo two >> "$W/append"
  echo three >> "$W/append"
  dropcaches
  expect append "one two three 14" "$(tr '\n' ' ' < "$W/append")$(size "$W/append")"

  head -c 1048576 /tmp/four > "$W/trunc"
  head1000=$(head -c 1000 /tmp/four | md5)
  truncate -s 3M "$W/trunc"
  dropcaches
  expect truncate-grow "3145728 0" "$(size "$W/trunc") $(dd if="$W/trunc" bs=1M skip=1 2>/dev/null | zeros)"
  truncate -s 1000 "$W/trunc"
  dropcaches
  expect truncate-shrink "1000 $head1000" "$(size "$W/trunc") $(md5 < "$W/trunc")"

  head -c 4096 /tmp/four > /tmp/block
  dd if=/tmp/block of="$W/sparse" bs=4096 seek=262144 count=1 2>/dev/null
  dropcaches
  expect sparse "1073745920 0 $(md5 < /tmp/block)" \
    "$(size "$W/sparse") $(dd if="$W/sparse" bs=1M skip=512 count=1 2>/dev/null | zeros) $(dd if="$W/sparse" bs=4096 skip=262144 2>/dev/null | md5)"

  expect exclusive-create "ok EEXIST" "$(nfscheck create-excl "$W/excl") $(nfscheck create-excl "$W/excl")"

  echo old > "$W/rename-to"
  echo new > "$W/rename-from"
  mv "$W/rename-from" "$W/rename-to"
  dropcaches
  expect rename-over "new gone" "$(cat "$W/rename-to") $([ -e "$W/rename-from" ] && echo there || echo gone)"

  echo linked > "$W/link-target"
  ln "$W/link-target" "$W/hard"
  ln -s link-target "$W/soft"
  dropcaches
  expect hard-link "2 linked" "$(stat -c %h "$W/link-target") $(cat "$W/hard")"
  expect symbolic-link "link-target linked" "$(readlink "$W/soft") $(cat "$W/soft")"

  mkdir "$W/dir"
  i=0
  while [ $i -lt 300 ]; do
    : > "$W/dir/file-$i"
    i=$((i + 1))
  done
  dropcaches
  expect directory-300-ls-l 300 "$(ls -l "$W/dir" | grep -c '^-')"

  echo mode > "$W/owned"
  chmod 640 "$W/owned"
  chown 1234:5678 "$W/owned"
  dropcaches
  expect chmod-chown "640 1234:5678" "$(stat -c '%a %u:%g' "$W/owned")"

  # blocks, free, available, block size: non-zero and consistent
  set -- $(stat -f -c '%b %f %a %S' /mnt)
  if [ "$1" -gt 0 ] && [ "$2" -gt 0 ] && [ "$2" -le "$1" ] && [ "$3" -le "$2" ] && [ "$4" -gt 0 ]; then
    say "CHECK statfs PASS blocks=$1 free=$2 avail=$3 bsize=$4; df: $(df -k /mnt | tail -1)"
  else
    say "CHECK statfs FAIL blocks=$1 free=$2 avail=$3 bsize=$4"
  fi

  echo still-here > "$W/silly"
  exec 4< "$W/silly"
  rm "$W/silly"
  renamed=$(ls -a "$W" | grep -c '^\.nfs')
  through=$(cat <&4)
  exec 4<&-
  waitfor 15 sh -c "! ls -a '$W' | grep -q '^\.nfs'" && gone=gone || gone="left: $(ls -a "$W" | grep '^\.nfs')"
  expect silly-rename "1 still-here gone" "$renamed $through $gone"
}

# cto_read CHECK FILE WANT: opens the file and reads it (close-to-open: the open revalidates)
step_cto_read() {
  expect "$1" "$3" "$(cat "$W/$2" 2>&1)"
}

# kill_write_start: a 32 MiB O_DIRECT write to the server, left running; ends once it is under way
step_kill_write_start() {
  nfscheck pattern 11 32 > /tmp/kw
  rm -f /tmp/kw.rc
  (dd if=/tmp/kw of="$W/kill-write" bs=256k oflag=direct 2>/tmp/kw.err; echo $? > /tmp/kw.rc) &
  waitfor 120 sh -c "[ \$(stat -c %s '$W/kill-write') -ge 2097152 ]"
  [ -e /tmp/kw.rc ] && running="had already ended" || running="still running"
  expect kill-write-under-way "still running" "$running"
}

# kill_write_finish: the write that the server's kill interrupted ends well, and the data is intact
step_kill_write_finish() {
  waitfor 180 test -e /tmp/kw.rc
  rc=$(cat /tmp/kw.rc 2>/dev/null || echo "still running after 180 s")
  expect kill-write-completes 0 "$rc$([ "$rc" = 0 ] || echo "; $(tr '\n' ' ' < /tmp/kw.err)")"
  expect kill-write-data-intact "$(md5 < /tmp/kw)" "$(dd if="$W/kill-write" bs=1M iflag=direct 2>/dev/null | md5)"
}

# lock CHECK EXPECT FILE OP...: runs nfscheck on $W/FILE (a name with a slash: under /mnt); EXPECT is its words, comma-separated
step_lock() {
  c=$1 want=$(echo "$2" | tr , ' ') f=$3
  shift 3
  case $f in */*) f=/mnt/$f ;; *) f=$W/$f ;; esac
  got=$(nfscheck "$f" "$@" 2>&1)
  rc=$?
  [ $rc -eq 142 ] && got="$got TIMEOUT"
  expect "$c" "$want" "$got$([ "$want" = "$got" ] || echo "; dmesg: $(dmesg | tail -2 | tr '\n' ' ')")"
}

# lock_bg TAG FILE OP...: the same, left running in the background (its words go to /tmp/TAG.out)
step_lock_bg() {
  t=$1 f=$2
  shift 2
  case $f in */*) f=/mnt/$f ;; *) f=$W/$f ;; esac
  rm -f "/tmp/$t.out" "/tmp/$t.rc"
  (nfscheck "$f" "$@" > "/tmp/$t.out" 2>"/tmp/$t.err"; echo $? > "/tmp/$t.rc") 2>/dev/null &
}

# lock_await CHECK TAG EXPECT SECONDS: waits until the background tool has printed EXPECT (or more), or has ended
step_lock_await() {
  c=$1 t=$2 want=$(echo "$3" | tr , ' ')
  waitfor "$4" sh -c "grep -q '^$want' /tmp/$t.out || test -e /tmp/$t.rc"
  got=$(cat "/tmp/$t.out")
  [ "$(cat "/tmp/$t.rc" 2>/dev/null)" = 142 ] && got="$got TIMEOUT"
  case $got in
    "$want"*) say "CHECK $c PASS $got" ;;
    *) say "CHECK $c FAIL expected '$want', got '$got'; dmesg: $(dmesg | tail -2 | tr '\n' ' ')" ;;
  esac
}

# lock_finish CHECK TAG EXPECT SECONDS: waits for the background tool to end, compares all its words
step_lock_finish() {
  c=$1 t=$2 want=$(echo "$3" | tr , ' ')
  waitfor "$4" test -e "/tmp/$t.rc"
  got=$(cat "/tmp/$t.out")
  [ -e "/tmp/$t.rc" ] || got="$got (still running after $4 s)"
  [ "$(cat "/tmp/$t.rc" 2>/dev/null)" = 142 ] && got="$got TIMEOUT"
  expect "$c" "$want" "$got"
}

step_signal() {
  touch "$1"
}

# reboot_notice CHECK: what this host's boot would do for NFS locks, without the reboot: sm-notify
# tells every host its statd monitors (the server) that this host restarted, with a new state
# number; the server must then drop every lock this host held
step_reboot_notice() {
  check "$1" "" timeout 60 sm-notify -f -d
}

# timeout SECONDS: how long each later lock operation may take
step_timeout() {
  export NFSCHECK_TIMEOUT=$1
}

# ---- bench/kernel-client-bench.sh (KernelClientBench): timed rows, not checks ------------------
# bench_mount SERVER EXPORT: /mnt (re)mounted from SERVER:EXPORT with default options
step_bench_mount() {
  umount /mnt 2>/dev/null
  check bench-mount "$1:$2" timeout 120 mount.nfs "$1:$2" /mnt
  BD=/mnt/bench-$NAME-$(date +%s)
  mkdir -p "$BD/create" "$BD/create4k" || say "CHECK bench-mount FAIL cannot make $BD"
}
# the kernel client's own count and times per NFS procedure (/proc/self/mountstats: ops, rtt and
# execute milliseconds, summed), as "PROC ops rtt_ms exe_ms" lines
opstats() { awk '$1 ~ /^[A-Z_]+:$/ && NF >= 9 && $2 > 0 { print $1, $2, $8, $9 }' /proc/self/mountstats; }
# bench ROW N: one timed row (nfscheck bench); "CHECK bench-ROW PASS RESULT | PROC:ops:rtt_ms:exe_ms ..."
# with the procedures the row sent, from mountstats before and after
step_bench() {
  case $1 in
    create|create4k) path=$BD/$1 ;;
    remove) path=$BD/create ;;
    lock) path=$BD/lockfile ;;
    *) path=$BD/seq ;;
  esac
  opstats > /tmp/ops.before
  got=$(nfscheck bench "$1" "$path" "$2" 2>&1)
  opstats > /tmp/ops.after
  ops=$(awk 'NR == FNR { o[$1] = $2; r[$1] = $3; e[$1] = $4; next }
             $2 > o[$1] { printf "%s%d:%d:%d ", $1, $2 - o[$1], $3 - r[$1], $4 - e[$1] }' /tmp/ops.before /tmp/ops.after)
  case $got in
    [0-9]*) say "CHECK bench-$1 PASS $got | $ops" ;;
    *) say "CHECK bench-$1 FAIL $(echo "$got" | tr '\n' ' ')" ;;
  esac
}
step_bench_clean() {
  rm -rf "$BD"
}

say "READY name=$NAME"
exec 3< /dev/ttyS0
stty -F /dev/ttyS0 -echo 2>/dev/null
while read -r word step args <&3; do
  [ "$word" = STEP ] || continue
  # shellcheck disable=SC2086
  "step_$step" $args </dev/null
  say "END $step"
done
say "CONSOLE-CLOSED"
poweroff -f
