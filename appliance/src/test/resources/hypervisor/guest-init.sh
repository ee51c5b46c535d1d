#!/bin/busybox sh
# PID 1 of the test guest (a busybox initramfs). It writes numbered, self-describing 4 KiB blocks
# to its disk and says so on the serial console; the test waits on these lines:
#   DEPOT-GUEST READY ...          the disk is there, writing starts (mode=write)
#   DEPOT-GUEST WROTE i            block i was written with O_DIRECT and flushed (fsync): acknowledged
#   DEPOT-GUEST STOPPED count=n    a line arrived on the console: blocks 0..n-1 are written
#   DEPOT-GUEST VERIFY OK count=n md5=...   the guest read blocks 0..n-1 back from the disk, all as written
#   DEPOT-GUEST CHECK OK count=n md5=...    (mode=check) the disk holds exactly blocks 0..n-1 of this run
#   DEPOT-GUEST FAIL ...           anything else
# Block i is 64 identical 64-byte lines "depot-hv run=RUN block=0000000123 ...." (63 chars + \n).
# Kernel command line: depot.mode=write|check|probe depot.run=RUN [depot.max=BLOCKS]
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
MODE=write RUN=none MAX=4096
for w in $(cat /proc/cmdline); do
  case $w in
    depot.mode=*) MODE=${w#*=} ;;
    depot.run=*) RUN=${w#*=} ;;
    depot.max=*) MAX=${w#*=} ;;
  esac
done
# an accelerator probe only needs to reach this point
if [ "$MODE" = probe ]; then
  echo "DEPOT-GUEST PROBE"
  poweroff -f
fi
fail() {
  echo "DEPOT-GUEST FAIL $*"
  poweroff -f
}
for m in $(cat /modules/order); do
  insmod /modules/$m.ko || fail "insmod $m"
done
n=0
while [ ! -b /dev/vda ]; do
  n=$((n + 1))
  [ $n -gt 300 ] && fail "no /dev/vda after 30 s"
  sleep 0.1
done

# block I: prints the 4096 bytes of block I
block() {
  awk -v r="$RUN" -v i="$1" 'BEGIN { l = sprintf("depot-hv run=%s block=%010d ", r, i); while (length(l) < 63) l = l "."; for (j = 0; j < 64; j++) print l }'
}
# expected N: prints blocks 0..N-1
expected() {
  awk -v r="$RUN" -v n="$1" 'BEGIN { for (i = 0; i < n; i++) { l = sprintf("depot-hv run=%s block=%010d ", r, i); while (length(l) < 63) l = l "."; for (j = 0; j < 64; j++) print l } }'
}
# disk N: prints blocks 0..N-1 as the disk holds them (O_DIRECT: not from the guest's page cache)
disk() {
  [ "$1" -gt 0 ] && dd if=/dev/vda bs=4096 count="$1" iflag=direct 2>/dev/null
}
# valid I: block I holds this run's header for I
valid() {
  h=$(dd if=/dev/vda bs=4096 skip="$1" count=1 iflag=direct 2>/dev/null | head -c 63)
  [ "$h" = "$(block "$1" | head -c 63)" ]
}
# verify WHAT N: blocks 0..N-1 are exactly as written
verify() {
  expected "$2" > /tmp/expected
  if disk "$2" | cmp -s - /tmp/expected; then
    echo "DEPOT-GUEST $1 OK count=$2 md5=$(md5sum < /tmp/expected | cut -d' ' -f1)"
  else
    fail "$1 count=$2: $(disk "$2" | cmp - /tmp/expected 2>&1)"
  fi
}

case $MODE in
write)
  stty -F /dev/ttyS0 -echo 2>/dev/null
  (read -r line < /dev/ttyS0; touch /tmp/stop) &
  echo "DEPOT-GUEST READY mode=write run=$RUN"
  i=0
  while [ ! -e /tmp/stop ] && [ $i -lt "$MAX" ]; do
    block $i | dd of=/dev/vda bs=4096 seek=$i count=1 iflag=fullblock oflag=direct conv=notrunc,fsync 2>/tmp/dd.err \
      || fail "write block=$i: $(cat /tmp/dd.err)"
    echo "DEPOT-GUEST WROTE $i"
    i=$((i + 1))
  done
  echo "DEPOT-GUEST STOPPED count=$i"
  verify VERIFY $i
  ;;
check)
  echo "DEPOT-GUEST READY mode=check run=$RUN"
  # the writer writes in order, so the valid blocks are a prefix: find its end by bisection
  lo=0 hi=$MAX
  while [ $lo -lt $hi ]; do
    mid=$(((lo + hi) / 2))
    if valid $mid; then lo=$((mid + 1)); else hi=$mid; fi
  done
  verify CHECK $lo
  # and nothing after it: the next block reads as zeros
  z=$(dd if=/dev/vda bs=4096 skip=$lo count=1 iflag=direct 2>/dev/null | tr -d '\000' | wc -c)
  [ "$z" -eq 0 ] || fail "CHECK block=$lo after the last one is not zeros"
  echo "DEPOT-GUEST CHECK DONE count=$lo"
  ;;
*)
  fail "unknown mode $MODE"
  ;;
esac
echo "DEPOT-GUEST END"
poweroff -f
