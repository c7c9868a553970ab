#!/usr/bin/env bash
# A first import of the synthetic funnel into PostgreSQL, then the same folder again
# (every row unchanged): whole-process wall time and peak memory of each.
#
#   PG_SERVER=postgres://USER@HOST/ bench/pg_reimport.sh [CONTACTS]   (default 1000000)
#
# DATA=DIR reuses a folder gen_funnel.py wrote. The database `revline_reimport` is
# dropped and made afresh on that server.
set -euo pipefail
cd "$(dirname "$0")/.."
contacts="${1:-1000000}"
server="${PG_SERVER:?set PG_SERVER to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/}"
python="${PYTHON:-python3}"
cargo build --release -q -p revline
revline="${CARGO_TARGET_DIR:-target}/release/revline"
data="${DATA:-}"
if [ -z "$data" ]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    data="$work/data"
    "$python" ../shared/bench/gen_funnel.py --contacts "$contacts" --out "$data" >/dev/null
fi
db="${server%/}/revline_reimport"
psql "${server%/}/postgres" -qc "DROP DATABASE IF EXISTS revline_reimport" -c "CREATE DATABASE revline_reimport"
summary="$(mktemp)"
for run in first again; do
    # Exit code 3 (some rows refused) is the generator's deliberate bad rows.
    /usr/bin/time -f "$run import: %e s wall, peak %M KB" \
        "$revline" --database-url "$db" import "$data" --create-missing --format json >"$summary" || [ $? -eq 3 ]
    "$python" -c "import json,sys; s=json.load(open(sys.argv[1])); print(' '.join(f\"{f['kind']}: +{f['inserted']} ~{f['updated']} ={f['unchanged']}\" for f in s['files']))" "$summary"
done
rm -f "$summary"
