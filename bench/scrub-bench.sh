#!/usr/bin/env bash
# Scrub benchmark: how fast a scrub reads and checks a pool, and what a capped scrub leaves to the
# foreground (4 KiB random overwrites alone, then during a scrub at the cap; rounds interleaved).
#
#   bench/scrub-bench.sh [--dir DIR] [--size BYTES] [--cap BYTES_PER_S] [--rounds 5] [--seconds 3] [--threads 2]
#
# DIR (default: bench/out/scrub, ignored by git) must be on the disk you want to measure (about 2x
# --size free). Prints the machine facts and the medians on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"   # and into the repository root ($repo)
echo "building the engine and its test classes..." >&2
classpath=$(bench_classpath volume-engine)
bench_java
dir=bench/out/scrub
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [[ "${args[i]}" == --dir ]] && dir="${args[i + 1]}"
done
mkdir -p "$dir"
bench_machine "$dir"
echo "- Load average at start: $(bench_load)"
start=$(date +%s)
# shellcheck disable=SC2086
"$java" -Xms1g -Xmx1g ${BENCH_JVM_OPTS:-} -cp "$classpath" io.depot.engine.bench.ScrubBench --dir "$dir" "$@"
echo
echo "- Load average at end: $(bench_load); wall time $(( $(date +%s) - start )) s"
