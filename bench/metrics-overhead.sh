#!/usr/bin/env bash
# What the per-volume metrics cost on the engine's hot path: 4 KiB reads and overwrites with the
# observer off and with the Micrometer meters, interleaved rounds, medians (docs/benchmarks.md).
#
#   bench/metrics-overhead.sh [DIR] [ROUNDS] [OPS]     (defaults: bench/out/metrics-scratch 9 200000)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
mvn_quiet() { ./mvnw -q -o "$@" 2>/dev/null || ./mvnw -q "$@"; }
echo "building the appliance and its test classes..." >&2
mvn_quiet -DskipTests test-compile -pl appliance -am >&2
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn_quiet dependency:build-classpath -pl appliance -Dmdep.outputFile="$cp_file" >&2
classpath="appliance/target/test-classes:appliance/target/classes:volume-engine/target/classes:$(cat "$cp_file")"
java_home=$(./mvnw -v 2>/dev/null | sed -n 's/^Java version: .*runtime: //p' | head -n1)
echo "- CPUs: $(nproc); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$java_home/bin/java" -Xms1g -Xmx1g --enable-native-access=ALL-UNNAMED -cp "$classpath" \
    io.depot.appliance.metrics.MetricsOverheadBench "$@"
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
