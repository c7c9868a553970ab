#!/usr/bin/env bash
# The cluster path (docs/scale.md, docs/benchmarks.md): the reports that run there
# (funnel, attribution, SLA, scorecard, cohorts, MRR, forecast and bottlenecks;
# `REPORTS="funnel sla"` picks some; a report's own flags follow it after commas:
# `REPORTS="attribution,--account-based funnel,--by,score_band"`) run on a scheduler
# and one, then two, executors on
# this machine over the snapshot files, against the same report computed in one process
# from the files. Whole processes: wall time and peak memory from /usr/bin/time for the
# client, the executors' peak resident memory from /proc. Every cluster answer is
# compared byte for byte with the in-memory one.
#
#   bench/cluster.sh WORK_DIR [RUNS]   (WORK_DIR holds r.db, e.g. from bench/scale.sh;
#                                        default 3 runs of each)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:?a WORK_DIR holding r.db (bench/scale.sh CONTACTS WORK_DIR makes one)}"
runs="${2:-3}"
read -r -a reports <<<"${REPORTS:-funnel attribution sla scorecard cohorts mrr forecast bottlenecks}"
cargo build --release -q -p revline --features cluster
revline="${CARGO_TARGET_DIR:-target}/release/revline"
db="$work/r.db"
snap="$work/snap"
period=(--from 2000-01-01 --to 2100-01-01 --as-of 2025-01-01 --format csv)
measure() {
    /usr/bin/time -o "$work/time" -f "  %e s wall, %U s user, peak %M KB" "$@" 2>"$work/note"
    cat "$work/time" >&2
}
# "attribution,--account-based" is the report and its flags; its files are named apart.
args_of() { tr ',' ' ' <<<"$1"; }
name_of() { tr ',' '_' <<<"$1"; }
for report in "${reports[@]}"; do
    # shellcheck disable=SC2046
    "$revline" --db "$db" --snapshot "$snap" report $(args_of "$report") "${period[@]}" \
        >"$work/memory-$(name_of "$report").csv" 2>/dev/null
done
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap stop EXIT
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; exit 1; }
peak_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

for executors in 1 2; do
    "$revline" cluster scheduler --addr 127.0.0.1:50150 2>"$work/scheduler.log" &
    pids+=($!)
    wait_port 50150
    nodes=()
    for i in $(seq "$executors"); do
        port=$((50150 + 2 * i))
        "$revline" cluster executor --scheduler 127.0.0.1:50150 --addr "127.0.0.1:$port" \
            --cores $((2 / executors)) --work-dir "$work/exec-$i" 2>"$work/executor-$i.log" &
        pids+=($!)
        nodes+=($!)
        wait_port "$port"
    done
    sleep 3 # the executors register with the scheduler
    for report in "${reports[@]}"; do
        for i in $(seq "$runs"); do
            echo "== report $report, in memory from the files (run $i)"
            # shellcheck disable=SC2046
            measure "$revline" --db "$db" --snapshot "$snap" report $(args_of "$report") \
                "${period[@]}" >/dev/null
            echo "== report $report on the cluster, $executors executor(s) (run $i)"
            # shellcheck disable=SC2046
            measure "$revline" --db "$db" --snapshot "$snap" report $(args_of "$report") \
                --cluster 127.0.0.1:50150 "${period[@]}" >"$work/cluster.csv"
            cmp "$work/memory-$(name_of "$report").csv" "$work/cluster.csv" ||
                { cat "$work/note"; exit 1; }
        done
    done
    for p in "${nodes[@]}"; do echo "  executor $p peak $(peak_kb "$p") KB" >&2; done
    stop
done
