#!/usr/bin/env bash
# NFSv3 benchmark: Depot's NFS gateway (NfsBenchServer over a fresh pool) against nfs-ganesha with
# the VFS FSAL, both on loopback, both storing their data in the same directory (same disk).
#
#   bench/nfs-bench.sh [--dir DIR] [--rounds 5] [--warmup 1] [--size 1g] [--count-4k 40000]
#                      [--count-1m 1024] [--meta-threads 4] [--meta-files 1500] [--only REGEX]
#                      [--lock-ops 2000] [--lock-nm] [--dirsync | --no-dirsync]
#
# Workloads (all clients are libnfs-based or our own NFSv3 client over TCP):
#   nfs-cp 1m write / nfs-cp 1m read: libnfs's nfs-cp of a --size file from /dev/shm to the export,
#     then back to /dev/shm; both servers cap READ/WRITE at 1 MiB (ganesha's MaxRead/MaxWrite are
#     set to Depot's rtmax/wtmax), so this is 1 MiB sequential I/O. Each round writes a new file
#     (nfs-cp will not replace one) and reads it back.
#   4k randwrite QD32 / 4k randread QD32 / 1m seqwrite QD8 / 1m seqread QD8: qemu-img bench on a
#     raw image file of --size through QEMU's nfs:// driver, as bench/iscsi-bench.sh (4 KiB offsets
#     advance by a stride of ~0.618 of the image, coprime with its block count: one pass visits
#     every block once, far apart). No flushes (cache=writeback), so writes are UNSTABLE, no COMMIT.
#   meta create / lookup / getattr / remove: NfsMetaBench, --meta-threads connections with one call
#     in flight each, --meta-files names per thread in one fresh directory, each phase timed alone.
#   nlm lock-unlock / nlm contended: NlmLockBench over NLM v4. lock-unlock: --meta-threads lock
#     owners, each LOCK (exclusive, non-blocking, monitored; NM_LOCK with --lock-nm) + UNLOCK of its
#     own file, --lock-ops pairs each (one op = one pair). contended: two owners handing one range
#     back and forth (A locks, B denied, A unlocks, B locks, B unlocks = one op), --lock-ops / 2 ops.
#     ganesha runs with its NLM on and an rpc.statd in its namespace for the monitored locks.
# The image is filled with 1 MiB writes before anything is measured. Each round runs every workload
# on both servers back to back, alternating which goes first; the table gives medians of --rounds
# rounds after --warmup rounds, with the CPU time the server process used per request.
#
# QEMU's nfs:// driver and libnfs ask the portmapper on port 111, so each server runs in its own
# private network namespace (unshare -n -m, loopback up, a private /run), where 111 and 2049 are
# free: Depot serves its embedded portmapper; ganesha registers with an rpcbind started in its
# namespace. Clients enter the namespace with nsenter. Needs root.
#
# --dirsync puts both servers on an ext4 loop-mounted `dirsync` from DIR/ext4.img (lib.sh,
# bench_dirsync_mount): ganesha's namespace changes are then stable before it replies, as RFC 1813
# asks and as Depot's are anyway, so the metadata rows compare equally durable servers. It is the
# default when only metadata and lock rows run (`--only "meta|nlm"`); --no-dirsync turns it off. The data rows are
# unaffected by dirsync itself (it only covers directory changes), so they keep the plain DIR
# unless --dirsync is given.
# DIR (default bench/out/nfs, ignored by git) holds ganesha's export and Depot's pool: it must be on
# the disk you want to measure and needs about 4x --size free. /dev/shm needs 2x --size.
# Extra JVM flags for the Depot server go in BENCH_JVM_OPTS (see bench/iscsi-bench.sh), extra
# NfsBenchServer options in BENCH_SERVER_OPTS (e.g. "--null-read quick": the READ ceiling, a READ
# that costs nothing, see NfsBenchServer; the "depot" column is then that stand-in, not Depot).
# Needs nfs-ganesha + nfs-ganesha-vfs (apt-get install -y nfs-ganesha nfs-ganesha-vfs), rpcbind,
# qemu-img (qemu-utils), nfs-cp (libnfs-utils), unshare/nsenter (util-linux), ip (iproute2).
set -euo pipefail

. "$(dirname "$0")/lib.sh"   # and into the repository root ($repo)

bench_defaults bench/out/nfs
meta_threads=4
meta_files=1500
dirsync=
lock_ops=2000
lock_nm=
while (($#)); do
    case "$1" in
        --meta-threads) meta_threads=$2; shift ;;
        --meta-files) meta_files=$2; shift ;;
        --lock-ops) lock_ops=$2; shift ;;
        --lock-nm) lock_nm=1; shift; continue ;;
        --dirsync) dirsync=1; shift; continue ;;
        --no-dirsync) dirsync=0; shift; continue ;;
        *) bench_option "$@"; shift ;;
    esac
    shift
done

for tool in ganesha.nfsd rpcbind qemu-img nfs-cp unshare nsenter ip; do
    command -v "$tool" >/dev/null || { echo "nfs-bench: $tool not found (install nfs-ganesha nfs-ganesha-vfs, rpcbind, qemu-utils, libnfs-utils, util-linux, iproute2)" >&2; exit 1; }
done
compgen -G '/usr/lib/*/ganesha/libfsalvfs.so' >/dev/null \
    || { echo "nfs-bench: ganesha's VFS FSAL is missing: apt-get install -y nfs-ganesha-vfs" >&2; exit 1; }
(( EUID == 0 )) || { echo "nfs-bench: needs root (network namespaces, port 111)" >&2; exit 1; }

workloads=("nfs-cp 1m write" "nfs-cp 1m read" "4k randwrite QD32" "4k randread QD32" "1m seqwrite QD8" "1m seqread QD8"
    "meta create" "meta lookup" "meta getattr" "meta remove" "nlm lock-unlock" "nlm contended")
data_rows=0
for w in "${workloads[@]}"; do
    [[ "$w" != "meta "* && "$w" != "nlm "* && ( -z "$only" || "$w" =~ $only ) ]] && data_rows=1
done
[[ -n "$dirsync" ]] || dirsync=$(( ! data_rows ))

# ---- build the Depot side, scratch, servers, cleanup ------------------------------------------
bench_prepare nfs-gateway
plain_dir=$dir
src=/dev/shm/nfs-bench-src.$$
dst=/dev/shm/nfs-bench-dst.$$
ganesha_pid=
depot_pid=
rpcbind_pid=
results=
cleanup() {
    for p in "$depot_pid" "$ganesha_pid"; do
        [[ -n "$p" ]] || continue
        kill "$p" 2>/dev/null || true   # SIGTERM: Depot closes its pool, ganesha shuts down
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    [[ -f "$dir/ganesha/rpcbind.pid" ]] && rpcbind_pid=$(cat "$dir/ganesha/rpcbind.pid")
    [[ -n "$rpcbind_pid" ]] && kill "$rpcbind_pid" 2>/dev/null || true
    bench_stop_statd "$dir/ganesha"
    rm -f "$src" "$dst" "$plain_dir/client.out" ${results:+"$results"}
    if ((dirsync)); then bench_dirsync_umount "$plain_dir"; fi
}
trap cleanup EXIT
if ((dirsync)); then
    dir=$(bench_dirsync_mount "$plain_dir" "$(( 4 * size_bytes + (4 << 30) ))")
fi
rm -rf "${dir:?}/ganesha" "$dir/depot"
mkdir -p "$dir/ganesha" "$dir/depot"

echo "starting nfs-ganesha in its own network namespace..." >&2
bench_start_ganesha "$dir/ganesha" nlm

echo "starting the Depot NFS gateway in its own network namespace..." >&2
# -Xmx2g and AlwaysPreTouch as engine-bench.sh: heap growth stays out of the measurements.
# shellcheck disable=SC2086,SC2016
unshare -n -m bash -c "$bench_netns" depot \
    "$java" -Xms2g -Xmx2g -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED ${BENCH_JVM_OPTS:-} \
    -cp "$classpath" io.depot.nfs.bench.NfsBenchServer --dir "$dir/depot" --capacity "$(( 4 * size_bytes + (16 << 30) ))" ${BENCH_SERVER_OPTS:-} \
    >"$dir/depot/server.log" 2>&1 &
depot_pid=$!

declare -A pid=([ganesha]=$ganesha_pid [depot]=$depot_pid)
declare -A export=([ganesha]=$dir/ganesha/export [depot]=/depot)
in_ns() { local side=$1; shift; nsenter -t "${pid[$side]}" -n "$@"; }
registered() { in_ns "$1" rpcinfo -T tcp 127.0.0.1 100003 3 >/dev/null 2>&1; }
for side in ganesha depot; do
    for _ in $(seq 600); do
        kill -0 "${pid[$side]}" 2>/dev/null || break
        registered "$side" && break
        sleep 0.1
    done
    if ! registered "$side"; then
        echo "nfs-bench: $side does not serve NFSv3 through the portmapper after 60 s" >&2
        tail -n 20 "$dir/$side"/*.log >&2
        exit 1
    fi
done

now_ns() { date +%s%N; }
url() { echo "nfs://127.0.0.1${export[$1]}/$2"; }

# ---- workloads --------------------------------------------------------------------------------
step_4k=$(bench_stride_4k "$size_bytes")

# Each prints "OPS_PER_SECOND MIB_PER_SECOND REQUESTS" for one run.
qemu_bench() { # SIDE COUNT DEPTH SIZE STEP WRITE
    local side=$1
    shift
    bench_qemu "$(url "$side" image.raw)" "$@" in_ns "$side"
}

# nfs-cp refuses to replace a file (its create is exclusive), so every round writes a new one,
# copy-rROUND.bin, and reads back the one it just wrote.
nfs_cp() { # SIDE write|read ROUND
    local side=$1 name=copy-r$3.bin t0 t1 out
    t0=$(now_ns)
    if [[ $2 == write ]]; then
        out=$(in_ns "$side" nfs-cp "$src" "$(url "$side" "$name")" 2>&1) || { echo "nfs-bench: nfs-cp to $side failed: $out" >&2; return 1; }
    else
        rm -f "$dst"
        out=$(in_ns "$side" nfs-cp "$(url "$side" "$name")" "$dst" 2>&1) || { echo "nfs-bench: nfs-cp from $side failed: $out" >&2; return 1; }
        [[ $(stat -c %s "$dst") == "$size_bytes" ]] || { echo "nfs-bench: nfs-cp from $side copied $(stat -c %s "$dst") bytes" >&2; return 1; }
    fi
    t1=$(now_ns)
    awk -v ns=$((t1 - t0)) -v b="$size_bytes" 'BEGIN { s = ns / 1e9; printf "%.0f %.1f %d\n", b / 1048576 / s, b / 1048576 / s, b / 1048576 }'
}

# Prints "PHASE OPS_PER_SECOND OPS CPU_US_PER_OP" lines (create, lookup, getattr, remove).
meta_bench() { # SIDE
    in_ns "$1" "$java" -Xms512m -Xmx512m -cp "$classpath" io.depot.nfs.bench.NfsMetaBench \
        --export "${export[$1]}" --threads "$meta_threads" --files "$meta_files" \
        --warmup-files $(( meta_files / 5 )) --server-pid "${pid[$1]}" --clk-tck "$ticks_per_second" 2>"$plain_dir/meta-$1.err" \
        | grep -E '^(create|lookup|getattr|remove) '
}

# Prints "PHASE OPS_PER_SECOND OPS CPU_US_PER_OP" lines (lock-unlock, contended).
lock_bench() { # SIDE
    in_ns "$1" "$java" -Xms256m -Xmx256m -cp "$classpath" io.depot.nfs.nlm.NlmLockBench \
        --export "${export[$1]}" --threads "$meta_threads" --ops "$lock_ops" --contended-ops $(( lock_ops / 2 )) \
        --warmup-ops $(( lock_ops / 5 )) ${lock_nm:+--nm} --server-pid "${pid[$1]}" --clk-tck "$ticks_per_second" 2>"$plain_dir/lock-$1.err" \
        | grep -E '^(lock-unlock|contended) '
}

declare -A unit=([nfs-cp]=MiB/s [4k]=IOPS [1m]=IOPS [meta]=ops/s [nlm]=ops/s)
declare -A target=([nfs-cp]=">= 1.5" [4k]=">= 1.5" [1m]=">= 1.5" [meta]=">= 1.0" [nlm]=">= 1.0")
# The client runs that print several rows, by their first row.
declare -A client_run=(["meta create"]=meta_bench ["nlm lock-unlock"]=lock_bench)
declare -A client_log=([meta]=meta [nlm]=lock)
run_workload() { # NAME SIDE
    case "$1" in
        "nfs-cp 1m write") nfs_cp "$2" write "$round" ;;
        "nfs-cp 1m read") nfs_cp "$2" read "$round" ;;
        "4k randwrite QD32") qemu_bench "$2" "$count_4k" 32 4k "$step_4k" w ;;
        "4k randread QD32") qemu_bench "$2" "$count_4k" 32 4k "$step_4k" r ;;
        "1m seqwrite QD8") qemu_bench "$2" "$count_1m" 8 1M 1M w ;;
        "1m seqread QD8") qemu_bench "$2" "$count_1m" 8 1M 1M r ;;
    esac
}

fsinfo=$(in_ns depot "$java" -cp "$classpath" io.depot.nfs.bench.NfsMetaBench --export /depot --files 1 --warmup-files 1 2>/dev/null | sed -n 's/^fsinfo //p')
fsinfo_g=$(in_ns ganesha "$java" -cp "$classpath" io.depot.nfs.bench.NfsMetaBench --export "${export[ganesha]}" --files 1 --warmup-files 1 2>/dev/null | sed -n 's/^fsinfo //p')

bench_machine "$dir"
echo "- nfs-ganesha $(dpkg-query -W -f '${Version}' nfs-ganesha 2>/dev/null || echo '?') (VFS FSAL); $(qemu-img --version | head -n1); libnfs-utils $(dpkg-query -W -f '${Version}' libnfs-utils 2>/dev/null || echo '?')"
echo "- FSINFO: depot $fsinfo; ganesha $fsinfo_g"
echo "- File/image size $size; 4 KiB runs: $count_4k requests, stride $step_4k bytes; 1 MiB runs: $count_1m requests; metadata: $meta_threads connections x $meta_files files; locks: $meta_threads owners x $lock_ops pairs, $(( lock_ops / 2 )) contended cycles, $( [[ -n "$lock_nm" ]] && echo NM_LOCK || echo "LOCK (monitored)")"
echo "- Storage: $( ((dirsync)) && echo "ext4 loop-mounted dirsync ($(findmnt -n -o OPTIONS "$dir")) over $plain_dir/ext4.img, both servers" || echo "$dir as it is, both servers")"
echo "- Load average at start: $(bench_load)"
start=$(date +%s)

# The image and the source file serve the data rows only: a metadata-only run skips them, as the
# writeback of the filled images would otherwise compete with the metadata rounds for the disk.
if ((data_rows)); then
    echo "preparing: $size of random data in /dev/shm, an image of $size on each server filled with 1 MiB writes..." >&2
    head -c "$size_bytes" /dev/urandom >"$src"
    for side in ganesha depot; do
        in_ns "$side" qemu-img create -f raw "$(url "$side" image.raw)" "$size_bytes" >/dev/null
        qemu_bench "$side" $(( size_bytes >> 20 )) 8 1M 1M w >/dev/null
    done
fi

results=$(mktemp)
for ((r = 1 - warmup; r <= rounds; r++)); do
    round=$(( r + warmup ))
    bench_round "$r" ganesha
    for w in "${workloads[@]}"; do
        [[ -n "$only" && ! "$w" =~ $only ]] && continue
        [[ "$w" == "meta "* && "$w" != "meta create" ]] && continue   # one client run gives all four phases
        [[ "$w" == "nlm "* && "$w" != "nlm lock-unlock" ]] && continue   # and both lock rows
        for side in "${order[@]}"; do
            if [[ -n "${client_run[$w]-}" ]]; then
                # Neither server pays for what the other left in the page cache: ganesha's namespace
                # changes reach the disk only at writeback (it never syncs), which would otherwise
                # land in the middle of Depot's synced changes, and the other way round for data.
                sync
                if ! "${client_run[$w]}" "$side" >"$plain_dir/client.out"; then
                    echo "nfs-bench: the ${w%% *} client failed on $side:" >&2
                    tail -n 20 "$plain_dir/${client_log[${w%% *}]}-$side.err" "$dir/$side"/*.log >&2
                    exit 1
                fi
                while read -r phase ops_s ops cpu_us; do
                    echo "  ${w%% *} $phase on $side: $ops_s ops/s, server CPU $cpu_us us per op" >&2
                    ((r >= 1)) && printf '%s\t%s\t%s\t%s\t%s\n' "${w%% *} $phase" "$side" "$ops_s" "$ops_s" "$cpu_us" >>"$results"
                done <"$plain_dir/client.out"
                continue
            fi
            bench_measure "$w" "$side" "$r" "${unit[${w%% *}]}"
        done
    done
done

echo
bench_table_head ganesha units
for w in "${workloads[@]}"; do
    [[ -n "$only" && ! "$w" =~ $only ]] && continue
    [[ -n "$only" && "$w" == "meta "* && ! "meta create" =~ $only ]] && continue
    [[ -n "$only" && "$w" == "nlm "* && ! "nlm lock-unlock" =~ $only ]] && continue
    bench_row "$w" ganesha "${target[${w%% *}]}" "${unit[${w%% *}]}"
done
echo
echo "- Median of $rounds interleaved rounds after $warmup warm-up round(s); depot/ganesha is the ratio of the medians."
echo "- CPU us/req: CPU time (user+system, all threads) of the server process per request (per MiB for nfs-cp, per call for meta, per op for nlm); clients not counted."
echo "- Load average at end: $(bench_load); wall time $(( $(date +%s) - start )) s"
