#!/bin/sh
# bench-disclosure.sh BUILD: the disclosure-publisher's figures
# (make bench-disclosure), each beside a baseline measured in the same run:
#   - events/s applied to the views: a fresh qf-disclosure catches up, through
#     the real bus (replay pages), with N cases' events (default 100,000
#     cases, about 3.3 events each) written by bench/disclosure_fill;
#   - public case-list requests/s and p99 latency with those N cases stored
#     (wrk, keep-alive), beside a static asset served from memory by the
#     same server (the HTTP stack's own cost: /healthz is not used because
#     qf_http answers its built-in routes with Connection: close), plus a
#     filtered deep page and HTML pages.
# Not a test: nothing is asserted. DISCLOSURE_BENCH_CASES=N,
# DISCLOSURE_BENCH_SECONDS=S (wrk duration), DISCLOSURE_BENCH_CONNS=C.
set -eu
BUILD=${1:-build}
BIN=$BUILD/bin
FILL=$BUILD/bench/disclosure_fill
N=${DISCLOSURE_BENCH_CASES:-100000}
SECS=${DISCLOSURE_BENCH_SECONDS:-10}
CONNS=${DISCLOSURE_BENCH_CONNS:-32}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for b in "$BIN/qf-disclosure" "$FILL"; do
	[ -x "$b" ] || { echo "bench-disclosure: $b not built" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "bench-disclosure: wrk missing (tools/install-deps.sh bench)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/qf-bench-disclosure-XXXXXX)
FPID=""
DPID=""
cleanup() {
	set +e
	if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
	exec 3>&- 2>/dev/null
	if [ -n "$FPID" ]; then kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { echo "$2 $1" | awk '{printf "%.2f", $1 - $2}'; }
rate() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.0f", $1 / $2; else print "inf" }'; }

IP=$(port); IR=$(port); RP=$(port); RR=$(port); HP=$(port); DP=$(port); DR=$(port)
cp "$ROOT/config/community.cfg" "$tmp/"

echo "bench-disclosure: writing $N cases' events (intake + router outboxes)..."
mkfifo "$tmp/ctl"
"$FILL" --dir "$tmp/src" --cases "$N" --intake "tcp://127.0.0.1:$IP,tcp://127.0.0.1:$IR" \
	--router "tcp://127.0.0.1:$RP,tcp://127.0.0.1:$RR" <"$tmp/ctl" >"$tmp/fill.out" \
	2>"$tmp/fill.err" &
FPID=$!
exec 3>"$tmp/ctl"
while ! grep -q '^ready' "$tmp/fill.out"; do
	kill -0 "$FPID" 2>/dev/null || { cat "$tmp/fill.err" >&2; exit 1; }
	sleep 0.2
done
EVENTS=$(awk '/^ready/ {print $2}' "$tmp/fill.out")

cat >"$tmp/disclosure.cfg" <<CFG
service = { node = "disclosure"; data_dir = "data"; log_level = "warn"; };
http = { port = $HP; threads = 2; };
bus = { pub = "tcp://127.0.0.1:$DP"; replay = "tcp://127.0.0.1:$DR";
        sources = ( { name = "intake"; pub = "tcp://127.0.0.1:$IP"; replay = "tcp://127.0.0.1:$IR"; },
                    { name = "router"; pub = "tcp://127.0.0.1:$RP"; replay = "tcp://127.0.0.1:$RR"; } ); };
store = { map_size_mb = 2048; };
disclosure = { public_url = "http://127.0.0.1:$HP"; audit_link = false; };
CFG

applied() {
	curl -s "http://127.0.0.1:$HP/v1/status" 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("applied", 0))
except Exception: print(0)'
}

echo "bench-disclosure: $EVENTS events; a fresh qf-disclosure catches up..."
t0=$(now)
${DISCLOSURE_BENCH_WRAP:-} "$BIN/qf-disclosure" --config "$tmp/disclosure.cfg" >"$tmp/disclosure.log" 2>&1 &
DPID=$!
while :; do
	kill -0 "$DPID" 2>/dev/null || { cat "$tmp/disclosure.log" >&2; exit 1; }
	a=$(applied)
	[ "$a" -ge "$EVENTS" ] && break
	sleep 0.2
done
t1=$(now)
APPLY_S=$(elapsed "$t0" "$t1")
APPLY_RATE=$(rate "$EVENTS" "$APPLY_S")
STORE_MB=$(du -sm "$tmp/data" | awk '{print $1}')
RSS_MB=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$DPID/status)

first=$(curl -s "http://127.0.0.1:$HP/v1/public/cases?page_size=1")
CASE=$(echo "$first" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
TOTAL=$(echo "$first" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')

bench() { # name url
	out=$(wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$2" 2>&1)
	rps=$(echo "$out" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	errs=$(echo "$out" | awk '/Non-2xx/ {print $5}')
	printf '  %-44s %8s req/s   p50 %-9s p99 %-9s%s\n' "$1" "$rps" "$p50" "$p99" \
		"${errs:+  non-2xx: $errs}"
}

echo
echo "== qf-disclosure benchmark ($(nproc) cores, wrk -t1 -c$CONNS -d${SECS}s, $TOTAL cases stored)"
echo "events applied to the views (fresh replica catching up by replay):"
printf '  %s events in %s s = %s events/s  (store %s MB, RSS %s MB)\n' "$EVENTS" "$APPLY_S" \
	"$APPLY_RATE" "$STORE_MB" "$RSS_MB"
echo "HTTP (same server, same run):"
bench "baseline GET /static/live.js (no store)" "http://127.0.0.1:$HP/static/live.js"
bench "GET /v1/public/cases (first page of 20)" "http://127.0.0.1:$HP/v1/public/cases"
bench "GET /v1/public/cases?category&page=50" \
	"http://127.0.0.1:$HP/v1/public/cases?category=facility_repair&page=50"
bench "GET /cases/<id> (HTML case page)" "http://127.0.0.1:$HP/cases/$CASE"
bench "GET / (HTML board, first page)" "http://127.0.0.1:$HP/"
