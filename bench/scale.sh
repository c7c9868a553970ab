#!/usr/bin/env bash
# One machine at a given size (docs/scale.md, docs/benchmarks.md): the import, the
# snapshot files, and cold reports read from the store and from the files, each as a
# whole process (wall time and peak memory from /usr/bin/time).
#
#   bench/scale.sh [CONTACTS] [WORK_DIR] [RUNS]   (default 1000000; a temporary
#                                                   directory; 2 runs of each report)
#
# Needs python3 with numpy and pyarrow (see ../shared/bench/README.md). A WORK_DIR that
# already holds data/ and r.db from an earlier run is measured again without
# generating or importing.
set -euo pipefail
cd "$(dirname "$0")/.."
contacts="${1:-1000000}"
work="${2:-}"
runs="${3:-2}"
if [ -z "$work" ]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi
python="${PYTHON:-python3}"
cargo build --release -q -p revline
revline="${CARGO_TARGET_DIR:-target}/release/revline"
# The command's own stderr goes to $work/note; the figures are printed.
measure() {
    /usr/bin/time -o "$work/time" -f "  %e s wall, %U s user, peak %M KB" "$@" 2>"$work/note"
    cat "$work/time" >&2
}
period=(--from 2000-01-01 --to 2100-01-01 --as-of 2025-01-01 --format csv)

if [ ! -f "$work/r.db" ]; then
    echo "== generating $contacts contacts"
    measure "$python" ../shared/bench/gen_funnel.py --contacts "$contacts" --out "$work/data" >/dev/null
    echo "== revline import (SQLite)"
    measure "$revline" --db "$work/r.db" import "$work/data" --create-missing >/dev/null
fi
echo "== store file: $(du -h "$work/r.db" | cut -f1)"
echo "== revline snapshot write (8 shards)"
rm -rf "$work/snap"
measure "$revline" --db "$work/r.db" snapshot write "$work/snap"
for report in funnel sla attribution; do
    for i in $(seq "$runs"); do
        echo "== report $report, cold, from the store (run $i)"
        measure "$revline" --db "$work/r.db" report "$report" "${period[@]}" >/dev/null
        echo "== report $report, cold, from the snapshot files (run $i)"
        measure "$revline" --db "$work/r.db" --snapshot "$work/snap" report "$report" "${period[@]}" \
            >/dev/null
        grep -q "snapshot files .* (store version" "$work/note" || { cat "$work/note"; exit 1; }
    done
done
