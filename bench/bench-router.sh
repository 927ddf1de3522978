#!/bin/sh
# bench-router.sh BUILD: the router's figures (make bench-router), each beside
# a baseline measured in the same run:
#   - petitions/s and staff actions/s processed durably (synced LMDB, one
#     fsync per consumed batch) while N cases (default 100,000) are open with
#     their timers; baseline: a bare durable bus consumer (qf-test-consumer:
#     checkpoint + one put per event) reading the very same stream;
#   - timers fired/s when all N come due at once (router restarted "400 hours
#     later" with QF_CLOCK_OFFSET_MS);
#   - memory (RSS, anonymous and file-backed) and store size with N loaded;
#   - idle CPU of the router with N cases and timers pending, beside the same
#     router idle with no case at all.
# Not a test: nothing is asserted. ROUTER_BENCH_CASES=N changes N.
set -eu
BUILD=${1:-build}
BIN=$BUILD/bin
LOAD=$BUILD/bench/router_load
N=${ROUTER_BENCH_CASES:-100000}
IDLE_S=${ROUTER_BENCH_IDLE_S:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for b in "$BIN/qf-router" "$BIN/qf-test-consumer" "$LOAD"; do
	[ -x "$b" ] || { echo "bench-router: $b not built" >&2; exit 1; }
done
tmp=$(mktemp -d /tmp/qf-bench-router-XXXXXX)
LPID=""
RPID=""
cleanup() {
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	exec 3>&- 2>/dev/null || true
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { echo "$2 $1" | awk '{printf "%.3f", $1 - $2}'; }
rate() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.0f", $1 / $2; else print "inf" }'; }

IP=$(port); IR=$(port); HP=$(port); RP=$(port); RR=$(port)
cp "$ROOT/config/community.cfg" "$ROOT/config/staff-tokens.cfg" "$tmp/"
cat >"$tmp/router.cfg" <<EOF
service = { node = "router"; data_dir = "router"; log_level = "warn"; };
http = { port = $HP; };
bus = { pub = "tcp://127.0.0.1:$RP"; replay = "tcp://127.0.0.1:$RR"; sndhwm = 1000;
        sources = ( { name = "intake"; pub = "tcp://127.0.0.1:$IP"; replay = "tcp://127.0.0.1:$IR"; } ); };
store = { map_size_mb = 1024; };
EOF

# the stand-in intake: commands through a fifo, answers in a file
mkfifo "$tmp/ctl"
"$LOAD" --dir "$tmp/intake" --pub "tcp://127.0.0.1:$IP" --replay "tcp://127.0.0.1:$IR" \
	<"$tmp/ctl" >"$tmp/load.out" 2>"$tmp/load.err" &
LPID=$!
exec 3>"$tmp/ctl"
load() {
	before=$(grep -c '^ok' "$tmp/load.out" || true)
	echo "$1" >&3
	while [ "$(grep -c '^ok' "$tmp/load.out" || true)" -le "$before" ]; do
		grep -q '^error' "$tmp/load.out" && { cat "$tmp/load.out" >&2; exit 1; }
		sleep 0.05
	done
}

metric() {
	curl -s "http://127.0.0.1:$HP/metrics" | awk -v m="$1" \
		'index($1, m) == 1 && (substr($1, length(m) + 1, 1) == "{" || length($1) == length(m)) { s += $2 } END { printf "%d", s }'
}
wait_metric() { # name value
	while [ "$(metric "$1")" -lt "$2" ]; do
		kill -0 "$RPID" 2>/dev/null || { echo "router died" >&2; tail "$tmp/router.log" >&2; exit 1; }
		sleep 0.02
	done
}
router_start() { # [clock offset ms]
	QF_CLOCK_OFFSET_MS=${1:-0} "$BIN/qf-router" --config "$tmp/router.cfg" >>"$tmp/router.log" 2>&1 &
	RPID=$!
	until curl -sf "http://127.0.0.1:$HP/healthz" >/dev/null 2>&1; do sleep 0.01; done
}
router_stop() {
	kill "$RPID"
	wait "$RPID" || true
	RPID=""
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
idle_cpu() { # seconds -> "percent of one core"
	a=$(cpu_ticks "$RPID")
	sleep "$1"
	b=$(cpu_ticks "$RPID")
	echo "$a $b $1 $(getconf CLK_TCK)" | awk '{printf "%.2f", ($2 - $1) / $4 / $3 * 100}'
}

echo "# bench-router on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), N=$N cases," \
	"store on $(df -h /tmp | awk 'NR==2{print $1}')"

# --- idle baseline: no case at all
router_start
sleep 1
idle0=$(idle_cpu "$IDLE_S")
router_stop

# --- petitions: N cases created (routing, deadlines, timers, repeats,
#     hotspots, CASE_ASSIGNED), consumed from a backlog
load "petitions $N"
t0=$(now)
router_start
wait_metric qf_bus_events_applied_total "$N"
t1=$(now)
dt_pet=$(elapsed "$t0" "$t1")
router_stop

# --- staff actions on the N open cases: accept, then a progress note
#     (one in ten refused with 403)
load accept
load progress
t0=$(now)
router_start
wait_metric qf_bus_events_applied_total "$((2 * N))"
t1=$(now)
dt_act=$(elapsed "$t0" "$t1")
sleep 1
rss=$(awk '/^VmRSS/{print $2}' "/proc/$RPID/status")
anon=$(awk '/^RssAnon/{print $2}' "/proc/$RPID/status")
file=$(awk '/^RssFile/{print $2}' "/proc/$RPID/status")
store=$(du -k "$tmp/router/data.mdb" | awk '{print $1}')
timers=$(metric qf_router_timers)
open=$(metric qf_router_open_cases)
idle1=$(idle_cpu "$IDLE_S")
router_stop

# --- timers: every case comes due at once
t0=$(now)
router_start $((400 * 3600 * 1000))
wait_metric qf_router_timers_fired_total "$N"
t1=$(now)
dt_tim=$(elapsed "$t0" "$t1")
router_stop

# --- baseline: a bare durable consumer on the same 3N events
t0=$(now)
"$BIN/qf-test-consumer" --dir "$tmp/base" --pub "tcp://127.0.0.1:$IP" \
	--replay "tcp://127.0.0.1:$IR" --until "$((3 * N))" >"$tmp/base.out" 2>&1
t1=$(now)
dt_base=$(elapsed "$t0" "$t1")

printf '%-44s %10s %8s %12s\n' measurement events seconds events/s
printf '%-44s %10d %8s %12s\n' "baseline: bare durable consumer" "$((3 * N))" "$dt_base" "$(rate $((3 * N)) "$dt_base")"
printf '%-44s %10d %8s %12s\n' "router: petitions -> cases assigned" "$N" "$dt_pet" "$(rate "$N" "$dt_pet")"
printf '%-44s %10d %8s %12s\n' "router: staff actions on $N open cases" "$((2 * N))" "$dt_act" "$(rate $((2 * N)) "$dt_act")"
printf '%-44s %10d %8s %12s\n' "router: timers fired (breach + escalation)" "$N" "$dt_tim" "$(rate "$N" "$dt_tim")"
echo "open cases $open, pending timers $timers"
echo "memory with $N cases: RSS ${rss} kB (anonymous ${anon} kB, file-backed LMDB pages ${file} kB); store ${store} kB"
echo "idle CPU over ${IDLE_S}s: ${idle1}% of one core with $N cases and timers, ${idle0}% with none"
