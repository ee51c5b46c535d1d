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

. "$(dirname "$0")/lib.sh"   # and into the repository root ($repo)

echo "building the engine and its test classes..." >&2
classpath=$(bench_classpath volume-engine)
bench_java

dir=bench/out/scratch
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [[ "${args[i]}" == --dir ]] && dir="${args[i + 1]}"
done
mkdir -p "$dir"

bench_machine "$dir"
echo "- Load average at start: $(bench_load)"

start=$(date +%s)
# -Xmx2g as the tests use; AlwaysPreTouch keeps heap growth out of the first rounds.
# shellcheck disable=SC2086
"$java" -Xms2g -Xmx2g -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED ${BENCH_JVM_OPTS:-} \
    -cp "$classpath" io.depot.engine.bench.EngineBench --dir "$dir" "$@"
echo
echo "- Load average at end: $(bench_load); wall time $(( $(date +%s) - start )) s"
