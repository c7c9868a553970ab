#!/usr/bin/env bash
# Two servers on one PostgreSQL database: how long after a batch lands on the first
# server the second one counts it. Posts one new lead (a contact and its lead stage)
# to server A every 200 ms and polls server B's funnel until it counts it; prints the
# delay's p50, p95 and max over the batches.
#
#   DATABASE_URL=postgres://... [DEMO_CONTACTS=N] bench/two_servers.sh [BATCHES]
#
# DATABASE_URL names an empty database the script may fill (default 50 batches, the
# demo's 20,000 contacts). Needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."
batches="${1:-50}"
: "${DATABASE_URL:?name an empty PostgreSQL database}"
cargo build --release -q -p revline
revline="${CARGO_TARGET_DIR:-target}/release/revline"
work="$(mktemp -d)"
a=$((20000 + RANDOM % 10000))
b=$((30000 + RANDOM % 10000))
"$revline" --database-url "$DATABASE_URL" demo --contacts "${DEMO_CONTACTS:-20000}" >/dev/null
echo "pass-for-bench" | "$revline" --database-url "$DATABASE_URL" user add --email bench@example.com --role editor --password-stdin >/dev/null
token="$("$revline" --database-url "$DATABASE_URL" token create --email bench@example.com | tail -n1)"
"$revline" --database-url "$DATABASE_URL" serve --addr "127.0.0.1:$a" >"$work/a.log" 2>&1 &
one=$!
"$revline" --database-url "$DATABASE_URL" serve --addr "127.0.0.1:$b" >"$work/b.log" 2>&1 &
two=$!
trap 'kill $one $two 2>/dev/null; rm -rf "$work"' EXIT
for port in $a $b; do
    for _ in $(seq 300); do
        curl -sf -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/reports/funnel" && break
        sleep 0.2
    done
done
python3 - "$a" "$b" "$token" "$batches" <<'PY'
import json, sys, time, urllib.request
a, b, token, batches = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
def leads(port):
    url = f"http://127.0.0.1:{port}/api/v1/reports/funnel?from=2000-01-01"
    with urllib.request.urlopen(urllib.request.Request(url, headers=auth), timeout=30) as r:
        return json.load(r)["stages"][0]["reached"]
def post(kind, rows):
    req = urllib.request.Request(f"http://127.0.0.1:{a}/api/v1/{kind}", data=json.dumps(rows).encode(), method="POST", headers=auth)
    urllib.request.urlopen(req, timeout=30).read()
delays = []
for i in range(batches):
    want = leads(b) + 1
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400))
    post("contacts", [{"contact_id": f"two-{i}", "created_at": when}])
    t0 = time.monotonic()
    post("stages", [{"contact_id": f"two-{i}", "stage": "lead", "occurred_at": when}])
    while leads(b) != want:
        time.sleep(0.002)
    delays.append((time.monotonic() - t0) * 1000)
    time.sleep(0.2)
delays.sort()
q = lambda p: delays[min(len(delays) - 1, int(p * len(delays)))]
print(f"{batches} leads posted to A, counted by B after (ms, from sending the stage): p50 {q(0.5):.0f}, p95 {q(0.95):.0f}, max {delays[-1]:.0f}")
PY
