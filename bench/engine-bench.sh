#!/usr/bin/env bash
# Engine benchmark: Depot volumes side by side with raw positional I/O on a plain file, same disk.
#
#   bench/engine-bench.sh [--dir DIR] [--rounds 5] [--warmup 1] [--threads 4] [--size 1g]
#                         [--ops 32768] [--snapshots 50] [--seed 42] [--only REGEX] [--keep] [--controls]
#                         [--cluster-size 64k] [--cold-data] [--no-prime]
#
# DIR (default: bench/out/scratch, ignored by git) must be on the disk you want to measure; it needs
# free space of about 35x --size (the sparse data file may grow to ~32 GiB for --size 1g: partial writes use clean clusters before freed ones). Builds the engine, then prints the machine facts and a markdown
# table on stdout (progress on stderr). Extra JVM flags go in BENCH_JVM_OPTS, e.g. a JFR recording:
#   BENCH_JVM_OPTS="-XX:StartFlightRecording=filename=/tmp/bench.jfr,settings=profile" bench/engine-bench.sh
# --cluster-size sets the cluster size of the pools (default 64k). --controls adds raw-file-only controls,
# among them a replay of the copy-on-write rows' data-file syscalls on a growing file (FreshSpaceReplay).
# Before the oldest-snapshot rows both sides are read once, untimed, so both read from the page cache;
# --no-prime skips that pass, --cold-data drops the pool's data file from the page cache first (the
# slow case of run 6). Per-round storage reads and mapping-cache counts of the read rows go to stderr.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# Maven in offline mode first (the usual case once dependencies are cached), online otherwise.
mvn_quiet() { ./mvnw -q -o "$@" 2>/dev/null || ./mvnw -q "$@"; }

echo "building the engine and its test classes..." >&2
mvn_quiet -DskipTests package -pl volume-engine -am >&2
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn_quiet dependency:build-classpath -pl volume-engine -Dmdep.outputFile="$cp_file" >&2
classpath="volume-engine/target/test-classes:volume-engine/target/classes:$(cat "$cp_file")"

# The JDK ./mvnw chose (it picks one >= 21 by itself): Maven reports its runtime.
java_home=$(./mvnw -v 2>/dev/null | sed -n 's/^Java version: .*runtime: //p' | head -n1)
if [[ -z "$java_home" || ! -x "$java_home/bin/java" ]]; then
    echo "engine-bench: cannot tell which JDK ./mvnw uses (./mvnw -v said no runtime)" >&2
    exit 1
fi
java="$java_home/bin/java"

dir=bench/out/scratch
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [[ "${args[i]}" == --dir ]] && dir="${args[i + 1]}"
done
mkdir -p "$dir"

echo "## Machine"
echo
echo "- CPUs (nproc): $(nproc); $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "- Memory: $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
echo "- Disk for $dir: $(df -h "$dir" | awk 'NR==2 {print $1 " (" $2 ", " $4 " free)"}'), filesystem $(df -T "$dir" | awk 'NR==2 {print $2}')"
echo "- Kernel: $(uname -sr)"
echo "- JDK: $("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p') ($java_home)"
echo "- Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

start=$(date +%s)
# -Xmx2g as the tests use; AlwaysPreTouch keeps heap growth out of the first rounds.
# shellcheck disable=SC2086
"$java" -Xms2g -Xmx2g -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED ${BENCH_JVM_OPTS:-} \
    -cp "$classpath" io.depot.engine.bench.EngineBench --dir "$dir" "$@"
echo
echo "- Load average at end: $(cut -d' ' -f1-3 /proc/loadavg); wall time $(( $(date +%s) - start )) s"
