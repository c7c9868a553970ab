#!/usr/bin/env bash
# Revline's exact Markov attribution beside the ChannelAttribution package (PyPI
# `channelattribution`, GPL: run here as an outside tool only, never linked or copied),
# on the same aggregated path file, and the distinct-paths step beside DuckDB's.
#
#   bench/attribution.sh [CONTACTS]      (default 1000000)
#
# Needs python3 with numpy, pyarrow, duckdb, pandas, matplotlib and channelattribution
# (PYTHON=path/to/venv/bin/python). Prints per-channel conversions of both, their
# difference as a share of all conversions, and the whole-process times.
set -euo pipefail
cd "$(dirname "$0")/.."
contacts="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python="${PYTHON:-python3}"
cargo build --release -q -p revline
revline="${CARGO_TARGET_DIR:-target}/release/revline"

cat > "$work/ca.py" <<'PY'
import sys, time
t0 = time.perf_counter()
import pandas as pd
from ChannelAttribution import markov_model
# ChannelAttribution's own sample separates with semicolons, DuckDB's file with commas.
sep = ";" if ";" in open(sys.argv[1]).readline() else ","
data = pd.read_csv(sys.argv[1], sep=sep)
res = markov_model(data, "path", "total_conversions", var_null="total_null", order=1,
                   verbose=False, flg_pro=False)
res.to_csv(sys.argv[2], index=False)
PY
cat > "$work/compare.py" <<'PY'
import csv, sys
ca = {r["channel_name"]: float(r["total_conversions"]) for r in csv.DictReader(open(sys.argv[1]))}
rl = {r["channel"]: float(r["conversions"]) for r in csv.DictReader(open(sys.argv[2]))}
total = sum(rl.values())
worst = 0.0
for ch in sorted(ca):
    d = (rl.get(ch, 0.0) - ca[ch]) / total
    worst = max(worst, abs(d))
    print(f"{ch:<16} ChannelAttribution {ca[ch]:10.2f}  Revline {rl.get(ch, 0.0):10.2f}  {d * 100:+.3f}% of all")
print(f"largest difference: {worst * 100:.3f}% of all {total:.0f} conversions")
PY

echo "== ChannelAttribution's bundled sample (Data.csv from its source package)"
"$python" -m pip download -q --no-deps --no-binary :all: -d "$work/sdist" channelattribution
tar xzf "$work"/sdist/channelattribution-*.tar.gz -C "$work/sdist"
sample="$(find "$work/sdist" -name Data.csv | head -1)"
/usr/bin/time -f "%e s, peak %M KB" "$python" "$work/ca.py" "$sample" "$work/ca.csv"
/usr/bin/time -f "%e s, peak %M KB" "$revline" --db "$work/empty.db" report attribution \
    --paths "$sample" --model markov --format csv > "$work/revline.csv"
"$python" "$work/compare.py" "$work/ca.csv" "$work/revline.csv"

"$python" ../shared/bench/gen_funnel.py --contacts "$contacts" --out "$work/data" >/dev/null
mkdir -p "$work/duck"
echo "== DuckDB (2 threads): paths step, and the path file both tools read"
"$python" ../shared/bench/duckdb_reference.py "$work/data" --threads 2 --save "$work/duck" > "$work/duck.json"
"$python" -c "import json,sys; d=json.load(open(sys.argv[1])); print('paths step:', d['seconds']['paths'], 's;', d['paths'])" "$work/duck.json"

echo "== ChannelAttribution markov_model, order 1 (simulated), whole process"
/usr/bin/time -f "%e s, peak %M KB" "$python" "$work/ca.py" "$work/duck/paths.csv" "$work/ca.csv"
echo "== revline report attribution --paths, markov order 1 (exact), whole process"
/usr/bin/time -f "%e s, peak %M KB" "$revline" --db "$work/empty.db" report attribution \
    --paths "$work/duck/paths.csv" --model markov --format csv > "$work/revline.csv"
"$python" "$work/compare.py" "$work/ca.csv" "$work/revline.csv"
echo "== distinct paths on a warm snapshot (divan)"
REVLINE_BENCH_DATA="$work/data" cargo bench -q -p revline-engine --bench paths
