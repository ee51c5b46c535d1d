# Shared by the bench scripts, sourced (not run), which takes them to the repository root ($repo):
# sizes, building a module's classpath, the JDK ./mvnw uses, the machine facts that head every
# table, the 4 KiB stride, qemu-img bench's result, nfs-ganesha in its own network namespace, and
# the awk functions of the result tables. Messages are prefixed with the script's name.

bench=$(basename "$0" .sh)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# The options the iSCSI and NFS benches share: bench_defaults DIR sets their defaults (DIR: where
# the scratch goes), bench_option OPTION VALUE sets one, and stops the script (exit 2) at an option
# it does not know.
bench_defaults() {
    dir=$1 rounds=5 warmup=1 size=1g count_4k=40000 count_1m=1024 only=
}
bench_option() {
    case "$1" in
        --dir) dir=$2 ;;
        --rounds) rounds=$2 ;;
        --warmup) warmup=$2 ;;
        --size) size=$2 ;;
        --count-4k) count_4k=$2 ;;
        --count-1m) count_1m=$2 ;;
        --only) only=$2 ;;
        *) echo "$bench: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    esac
}

# bench_bytes SIZE: SIZE (4k, 1m, 1g, or plain bytes) in bytes.
bench_bytes() {
    local t=${1,,}
    case "$t" in
        *k) echo $(( ${t%k} << 10 )) ;;
        *m) echo $(( ${t%m} << 20 )) ;;
        *g) echo $(( ${t%g} << 30 )) ;;
        *) echo "$t" ;;
    esac
}

# bench_mib_size SIZE: SIZE in bytes, which must be a whole number of MiB (else exit 2).
bench_mib_size() {
    local b
    b=$(bench_bytes "$1")
    if (( b % (1 << 20) != 0 )); then
        echo "$bench: --size must be a whole number of MiB" >&2
        exit 2
    fi
    echo "$b"
}

# Maven in offline mode first (the usual case once dependencies are cached), online otherwise.
mvn_quiet() { ./mvnw -q -o "$@" 2>/dev/null || ./mvnw -q "$@"; }

# bench_classpath MODULE [CHECKOUT]: builds MODULE of CHECKOUT (default: this one) with its test
# classes and prints the classpath of its tests, absolute, the engine's classes included.
bench_classpath() {
    local module=$1 root=${2:-$repo} cp_file engine=
    cp_file=$(mktemp)
    (cd "$root" && mvn_quiet -DskipTests test-compile dependency:build-classpath -pl "$module" -am \
        -Dmdep.outputFile="$cp_file" >&2) || { rm -f "$cp_file"; return 1; }
    [[ "$module" != volume-engine ]] && engine="$root/volume-engine/target/classes:"
    echo "$root/$module/target/test-classes:$root/$module/target/classes:$engine$(cat "$cp_file")"
    rm -f "$cp_file"
}

# bench_prepare MODULE SUBDIR...: what the iSCSI and NFS benches do before starting servers:
# size_bytes from --size, MODULE built (classpath, java, java_home), and DIR made absolute and
# holding each SUBDIR fresh and empty.
bench_prepare() {
    local module=$1 sub
    shift
    size_bytes=$(bench_mib_size "$size")
    echo "building $module and its test classes..." >&2
    classpath=$(bench_classpath "$module")
    bench_java
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    for sub in "$@"; do
        rm -rf "${dir:?}/$sub"
        mkdir -p "$dir/$sub"
    done
}

# bench_java: sets java_home and java to the JDK ./mvnw uses (it picks one >= 21 by itself).
bench_java() {
    java_home=$(./mvnw --print-java-home 2>/dev/null | tail -n1)
    if [[ -z "$java_home" || ! -x "$java_home/bin/java" ]]; then
        echo "$bench: cannot tell which JDK ./mvnw uses (./mvnw --print-java-home said '$java_home')" >&2
        exit 1
    fi
    java="$java_home/bin/java"
}

# bench_machine DIR: the "## Machine" heading and the facts every table carries (CPUs, memory,
# the disk DIR is on, kernel, JDK); each script adds its own lines and the load average after.
bench_machine() {
    echo "## Machine"
    echo
    echo "- CPUs (nproc): $(nproc); $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
    echo "- Memory: $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
    echo "- Disk for $1: $(df -h "$1" | awk 'NR==2 {print $1 " (" $2 ", " $4 " free)"}'), filesystem $(df -T "$1" | awk 'NR==2 {print $2}')"
    echo "- Kernel: $(uname -sr)"
    echo "- JDK: $("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p') ($java_home)"
}

bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_stride_4k SIZE_BYTES: the step of the scattered 4 KiB runs, in bytes: about 0.618 of the
# size, odd in 4 KiB blocks and coprime with the block count, so one pass touches every block once
# in a far-jumping order.
bench_stride_4k() {
    local blocks=$(( $1 / 4096 )) stride a b t
    stride=$(( blocks * 618 / 1000 | 1 ))
    while :; do
        a=$stride; b=$blocks
        while (( b )); do t=$(( a % b )); a=$b; b=$t; done
        (( a == 1 )) && break
        stride=$(( stride + 2 ))
    done
    echo $(( stride * 4096 ))
}

# bench_qemu URL COUNT DEPTH SIZE STEP w|r [PREFIX...]: one qemu-img bench run on URL (through
# PREFIX, e.g. nsenter into a namespace); prints "IOPS MiB/s REQUESTS".
bench_qemu() {
    local url=$1 count=$2 depth=$3 bs=$4 step=$5 write=$6 out secs
    shift 6
    local -a args=(-f raw -c "$count" -d "$depth" -s "$bs" -S "$step" -o 0 --pattern=165)
    [[ "$write" == w ]] && args+=(-w)
    out=$("$@" qemu-img bench "${args[@]}" "$url" 2>&1) || { echo "$bench: qemu-img bench $url failed: $out" >&2; return 1; }
    secs=$(sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p' <<<"$out")
    [[ -n "$secs" ]] || { echo "$bench: no timing from qemu-img bench: $out" >&2; return 1; }
    awk -v n="$count" -v s="$secs" -v b="$(bench_bytes "$bs")" 'BEGIN { printf "%.0f %.1f %d\n", n / s, n * b / s / 1048576, n }'
}

# cpu_ticks PID: CPU time (user + system, all threads) a process used, in clock ticks. On a shared
# machine CPU per request says more about efficiency than throughput does.
ticks_per_second=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# bench_round R PEER: sets order for round R (PEER first in odd rounds, depot first in even ones,
# so drift in the machine's load hits both alike) and reports the round on stderr.
bench_round() {
    if (( $1 % 2 )); then order=("$2" depot); else order=(depot "$2"); fi
    echo "round $1 of $rounds$( (($1 < 1)) && echo ' (warm-up)'): order ${order[*]}, load $(cut -d' ' -f1 /proc/loadavg)" >&2
}

# bench_measure WORKLOAD SIDE R UNIT: runs `run_workload WORKLOAD SIDE` (which prints "RATE MIB/S
# REQUESTS"), reports it with the CPU its server (pid[SIDE]) used per request, and appends it to
# $results unless round R is a warm-up (R < 1).
bench_measure() {
    local w=$1 side=$2 r=$3 unit=$4 before after res rate mibs ops cpu_us
    before=$(cpu_ticks "${pid[$side]}")
    res=$(run_workload "$w" "$side")
    after=$(cpu_ticks "${pid[$side]}")
    read -r rate mibs ops <<<"$res"
    cpu_us=$(( (after - before) * 1000000 / ticks_per_second / ops ))
    echo "  $w on $side: $rate $unit, $mibs MiB/s, server CPU $cpu_us us per request" >&2
    if ((r >= 1)); then
        printf '%s\t%s\t%s\t%s\t%s\n' "$w" "$side" "$rate" "$mibs" "$cpu_us" >>"$results"
    fi
}

# The shell a server runs in inside its own network namespace (unshare -n -m bash -c "$bench_netns"
# NAME COMMAND...): loopback up, a private /run (so the system rpcbind's socket, if any, is out of
# sight), then COMMAND exec'd in place, so $! is the server's own pid.
# shellcheck disable=SC2016
bench_netns='ip link set lo up && mount -t tmpfs tmpfs /run && exec "$@"'

# bench_start_ganesha DIR: nfs-ganesha (VFS FSAL, export DIR/export as /x, READ and WRITE up to
# 1 MiB as Depot's rtmax/wtmax) with an rpcbind in its own network namespace; sets ganesha_pid.
# Logs, pid files and the configuration go to DIR.
#
# bench_start_ganesha DIR nlm [ENTER...]: the same with ganesha's lock manager (NLM) on and an
# rpc.statd beside it (monitored locks need one; its state goes to DIR/statd), in the namespace
# ENTER... gives (default: a private one, `unshare -n -m`; e.g. `ip netns exec NAME unshare -m`).
bench_start_ganesha() {
    local dir=$1 nlm=false statd=:
    if [[ "${2-}" == nlm ]]; then
        nlm=true
        # shellcheck disable=SC2016
        statd='mkdir -p "$0/statd/sm" "$0/statd/sm.bak" && rpc.statd -F --no-notify -P "$0/statd" >"$0/statd.log" 2>&1 & echo $! >"$0/statd.pid"'
    fi
    local -a enter=(unshare -n -m)
    (($# > 2)) && enter=("${@:3}")
    mkdir -p "$dir/export"
    cat >"$dir/ganesha.conf" <<EOF
# Bind_addr is left out: ganesha resolves it with AI_ADDRCONFIG, which finds nothing when loopback
# is the only interface. The namespace has nothing but loopback anyway.
NFS_CORE_PARAM { Protocols = 3; NFS_Port = 2049; MNT_Port = 20048; Enable_NLM = $nlm; Enable_RQUOTA = false; }
# A fresh server has nothing to reclaim: no grace period (its locks would be DENIED_GRACE_PERIOD).
NFSV4 { Graceless = true; }
EXPORT {
    Export_Id = 1; Path = $dir/export; Pseudo = /x; Access_Type = RW; Squash = No_Root_Squash;
    Protocols = 3; MaxRead = 1048576; MaxWrite = 1048576; PrefRead = 1048576; PrefWrite = 1048576;
    FSAL { Name = VFS; }
}
EOF
    # shellcheck disable=SC2016
    "${enter[@]}" bash -c 'ip link set lo up && mount -t tmpfs tmpfs /run || exit 1
        rpcbind -f -w & echo $! >"$0/rpcbind.pid"
        for _ in $(seq 50); do [[ -S /run/rpcbind.sock ]] && break; sleep 0.1; done
        '"$statd"'
        exec ganesha.nfsd -F -f "$0/ganesha.conf" -L "$0/ganesha.log" -p "$0/ganesha.pid"' "$dir" \
        >"$dir/stdout.log" 2>&1 &
    ganesha_pid=$!
}

# bench_stop_statd DIR: stops the rpc.statd that bench_start_ganesha DIR nlm started. By its state
# directory, not by statd.pid: rpc.statd forks once it has registered, even with -F, so the pid
# the shell saw is gone, and the one left would keep the dirsync file system busy at unmount.
bench_stop_statd() {
    local match="rpc.statd -F --no-notify -P $1/statd\$"
    pkill -f -- "$match" 2>/dev/null || true
    for _ in $(seq 50); do pgrep -f -- "$match" >/dev/null || return 0; sleep 0.1; done
    pkill -KILL -f -- "$match" 2>/dev/null || true
}

# bench_table_head PEER [units]: the heading of a table of bench_row rows; "units" when the rows
# carry a unit column (else the rates are IOPS).
bench_table_head() {
    local p=$1
    if [[ "${2-}" == units ]]; then
        echo "| workload | unit | depot | $p | depot MiB/s | $p MiB/s | depot/$p | target | met | depot min-max | $p min-max | depot CPU us/req | $p CPU us/req |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|"
    else
        echo "| workload | depot IOPS | $p IOPS | depot MiB/s | $p MiB/s | depot/$p | target | met | depot IOPS min-max | $p IOPS min-max | depot CPU us/req | $p CPU us/req |"
        echo "|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|"
    fi
}

# bench_row WORKLOAD PEER GOAL [UNIT]: the table row of WORKLOAD from $results: medians of depot's
# and PEER's rate, MiB/s and CPU per request, depot/PEER against GOAL (">= 1.5", or "<= 1.0" for a
# latency, where lower is better), min-max of the
# rates. With UNIT, a unit column follows the workload (and ops/s rows show no MiB/s).
bench_row() {
    awk -F'\t' -v w="$1" -v peer="$2" -v goal="$3" -v u="${4-}" '
        function median(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        function fmt(x,   s) { s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
        $1 == w && $2 == "depot" { di[++nd] = $3; dm[nd] = $4; dc[nd] = $5 }
        $1 == w && $2 == peer { pi[++np] = $3; pm[np] = $4; pc[np] = $5 }
        END {
            if (nd == 0 || np == 0) exit
            mdi = median(di, nd); mpi = median(pi, np); mdm = median(dm, nd); mpm = median(pm, np); mdc = median(dc, nd); mpc = median(pc, np)
            ratio = mdi / mpi
            split(goal, g, " "); met = (g[1] == "<=" ? ratio <= g[2] : ratio >= g[2]) ? "yes" : "**no**"
            mibd = u == "ops/s" || u == "us" ? "-" : sprintf("%.1f", mdm); mibp = u == "ops/s" || u == "us" ? "-" : sprintf("%.1f", mpm)
            printf "| %s |%s %s | %s | %s | %s | %.2f | %s | %s | %s-%s | %s-%s | %s | %s |\n", w, u == "" ? "" : " " u " |", fmt(mdi), fmt(mpi), mibd, mibp, ratio, goal, met, fmt(di[1]), fmt(di[nd]), fmt(pi[1]), fmt(pi[np]), fmt(mdc), fmt(mpc)
        }' "$results"
}

# ---- equal durability: an ext4 mounted dirsync ------------------------------------------------
# RFC 1813 wants a namespace change (CREATE, REMOVE, RENAME, ...) on stable storage before the
# reply. Depot syncs it; ganesha's VFS FSAL leaves it to the file system, which on a default mount
# acknowledges from the page cache. On ext4 mounted dirsync every directory change is synchronous,
# so ganesha then keeps the same promise. bench_dirsync_mount DIR SIZE makes DIR/ext4.img (sparse,
# SIZE), formats it ext4, loop-mounts it dirsync on DIR/fs and prints DIR/fs; bench_dirsync_umount
# DIR undoes it (call it from the script's EXIT trap, after the servers are stopped). Needs root,
# e2fsprogs (mkfs.ext4) and util-linux (losetup, mount).
bench_dirsync_mount() {
    local d=$1 size=$2 tool
    for tool in mkfs.ext4 losetup mount umount; do
        command -v "$tool" >/dev/null || { echo "$bench: $tool not found: apt-get install -y e2fsprogs util-linux mount" >&2; return 1; }
    done
    bench_dirsync_umount "$d"
    mkdir -p "$d/fs"
    truncate -s "$size" "$d/ext4.img"
    mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$d/ext4.img" >&2 || { echo "$bench: mkfs.ext4 $d/ext4.img failed" >&2; return 1; }
    mount -o loop,dirsync "$d/ext4.img" "$d/fs" || { echo "$bench: cannot loop-mount $d/ext4.img (needs root and /dev/loop*)" >&2; return 1; }
    echo "$d/fs"
}
bench_dirsync_umount() {
    local d=$1
    if mountpoint -q "$d/fs" 2>/dev/null; then
        umount "$d/fs" 2>/dev/null || umount -l "$d/fs" || echo "$bench: could not unmount $d/fs" >&2
    fi
    rm -f "$d/ext4.img"
    rmdir "$d/fs" 2>/dev/null || true
}
