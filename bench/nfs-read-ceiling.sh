#!/usr/bin/env bash
# nfs-cp 1 MiB read (one request in flight) against several servers at once, to tell small
# differences apart on a noisy machine: every server holds the same 1 GiB file, written once; then
# each round copies it back from every server in turn (rotating the order), so load drift hits all
# of them alike. Servers, each in its own network namespace (see bench/nfs-bench.sh):
#   ganesha      nfs-ganesha 4.3, VFS FSAL, MaxRead 1 MiB
#   depot        NfsBenchServer (this checkout)
#   null-quick   NfsBenchServer --null-read quick: READ costs nothing (one prebuilt buffer, answered
#                on the event loop): the ceiling of any server for this client and transport
#   null-worker  NfsBenchServer --null-read worker: the same after the handoff to a worker thread
#   before       NfsBenchServer built from another checkout (--before DIR), if given
# Prints per server the median and best MiB/s, the client's (nfs-cp's) CPU per MiB (perf stat
# task-clock) and the server's CPU per MiB.
#
#   bench/nfs-read-ceiling.sh [--rounds 8] [--size 1g] [--before DIR] [--dir DIR]
# Needs what bench/nfs-bench.sh needs, plus perf. Root.
set -euo pipefail
. "$(dirname "$0")/lib.sh"   # and into the repository root ($repo)
rounds=8
size=1g
before=
dir=bench/out/nfs-ceiling
while (($#)); do
    case "$1" in
        --rounds) rounds=$2; shift ;;
        --size) size=$2; shift ;;
        --before) before=$2; shift ;;
        --dir) dir=$2; shift ;;
        *) echo "nfs-read-ceiling: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
for tool in ganesha.nfsd rpcbind nfs-cp unshare nsenter ip perf; do
    command -v "$tool" >/dev/null || { echo "nfs-read-ceiling: $tool not found" >&2; exit 1; }
done
(( EUID == 0 )) || { echo "nfs-read-ceiling: needs root" >&2; exit 1; }

echo "building..." >&2
cp_now=$(bench_classpath nfs-gateway)
[[ -n "$before" ]] && cp_before=$(bench_classpath nfs-gateway "$(cd "$before" && pwd)")
bench_java

mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
rm -rf "${dir:?}"/*
src=/dev/shm/nfs-ceiling-src.$$
dst=/dev/shm/nfs-ceiling-dst.$$
declare -A pid=() export=()
cleanup() {
    for s in "${!pid[@]}"; do kill "${pid[$s]}" 2>/dev/null || true; done
    for s in "${!pid[@]}"; do wait "${pid[$s]}" 2>/dev/null || true; done
    [[ -f "$dir/ganesha/rpcbind.pid" ]] && kill "$(cat "$dir/ganesha/rpcbind.pid")" 2>/dev/null || true
    rm -f "$src" "$dst"
}
trap cleanup EXIT

bench_start_ganesha "$dir/ganesha"
pid[ganesha]=$ganesha_pid; export[ganesha]=$dir/ganesha/export

start_depot() { # NAME CLASSPATH [SERVER OPTIONS...]
    local name=$1 cp=$2; shift 2
    mkdir -p "$dir/$name"
    unshare -n -m bash -c "$bench_netns" depot \
        "$java" -Xms1g -Xmx1g -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED -cp "$cp" \
        io.depot.nfs.bench.NfsBenchServer --dir "$dir/$name/d" --capacity 8g "$@" >"$dir/$name/server.log" 2>&1 &
    pid[$name]=$!; export[$name]=/depot
}
start_depot depot "$cp_now"
start_depot null-quick "$cp_now" --null-read quick
start_depot null-worker "$cp_now" --null-read worker
[[ -n "$before" ]] && start_depot before "$cp_before"
servers=(ganesha depot null-quick null-worker); [[ -n "$before" ]] && servers+=(before)

in_ns() { local s=$1; shift; nsenter -t "${pid[$s]}" -n "$@"; }
url() { echo "nfs://127.0.0.1${export[$1]}/f.bin"; }
for s in "${servers[@]}"; do
    for _ in $(seq 600); do in_ns "$s" rpcinfo -T tcp 127.0.0.1 100003 3 >/dev/null 2>&1 && break; sleep 0.1; done
done
size_mib=$(( $(numfmt --from=iec "${size^^}") >> 20 ))
head -c "$(( size_mib << 20 ))" /dev/urandom >"$src"
for s in "${servers[@]}"; do in_ns "$s" nfs-cp "$src" "$(url "$s")" >/dev/null; done

echo "- Load average at start: $(bench_load)"
results=$dir/results.tsv
: >"$results"
for ((r = 0; r <= rounds; r++)); do   # round 0 warms up (JIT) and is not counted
    n=${#servers[@]}
    for ((i = 0; i < n; i++)); do
        s=${servers[$(( (i + r) % n ))]}
        rm -f "$dst"
        c0=$(cpu_ticks "${pid[$s]}"); t0=$(date +%s%N)
        task=$(in_ns "$s" perf stat -x, -e task-clock nfs-cp "$(url "$s")" "$dst" 2>&1 >/dev/null | awk -F, '$3 == "task-clock" { print $1 }')
        t1=$(date +%s%N); c1=$(cpu_ticks "${pid[$s]}")
        [[ $(stat -c %s "$dst") == $(( size_mib << 20 )) ]] || { echo "nfs-read-ceiling: short copy from $s" >&2; exit 1; }
        (( r > 0 )) && printf '%s\t%s\t%s\t%s\n' "$s" \
            "$(awk -v m="$size_mib" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", m / (ns / 1e9) }')" \
            "$(awk -v m="$size_mib" -v t="$task" 'BEGIN { printf "%.0f", t * 1000 / m }')" \
            "$(awk -v m="$size_mib" -v c=$((c1 - c0)) -v hz="$ticks_per_second" 'BEGIN { printf "%.0f", c * 1e6 / hz / m }')" >>"$results"
    done
    echo "round $r of $rounds done, load $(cut -d' ' -f1 /proc/loadavg)" >&2
done
echo
echo "| server | median MiB/s | best MiB/s | median / ganesha | best / ganesha best | client CPU us/MiB | server CPU us/MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
gmed=$(awk -F'\t' '$1 == "ganesha" { print $2 }' "$results" | sort -n | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
gbest=$(awk -F'\t' '$1 == "ganesha" { print $2 }' "$results" | sort -n | tail -n1)
med() { sort -n | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for s in "${servers[@]}"; do
    m=$(awk -F'\t' -v s="$s" '$1 == s { print $2 }' "$results" | med)
    b=$(awk -F'\t' -v s="$s" '$1 == s { print $2 }' "$results" | sort -n | tail -n1)
    cc=$(awk -F'\t' -v s="$s" '$1 == s { print $3 }' "$results" | med)
    sc=$(awk -F'\t' -v s="$s" '$1 == s { print $4 }' "$results" | med)
    awk -v s="$s" -v m="$m" -v b="$b" -v gm="$gmed" -v gb="$gbest" -v cc="$cc" -v sc="$sc" \
        'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.2f | %.0f | %.0f |\n", s, m, b, m / gm, b / gb, cc, sc }'
done
echo
echo "- $rounds rounds after a warm-up round, $size_mib MiB per copy; medians of the rounds; load average at end: $(bench_load)"
