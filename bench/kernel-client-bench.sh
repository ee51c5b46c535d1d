#!/usr/bin/env bash
# The Linux kernel NFS client against Depot and nfs-ganesha, as a hypervisor host mounts them: one
# QEMU guest (Debian's kernel, the KernelNfsClientTest harness: docs/kernel-client.md) on a bridge
# in a private network namespace, Depot (the appliance's wiring, DatastoreServerMain) at 10.9.0.1
# and ganesha (VFS FSAL, its NLM on, rpcbind and rpc.statd beside it, in a namespace of its own
# joined to the bridge by a veth) at 10.9.0.2. The guest stays up; every round it mounts one server
# then the other (`mount.nfs SERVER:EXPORT /mnt`, default options: v3, locking on), alternating
# which goes first, and runs the rows on each, timed inside the guest with clock_gettime
# (nfscheck bench, kernelnfs/nfscheck.c):
#
#   bench/kernel-client-bench.sh [--dir DIR] [--rounds 3] [--warmup 1] [--files 200] [--lock-ops 300] [--mib 32]
#
#   create      open(O_CREAT|O_EXCL|O_WRONLY) + close of --files new files: creates/s, and the
#               median and p90 of one create's latency
#   create4k    the same with a 4 KiB write before the close (cp of a small file)
#   remove      unlink of the files create made
#   lock        fcntl F_SETLK write lock of bytes 0-99 + F_UNLCK, --lock-ops pairs (NLM LOCK/UNLOCK)
#   writedirect / readdirect / write / read   --mib MiB in 1 MiB calls, O_DIRECT or buffered (the
#               buffered write's time includes the flush at close; the buffered read starts after
#               the guest's page cache is dropped)
# The guest is TCG-emulated when there is no KVM: its CPU is slow, so the throughput rows are
# bound by the guest, not by either server; the latency rows say more. After the table, the
# procedures each row sent (the guest kernel's /proc/self/mountstats: count, summed RTT and
# execute ms) and, for Depot, the server's own time per procedure (its /metrics) show where a
# create's time goes.
#
# Both servers keep their data on one ext4 loop-mounted dirsync (lib.sh, bench_dirsync_mount) in
# DIR (default bench/out/kernel-client), so ganesha's namespace changes are as durable as Depot's.
# Needs root, /dev/net/tun, and: nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common (rpc.statd,
# mount.nfs), qemu-system-x86 qemu-utils qemu-block-extra busybox-static libnfs-utils gcc libc6-dev
# iproute2 util-linux e2fsprogs curl (the guest's kernel is fetched by the harness with apt-get
# download). Takes about 3 minutes to boot plus about 1.5 minutes per round and server under TCG.
set -euo pipefail

. "$(dirname "$0")/lib.sh"   # and into the repository root ($repo)

dir=bench/out/kernel-client rounds=3 warmup=1 files=200 lock_ops=300 mib=32
while (($#)); do
    case "$1" in
        --dir) dir=$2 ;;
        --rounds) rounds=$2 ;;
        --warmup) warmup=$2 ;;
        --files) files=$2 ;;
        --lock-ops) lock_ops=$2 ;;
        --mib) mib=$2 ;;
        *) echo "$bench: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    esac
    shift 2
done

for tool in ganesha.nfsd rpcbind rpc.statd mount.nfs qemu-system-x86_64 qemu-io busybox nfs-cp gcc ip unshare nsenter mkfs.ext4 curl; do
    PATH=$PATH:/usr/sbin:/sbin command -v "$tool" >/dev/null || { echo "$bench: $tool not found: apt-get install -y nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common qemu-system-x86 qemu-utils qemu-block-extra busybox-static libnfs-utils gcc libc6-dev iproute2 util-linux e2fsprogs curl" >&2; exit 1; }
done
compgen -G '/usr/lib/*/ganesha/libfsalvfs.so' >/dev/null \
    || { echo "$bench: ganesha's VFS FSAL is missing: apt-get install -y nfs-ganesha-vfs" >&2; exit 1; }
(( EUID == 0 )) || { echo "$bench: needs root (network namespaces, taps, a loop mount)" >&2; exit 1; }
[[ -c /dev/net/tun ]] || { echo "$bench: /dev/net/tun is missing (the guest's tap)" >&2; exit 1; }

echo "building appliance and its test classes..." >&2
classpath=$(bench_classpath appliance)
bench_java
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
gns=depot-kcb-g-$$
ganesha_pid=
results=$(mktemp)
cleanup() {
    if [[ -n "$ganesha_pid" ]]; then
        kill "$ganesha_pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$ganesha_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$ganesha_pid" 2>/dev/null || true
    fi
    [[ -f "$fs/ganesha/rpcbind.pid" ]] && kill "$(cat "$fs/ganesha/rpcbind.pid")" 2>/dev/null || true
    [[ -n "$fs" ]] && bench_stop_statd "$fs/ganesha"
    ip netns del "$gns" 2>/dev/null || true
    bench_dirsync_umount "$dir"
    rm -f "$results"
}
fs=
trap cleanup EXIT
fs=$(bench_dirsync_mount "$dir" 8g)
mkdir -p "$fs/ganesha" "$fs/depot"

echo "starting nfs-ganesha (with NLM and rpc.statd) in network namespace $gns..." >&2
ip netns add "$gns"
bench_start_ganesha "$fs/ganesha" nlm ip netns exec "$gns" unshare -m
for _ in $(seq 300); do
    ip netns exec "$gns" rpcinfo -T tcp 127.0.0.1 100021 4 >/dev/null 2>&1 && break
    kill -0 "$ganesha_pid" 2>/dev/null || break
    sleep 0.1
done
ip netns exec "$gns" rpcinfo -T tcp 127.0.0.1 100021 4 >/dev/null 2>&1 \
    || { echo "$bench: ganesha serves no NLM v4 after 30 s" >&2; tail -n 20 "$fs/ganesha"/*.log >&2; exit 1; }

bench_machine "$fs"
echo "- nfs-ganesha $(dpkg-query -W -f '${Version}' nfs-ganesha 2>/dev/null || echo '?') (VFS FSAL, NLM on, rpc.statd); $(qemu-system-x86_64 --version | head -n1)"
echo "- Storage: ext4 loop-mounted dirsync ($(findmnt -n -o OPTIONS "$fs")) over $dir/ext4.img, both servers"
echo "- Guest: one QEMU guest, 1 vCPU, 256 MiB, Debian's kernel; $files files per create row, $lock_ops lock pairs, $mib MiB per I/O row"
echo "- Load average at start: $(bench_load)"
start=$(date +%s)

"$java" -cp "$classpath" io.depot.appliance.kernelnfs.KernelClientBench --dir "$fs/depot" --ganesha-netns "$gns" \
    --ganesha-pid "$(cat "$fs/ganesha/ganesha.pid")" --ganesha-export "$fs/ganesha/export" --rounds "$rounds" --warmup "$warmup" \
    --files "$files" --lock-ops "$lock_ops" --mib "$mib" --clk-tck "$ticks_per_second" >"$results" 2> >(tee "$dir/progress.log" >&2)

echo "- $(grep -o 'QEMU accelerator [a-z]*' "$dir/progress.log" | head -n1) (tcg: the guest's CPU is emulated)"
echo
echo "| workload | unit | depot | ganesha | depot MiB/s | ganesha MiB/s | depot/ganesha | target | met | depot min-max | ganesha min-max | depot CPU us/op | ganesha CPU us/op |"
echo "|---|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|"
rows=$(awk -F'\t' '$1 == "ROW" { print $2 }' "$results" | awk '!seen[$0]++')
grep '^ROW' "$results" | cut -f2- >"$results.rows"
while IFS= read -r row; do
    case "$row" in
        *" us") goal="<= 1.0"; u=us ;;    # latency: lower is better
        *MiB/s) goal=">= 1.0"; u=MiB/s ;;
        *) goal=">= 1.0"; u=ops/s ;;
    esac
    results=$results.rows bench_row "$row" ganesha "$goal" "$u"
done <<<"$rows"
echo
echo "- Median of $rounds interleaved rounds after $warmup warm-up round(s), timed in the guest; depot/ganesha is the ratio of the medians (for the us rows, lower is better)."
echo "- CPU us/op: CPU time (user+system, all threads) of the server process per operation of the row (per MiB for the I/O rows); the guest not counted."
echo
echo "Procedures per row (last measured round; client = the guest kernel's mountstats PROC:count:rtt_ms:exe_ms summed over the row; server = Depot's /metrics PROC:calls:ms):"
echo
awk -F'\t' '$1 == "PROFILE" { last[$2 " " $3] = $5 "  " $6 } END { for (k in last) print "- " k ": " last[k] }' "$results" | sort
echo
echo "- Load average at end: $(bench_load); wall time $(( $(date +%s) - start )) s"
rm -f "$results.rows"
