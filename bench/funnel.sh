#!/usr/bin/env bash
# The funnel beside DuckDB on the shared synthetic funnel: the same numbers, and the
# time of a cold `revline report funnel` against DuckDB's load + funnel.
#
#   bench/funnel.sh [CONTACTS]      (default 1000000)
#
# Needs python3 with numpy, pyarrow and duckdb (see ../shared/bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
contacts="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python="${PYTHON:-python3}"
cargo build --release -q -p revline
revline="${CARGO_TARGET_DIR:-target}/release/revline"

"$python" ../shared/bench/gen_funnel.py --contacts "$contacts" --out "$work/data" >/dev/null
echo "== DuckDB (2 threads)"
"$python" ../shared/bench/duckdb_reference.py "$work/data" --threads 2 > "$work/duckdb.json"
"$python" -c "import json,sys; d=json.load(open(sys.argv[1])); print('load + funnel:', d['seconds']['load'] + d['seconds']['funnel'], 's'); [print(','.join(str(x) for x in row)) for row in d['funnel']]" "$work/duckdb.json"
echo "== Revline: import, then a cold report"
"$revline" --db "$work/r.db" import "$work/data" --create-missing >/dev/null || true
/usr/bin/time -f "report funnel: %e s, peak %M KB" "$revline" --db "$work/r.db" report funnel \
    --from 2000-01-01 --to 2100-01-01 --as-of 2025-01-01 --format csv | cut -d, -f1,2,3,7
echo "== warm funnel (divan)"
cargo bench -q -p revline-engine --bench funnel
