#!/usr/bin/env bash
# Old commit against new: runs one of the bench scripts in another checkout (BEFORE) and in this one
# (AFTER), alternating which goes first, and compares Depot's own column across the two.
#
#   bench/compare-commits.sh --before DIR [--times 3] [--out DIR] -- SCRIPT [SCRIPT OPTIONS...]
#   e.g. git worktree add --detach /tmp/before a9a47e5
#        bench/compare-commits.sh --before /tmp/before --times 3 -- bench/iscsi-bench.sh --rounds 1 --warmup 1
#
# SCRIPT is a path relative to a checkout (bench/engine-bench.sh, bench/iscsi-bench.sh,
# bench/nfs-bench.sh); each run builds its own checkout and measures Depot beside its peer (raw file
# I/O, tgt, nfs-ganesha) as usual. Runs go B A A B B A ... so drift in the machine's load hits both
# sides alike. Every run's table is kept under --out (default bench/out/compare); the summary gives
# per workload the median of Depot's column over the runs of each side, after/before, and the
# median of depot/peer of each side (the peer runs in every run, so this ratio is less sensitive to
# the machine's state than the absolute figures). Needs what SCRIPT needs.
set -euo pipefail
cd "$(dirname "$0")/.."
after=$(pwd)
before=
times=3
out=bench/out/compare
while (($#)); do
    case "$1" in
        --before) before=$2; shift ;;
        --times) times=$2; shift ;;
        --out) out=$2; shift ;;
        --) shift; break ;;
        *) echo "compare-commits: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    esac
    shift
done
(($#)) || { echo "compare-commits: no bench script given (see the header of $0)" >&2; exit 2; }
[[ -n "$before" && -x "$before/$1" ]] || { echo "compare-commits: --before must be a checkout holding $1" >&2; exit 2; }
script=$1
shift
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/before.* "$out"/after.*

run_side() {   # side dir index
    local side=$1 dir=$2 i=$3
    echo "compare-commits: run $i of $times, $side ($(git -C "$dir" rev-parse --short HEAD))..." >&2
    (cd "$dir" && "./$script" "${@:4}") >"$out/$side.$i.md" 2>"$out/$side.$i.log" \
        || { echo "compare-commits: $side run $i failed, see $out/$side.$i.log" >&2; exit 1; }
}
for i in $(seq "$times"); do
    if (( i % 2 )); then
        run_side before "$before" "$i" "$@"; run_side after "$after" "$i" "$@"
    else
        run_side after "$after" "$i" "$@"; run_side before "$before" "$i" "$@"
    fi
done

echo "## $script $*: $(git -C "$before" rev-parse --short HEAD) (before) against $(git rev-parse --short HEAD) (after), $times runs each"
echo
python3 - "$out" "$times" <<'PY'
import re, statistics, sys
out, times = sys.argv[1], int(sys.argv[2])

def table(path):
    """workload -> (unit, depot, peer) from the first markdown table with a depot column: Depot's figure
    is the first column named depot..., its peer's the next one."""
    rows, cols = {}, None
    for line in open(path):
        if not line.startswith('|'):
            cols = None if rows else cols
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if cols is None:
            if any(c.startswith('depot') for c in cells):
                cols = cells
            continue
        if set(cells[0]) <= set('-: '):
            continue
        d = next(i for i, c in enumerate(cols) if c.startswith('depot'))   # 'depot' or 'depot IOPS'
        try:
            depot = float(cells[d].replace(',', ''))
            peer = float(cells[d + 1].replace(',', ''))
        except (ValueError, IndexError):
            continue
        unit = cells[1] if cols[1] == 'unit' else cols[d].removeprefix('depot ')
        rows[cells[0]] = (unit, depot, peer)
    return rows

runs = {side: [table(f"{out}/{side}.{i}.md") for i in range(1, times + 1)] for side in ('before', 'after')}
order = list(runs['before'][0])
print("| workload | unit | depot before | depot after | after/before | depot/peer before | depot/peer after |")
print("|---|---|---:|---:|---:|---:|---:|")
for w in order:
    b = [r[w] for r in runs['before'] if w in r]
    a = [r[w] for r in runs['after'] if w in r]
    if not a:
        continue
    med = lambda xs: statistics.median(xs)
    bd, ad = med([x[1] for x in b]), med([x[1] for x in a])
    bp = med([x[1] / x[2] for x in b if x[2]]) if any(x[2] for x in b) else float('nan')
    ap = med([x[1] / x[2] for x in a if x[2]]) if any(x[2] for x in a) else float('nan')
    print(f"| {w} | {b[0][0]} | {bd:,.0f} | {ad:,.0f} | {ad / bd:.2f} | {bp:.2f} | {ap:.2f} |")
PY
