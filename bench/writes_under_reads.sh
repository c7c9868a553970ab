#!/usr/bin/env bash
# Writes while the API is read at full speed: wrk asks for the funnel report as fast as
# it can while a client posts a 10-row touchpoint batch every 100 ms. Prints wrk's
# requests per second alone and with the writes, and how many batches landed, with
# their latency (p50, p95, max).
#
#   [DEMO_CONTACTS=N] bench/writes_under_reads.sh [SECONDS]   (default 30 s, the demo's 20,000 contacts)
#
# Needs wrk and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
cargo build --release -q -p revline
revline="${CARGO_TARGET_DIR:-target}/release/revline"
work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
db="$work/r.db"
"$revline" --db "$db" demo --contacts "${DEMO_CONTACTS:-20000}" >/dev/null
echo "pass-for-bench" | "$revline" --db "$db" user add --email bench@example.com --role editor --password-stdin >/dev/null
token="$("$revline" --db "$db" token create --email bench@example.com | tail -n1)"
"$revline" --db "$db" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    curl -sf -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/reports/funnel" && break
    sleep 0.2
done
url="http://127.0.0.1:$port/api/v1/reports/funnel"
echo "== reads alone"
wrk -t2 -c16 -d"${seconds}s" -H "Authorization: Bearer $token" "$url" | grep -E "Requests/sec|Latency"
echo "== reads with a batch every 100 ms"
wrk -t2 -c16 -d"${seconds}s" -H "Authorization: Bearer $token" "$url" | grep -E "Requests/sec|Latency" &
reads=$!
python3 - "$port" "$token" "$seconds" <<'PY'
import json, sys, time, urllib.request
port, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
url = f"http://127.0.0.1:{port}/api/v1/touchpoints"
contacts = ["bench-" + str(i) for i in range(10)]
people = [{"contact_id": c, "email": f"{c}@example.com", "created_at": "2026-01-01"} for c in contacts]
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/contacts", data=json.dumps(people).encode(),
    method="POST", headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}), timeout=30).read()
sent, landed, took = 0, 0, []
start = time.monotonic()
while time.monotonic() - start < seconds:
    due = start + sent * 0.1
    time.sleep(max(0.0, due - time.monotonic()))
    rows = [{"touchpoint_id": f"bench-{sent}-{i}", "contact_id": c, "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "channel": "webinar", "kind": "visit"} for i, c in enumerate(contacts)]
    body = json.dumps(rows).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            # Landed: every row of the batch inserted.
            ok = r.status == 200 and json.load(r)["files"][0]["inserted"] == len(rows)
    except Exception as e:
        ok = False
    took.append((time.monotonic() - t0) * 1000)
    sent += 1
    landed += ok
took.sort()
q = lambda p: took[min(len(took) - 1, int(p * len(took)))]
print(f"batches: {landed} of {sent} landed; p50 {q(0.5):.0f} ms, p95 {q(0.95):.0f} ms, max {took[-1]:.0f} ms; within 200 ms: {sum(t <= 200 for t in took)}")
PY
wait $reads
