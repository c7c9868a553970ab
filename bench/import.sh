#!/usr/bin/env bash
# The import and demo benchmarks of docs/benchmarks.md, measured side by side with the
# peers named there, on the shared synthetic funnel (1M contacts, 10M touchpoints).
#
#   bench/import.sh [CONTACTS]      (default 1000000)
#
# Needs: python3 with numpy and pyarrow (see ../shared/bench/README.md), sqlite3 and psql
# on PATH, and PostgreSQL reachable as $REVLINE_BENCH_DATABASE_URL (default: a database
# `revline_bench` on the test server, recreated here).
set -euo pipefail
cd "$(dirname "$0")/.."
contacts="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python="${PYTHON:-python3}"
admin="${REVLINE_BENCH_ADMIN_URL:-postgres://revline:revline@127.0.0.1:5432/revline}"
pg="${REVLINE_BENCH_DATABASE_URL:-postgres://revline:revline@127.0.0.1:5432/revline_bench}"

cargo build --release -q -p revline
revline="${CARGO_TARGET_DIR:-target}/release/revline"
measure() { /usr/bin/time -f "%e s, peak %M KB" "$@"; }

echo "== generating $contacts contacts"
"$python" ../shared/bench/gen_funnel.py --contacts "$contacts" --out "$work/data" >/dev/null
tp="$work/data/touchpoints.csv"
rows=$(($(wc -l < "$tp") - 1))

echo "== sqlite3 .import of touchpoints.csv into a bare table ($rows rows)"
measure sqlite3 "$work/bare.db" -cmd ".mode csv" ".import $tp touchpoints"

echo "== revline import, embedded store: contacts (--create-missing), then touchpoints"
"$revline" --db "$work/r.db" import "$work/data/contacts.csv" --create-missing >/dev/null
measure "$revline" --db "$work/r.db" import "$tp" >/dev/null

echo "== revline import, the whole folder into a new embedded store"
measure "$revline" --db "$work/full.db" import "$work/data" --create-missing >/dev/null || true

echo "== PostgreSQL"
psql "$admin" -qc "DROP DATABASE IF EXISTS revline_bench" -c "CREATE DATABASE revline_bench"
"$revline" --database-url "$pg" import "$work/data/contacts.csv" --create-missing >/dev/null
echo "-- revline import touchpoints.csv (COPY)"
measure "$revline" --database-url "$pg" import "$tp" >/dev/null
psql "$pg" -qc "CREATE TABLE bare (touchpoint_id text, contact_id text, occurred_at text, channel text, kind text, campaign text)"
echo "-- psql \\copy into a bare table"
measure psql "$pg" -qc "\\copy bare FROM '$tp' WITH (FORMAT csv, HEADER true)"

echo "== revline demo --contacts $contacts"
measure "$revline" --db "$work/demo.db" demo --contacts "$contacts" >/dev/null
