#!/usr/bin/env bash
# iSCSI benchmark: Depot's target (IscsiBenchServer over a fresh pool) against tgtd with a
# file-backed LUN (backing store rdwr), both on loopback, both stored in the same directory.
#
#   bench/iscsi-bench.sh [--dir DIR] [--rounds 5] [--warmup 1] [--size 1g] [--count-4k 40000]
#                        [--count-1m 1024] [--perf-seconds 8] [--only REGEX] [--unwritten]
#                        [--tgt-port 13270] [--depot-port 13271] [--tgt-control 1327]
#
# Workloads (qemu-img bench, cache=writeback as QEMU uses by default, so no flushes):
#   4k randwrite QD32 / 4k randread QD32: 4 KiB requests, 32 in flight, offsets advancing by a
#     stride of ~0.618 of the LUN (odd in 4 KiB blocks, so it visits every block once per pass):
#     scattered, not sequential, but a fixed order, the same on both sides.
#   1m seqwrite QD8 / 1m seqread QD8: 1 MiB requests, 8 in flight, sequential.
#   iscsi-perf 4k randread QD32: libiscsi's iscsi-perf -r (random LBAs) for --perf-seconds.
#   --unwritten adds iscsi-perf random reads of a second, never-written LUN (thin/sparse reads).
# Both LUNs are filled with 1 MiB writes before anything is measured, so reads read written data
# and writes overwrite allocated blocks. Each round runs every workload on both targets back to
# back, alternating which goes first; the table gives the median of --rounds rounds after
# --warmup rounds. Machine facts and the load average go with the table: other work on the
# machine moves these numbers, so read the min-max columns.
#
# DIR (default bench/out/iscsi, ignored by git) holds tgt's backing file and Depot's pool: it must
# be on the disk you want to measure and needs about 2x --size free (4x with --unwritten). Extra
# JVM flags for the Depot server go in BENCH_JVM_OPTS, e.g. a JFR recording:
#   BENCH_JVM_OPTS="-XX:StartFlightRecording=filename=/tmp/iscsi.jfr,settings=profile" bench/iscsi-bench.sh
# Needs tgtd/tgtadm (tgt), qemu-img (qemu-utils) and iscsi-perf (libiscsi-bin).
set -euo pipefail

. "$(dirname "$0")/lib.sh"   # and into the repository root ($repo)

bench_defaults bench/out/iscsi
perf_seconds=8
unwritten=false
tgt_port=13270
depot_port=13271
tgt_control=1327
while (($#)); do
    case "$1" in
        --perf-seconds) perf_seconds=$2; shift ;;
        --unwritten) unwritten=true ;;
        --tgt-port) tgt_port=$2; shift ;;
        --depot-port) depot_port=$2; shift ;;
        --tgt-control) tgt_control=$2; shift ;;
        *) bench_option "$@"; shift ;;
    esac
    shift
done

for tool in tgtd tgtadm qemu-img iscsi-perf; do
    command -v "$tool" >/dev/null || { echo "iscsi-bench: $tool not found (install tgt, qemu-utils, libiscsi-bin)" >&2; exit 1; }
done

# ---- build the Depot side, scratch, servers, cleanup ------------------------------------------
bench_prepare target-server tgt depot
tgt_iqn=iqn.2026-11.io.depot:tgt-bench
tgt_pid=
depot_pid=
cleanup() {
    if [[ -n "$tgt_pid" ]]; then
        # tgtd ignores SIGTERM and refuses "delete system" while targets exist.
        tgtadm -C "$tgt_control" --lld iscsi --op delete --mode target --tid 1 --force >/dev/null 2>&1 || true
        tgtadm -C "$tgt_control" --op delete --mode system >/dev/null 2>&1 || true
        for _ in $(seq 50); do kill -0 "$tgt_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$tgt_pid" 2>/dev/null || true
        wait "$tgt_pid" 2>/dev/null || true
    fi
    if [[ -n "$depot_pid" ]]; then
        kill "$depot_pid" 2>/dev/null || true   # SIGTERM: the server closes its pool
        wait "$depot_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

lun_count=1
$unwritten && lun_count=2

# Other tgtd instances may run on this machine: never talk to a portal we did not open.
listening() { ss -ltn "sport = :$1" | grep -q LISTEN; }
for port in "$tgt_port" "$depot_port"; do
    if listening "$port"; then
        echo "iscsi-bench: port $port is already in use (pick others with --tgt-port/--depot-port)" >&2
        exit 1
    fi
done

echo "starting tgtd (portal 127.0.0.1:$tgt_port, control port $tgt_control)..." >&2
for lun in $(seq 1 "$lun_count"); do
    truncate -s "$size_bytes" "$dir/tgt/lun$lun.img"
done
tgtd -f -C "$tgt_control" --iscsi portal=127.0.0.1:"$tgt_port" >"$dir/tgt/tgtd.log" 2>&1 &
tgt_pid=$!
for _ in $(seq 100); do
    tgtadm -C "$tgt_control" --lld iscsi --mode target --op show >/dev/null 2>&1 && break
    kill -0 "$tgt_pid" 2>/dev/null || { echo "iscsi-bench: tgtd exited: $(cat "$dir/tgt/tgtd.log")" >&2; exit 1; }
    sleep 0.1
done
for _ in $(seq 50); do listening "$tgt_port" && break; sleep 0.1; done
kill -0 "$tgt_pid" 2>/dev/null && listening "$tgt_port" || { echo "iscsi-bench: tgtd does not listen on $tgt_port: $(cat "$dir/tgt/tgtd.log")" >&2; exit 1; }
tgtadm -C "$tgt_control" --lld iscsi --mode target --op new --tid 1 --targetname "$tgt_iqn"
for lun in $(seq 1 "$lun_count"); do
    tgtadm -C "$tgt_control" --lld iscsi --mode logicalunit --op new --tid 1 --lun "$lun" -b "$dir/tgt/lun$lun.img"
done
tgtadm -C "$tgt_control" --lld iscsi --mode target --op bind --tid 1 -I ALL

echo "starting the Depot target (portal 127.0.0.1:$depot_port)..." >&2
# -Xmx2g and AlwaysPreTouch as engine-bench.sh: heap growth stays out of the measurements.
# shellcheck disable=SC2086
"$java" -Xms2g -Xmx2g -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED ${BENCH_JVM_OPTS:-} \
    -cp "$classpath" io.depot.iscsi.bench.IscsiBenchServer --dir "$dir/depot" --port "$depot_port" \
    --size "$size_bytes" --luns "$lun_count" >"$dir/depot/server.log" 2>&1 &
depot_pid=$!
depot_url=
for _ in $(seq 600); do
    depot_url=$(sed -n 's/^ready //p' "$dir/depot/server.log" | head -n1)
    [[ -n "$depot_url" ]] && break
    kill -0 "$depot_pid" 2>/dev/null || { echo "iscsi-bench: Depot server exited: $(cat "$dir/depot/server.log")" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$depot_url" ]] || { echo "iscsi-bench: Depot server not ready after 60 s" >&2; exit 1; }
depot_base=${depot_url%/1}
tgt_base=iscsi://127.0.0.1:$tgt_port/$tgt_iqn
declare -A base=([tgt]=$tgt_base [depot]=$depot_base)
declare -A pid=([tgt]=$tgt_pid [depot]=$depot_pid)

# ---- workloads --------------------------------------------------------------------------------
step_4k=$(bench_stride_4k "$size_bytes")

# iscsi-perf runs until SIGINT and prints a running average; the last one is the result.
iscsi_perf() { # URL
    local out iops
    out=$(timeout -s INT "$perf_seconds" iscsi-perf -i iqn.2026-11.io.depot:bench-initiator -m 32 -b 8 -r "$1" 2>&1 | tr '\r' '\n') || true
    iops=$(grep -o 'iops average [0-9]*' <<<"$out" | tail -n1 | awk '{print $3}')
    [[ -n "$iops" ]] || { echo "iscsi-bench: no result from iscsi-perf $1: $out" >&2; return 1; }
    awk -v n="$iops" -v t="$perf_seconds" 'BEGIN { printf "%d %.1f %d\n", n, n * 4096 / 1048576, n * t }'
}

workloads=("4k randwrite QD32" "4k randread QD32" "1m seqwrite QD8" "1m seqread QD8" "iscsi-perf 4k randread QD32")
$unwritten && workloads+=("iscsi-perf 4k randread QD32, unwritten LUN")
declare -A target=([4k]=">= 1.3" [1m]=">= 1.0" [iscsi-perf]=">= 1.3")
run_workload() { # NAME SIDE
    local url=${base[$2]}/1
    case "$1" in
        "4k randwrite QD32") bench_qemu "$url" "$count_4k" 32 4k "$step_4k" w ;;
        "4k randread QD32") bench_qemu "$url" "$count_4k" 32 4k "$step_4k" r ;;
        "1m seqwrite QD8") bench_qemu "$url" "$count_1m" 8 1M 1M w ;;
        "1m seqread QD8") bench_qemu "$url" "$count_1m" 8 1M 1M r ;;
        "iscsi-perf 4k randread QD32") iscsi_perf "$url" ;;
        "iscsi-perf 4k randread QD32, unwritten LUN") iscsi_perf "${base[$2]}/2" ;;
    esac
}

bench_machine "$dir"
echo "- tgt: $(tgtadm --version 2>/dev/null | head -n1); $(qemu-img --version | head -n1); iscsi-perf from libiscsi-bin $(dpkg-query -W -f '${Version}' libiscsi-bin 2>/dev/null || echo '?')"
echo "- LUN size $size; 4 KiB runs: $count_4k requests, stride $step_4k bytes; 1 MiB runs: $count_1m requests; iscsi-perf: $perf_seconds s per run"
echo "- Load average at start: $(bench_load)"
start=$(date +%s)

echo "filling both LUNs with 1 MiB writes..." >&2
for side in tgt depot; do
    bench_qemu "${base[$side]}/1" $(( size_bytes >> 20 )) 8 1M 1M w >/dev/null
done

results=$(mktemp)
trap 'cleanup; rm -f "$results"' EXIT
for ((r = 1 - warmup; r <= rounds; r++)); do
    bench_round "$r" tgt
    for w in "${workloads[@]}"; do
        [[ -n "$only" && ! "$w" =~ $only ]] && continue
        for side in "${order[@]}"; do
            bench_measure "$w" "$side" "$r" IOPS
        done
    done
done

echo
bench_table_head tgt
for w in "${workloads[@]}"; do
    [[ -n "$only" && ! "$w" =~ $only ]] && continue
    bench_row "$w" tgt "${target[${w%% *}]}"
done
echo
echo "- Median of $rounds interleaved rounds after $warmup warm-up round(s); depot/tgt is the ratio of median IOPS."
echo "- CPU us/req: CPU time (user+system, all threads) of the server process during the run, per request; the client's CPU is not counted."
echo "- Load average at end: $(bench_load); wall time $(( $(date +%s) - start )) s"
