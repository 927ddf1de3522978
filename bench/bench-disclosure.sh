#!/bin/sh
# bench-disclosure.sh BUILD: the disclosure-publisher's figures, and the
# rebuild by replay of the router and audit from the same events
# (make bench-disclosure), each beside its peer measured in the same run:
#   - replica rebuild: a fresh qf-disclosure catches up, through the real bus
#     (STATUS, replay pages, durable checkpoints), on N cases' events (default
#     100,000 cases, about 4.3 events each) written by bench/disclosure_fill;
#     peer: bench/replay_drain, a fresh consumer of the same sources that
#     applies nothing (what the bus delivers to a replica), just before;
#     events/s by wall clock and per CPU second of the service, store bytes
#     per case, RSS;
#   - the same for a fresh qf-router (intake's petitions) and a fresh
#     qf-audit (every event of both streams), each beside replay_drain on the
#     same sources;
#   - public case-list requests/s and p99 latency with the N cases stored
#     (wrk, keep-alive), beside a static asset served from memory by the same
#     server (the HTTP stack's own cost), plus a filtered deep page and HTML.
# Not a test: nothing is asserted. Every figure is also printed as a JSON
# line ("#json {...}") for bench/report.py; with BENCH_OUT=DIR the
# rebuild progress series (seconds, events applied) go to DIR/rebuild-*.txt.
# DISCLOSURE_BENCH_CASES=N, DISCLOSURE_BENCH_SECONDS=S (wrk duration),
# DISCLOSURE_BENCH_CONNS=C, DISCLOSURE_BENCH_REBUILD=0 skips router/audit.
# DISCLOSURE_BENCH_BATCH=N: bus.batch_max of the replicas (default: theirs).
# DISCLOSURE_BENCH_VS=DIR (a build folder with bin/qf-disclosure, such as a
# build of main): a paired run against that baseline on the same events: B
# (the baseline) rebuilds its own fresh replica, then A (this build); both
# then serve their stores side by side and each HTTP figure is taken in turns
# A B B A A B ... (DISCLOSURE_BENCH_ROUNDS, default 4, of S/ROUNDS seconds each);
# every figure is given as the ratio A/B ("#json" bench "disclosure_vs"), and
# bench/same_views.py compares the two replicas' pages and JSON byte for byte.
# DISCLOSURE_BENCH_PAIRS=P: P rebuild pairs (A B, ..., then B A), summed.
set -eu
BUILD=${1:-build}
BIN=$BUILD/bin
FILL=$BUILD/bench/disclosure_fill
DRAIN=$BUILD/bench/replay_drain
N=${DISCLOSURE_BENCH_CASES:-100000}
SECS=${DISCLOSURE_BENCH_SECONDS:-10}
CONNS=${DISCLOSURE_BENCH_CONNS:-32}
OTHERS=${DISCLOSURE_BENCH_REBUILD:-1}
BATCH=${DISCLOSURE_BENCH_BATCH:-}
OUT=${BENCH_OUT:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for b in "$BIN/qf-disclosure" "$BIN/qf-router" "$BIN/qf-audit" "$FILL" "$DRAIN"; do
	[ -x "$b" ] || { echo "bench-disclosure: $b not built" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "bench-disclosure: wrk missing (tools/install-deps.sh bench)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/qf-bench-disclosure-XXXXXX)
VS=${DISCLOSURE_BENCH_VS:-}
ROUNDS=${DISCLOSURE_BENCH_ROUNDS:-4}
if [ -n "$VS" ] && [ ! -x "$VS/bin/qf-disclosure" ]; then
	echo "bench-disclosure: $VS/bin/qf-disclosure not built" >&2; exit 1
fi
FPID=""
SPID=""
BPID=""
cleanup() {
	set +e
	if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; fi
	if [ -n "$BPID" ]; then kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null; fi
	exec 3>&- 2>/dev/null
	if [ -n "$FPID" ]; then kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { echo "$2 $1" | awk '{printf "%.2f", $1 - $2}'; }
rate() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.0f", $1 / $2; else print "0" }'; }
cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }
metric() { # port name: the sum of a counter's series
	curl -s "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v m="$2" \
		'index($1, m) == 1 && (substr($1, length(m) + 1, 1) == "{" || length($1) == length(m)) { s += $2 } END { printf "%d", s }'
}

IP=$(port); IR=$(port); RP=$(port); RR=$(port)
cp "$ROOT/config/community.cfg" "$ROOT/config/staff-tokens.cfg" "$tmp/"

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
INTAKE_SRC="tcp://127.0.0.1:$IP,tcp://127.0.0.1:$IR"
ROUTER_SRC="tcp://127.0.0.1:$RP,tcp://127.0.0.1:$RR"

# drain NAME UNTIL ARGS...: the peer; prints its rate, keeps its JSON line
drain() {
	name=$1; until=$2; shift 2
	rm -rf "$tmp/drain"
	"$DRAIN" --dir "$tmp/drain" --until "$until" ${OUT:+--series "$OUT/rebuild-peer-$name.txt"} \
		"$@" >"$tmp/drain.json"
	rm -rf "$tmp/drain"
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events_per_s"])' "$tmp/drain.json"
}

# catchup NAME PORT UNTIL METRIC CMD...: start a fresh service, poll its
# counter until UNTIL, leave it running in $SPID; sets SECS_, CPU_, RSS_
catchup() {
	name=$1; hp=$2; until=$3; m=$4; shift 4
	series=${OUT:+$OUT/rebuild-$name.txt}
	[ -n "$series" ] && : >"$series"
	t0=$(now)
	"$@" >"$tmp/$name.log" 2>&1 &
	SPID=$!
	while :; do
		kill -0 "$SPID" 2>/dev/null || { cat "$tmp/$name.log" >&2; exit 1; }
		a=$(metric "$hp" "$m")
		[ -n "$series" ] && echo "$(elapsed "$t0" "$(now)") $a" >>"$series"
		[ "$a" -ge "$until" ] && break
		sleep 0.2
	done
	SECS_=$(elapsed "$t0" "$(now)")
	CPU_=$(cpu_s "$SPID")
	RSS_=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$SPID/status")
}
stop_svc() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null || true; SPID=""; }

# ---------------------------------------------------------------- disclosure
HP=$(port); DP=$(port); DR=$(port)
cat >"$tmp/disclosure.cfg" <<CFG
service = { node = "disclosure"; data_dir = "data"; log_level = "warn"; };
http = { port = $HP; threads = 2; };
bus = { pub = "tcp://127.0.0.1:$DP"; replay = "tcp://127.0.0.1:$DR";${BATCH:+ batch_max = $BATCH;}
        sources = ( { name = "intake"; pub = "tcp://127.0.0.1:$IP"; replay = "tcp://127.0.0.1:$IR"; },
                    { name = "router"; pub = "tcp://127.0.0.1:$RP"; replay = "tcp://127.0.0.1:$RR"; } ); };
store = { map_size_mb = 2048; };
disclosure = { public_url = "http://127.0.0.1:$HP"; audit_link = false; };
CFG

echo "bench-disclosure: $EVENTS events; the peer drains them, then a fresh qf-disclosure catches up..."
PEER=$(drain disclosure "$EVENTS" --public-only --source "$INTAKE_SRC" --source "$ROUTER_SRC")
if [ -n "$VS" ]; then
	BHP=$(port)
	sed -e "s/port = $HP;/port = $BHP;/" -e "s/127.0.0.1:$DP\"/127.0.0.1:$(port)\"/" \
		-e "s/127.0.0.1:$DR\"/127.0.0.1:$(port)\"/" -e 's/data_dir = "data"/data_dir = "data-b"/' \
		"$tmp/disclosure.cfg" >"$tmp/disclosure-b.cfg"
	# DISCLOSURE_BENCH_PAIRS - 1 rebuild pairs thrown away after timing (A
	# first, then B), then the last pair, B first, whose replicas serve
	PAIRS=${DISCLOSURE_BENCH_PAIRS:-1}
	A_SUM=0; A_CPU_SUM=0; B_SUM=0; B_CPU_SUM=0
	add() { echo "$1 $2" | awk '{printf "%.2f", $1 + $2}'; }
	for r in $(seq 2 "$PAIRS"); do
		catchup disclosure "$HP" "$EVENTS" qf_bus_events_applied_total \
			"$BIN/qf-disclosure" --config "$tmp/disclosure.cfg"
		A_SUM=$(add "$A_SUM" "$SECS_"); A_CPU_SUM=$(add "$A_CPU_SUM" "$CPU_")
		stop_svc; rm -rf "$tmp/data"
		catchup disclosure-baseline "$BHP" "$EVENTS" qf_bus_events_applied_total \
			"$VS/bin/qf-disclosure" --config "$tmp/disclosure-b.cfg"
		B_SUM=$(add "$B_SUM" "$SECS_"); B_CPU_SUM=$(add "$B_CPU_SUM" "$CPU_")
		stop_svc; rm -rf "$tmp/data-b"
	done
	# the baseline on its own fresh store and ports; it keeps serving
	catchup disclosure-baseline "$BHP" "$EVENTS" qf_bus_events_applied_total \
		"$VS/bin/qf-disclosure" --config "$tmp/disclosure-b.cfg"
	B_S=$(add "$B_SUM" "$SECS_")
	B_CPU=$(add "$B_CPU_SUM" "$CPU_")
	B_STORE=$(du -sb "$tmp/data-b" | awk '{print $1}')
	BPID=$SPID
	SPID=""
fi
catchup disclosure "$HP" "$EVENTS" qf_bus_events_applied_total \
	${DISCLOSURE_BENCH_WRAP:-} "$BIN/qf-disclosure" --config "$tmp/disclosure.cfg"
APPLY_S=$SECS_
APPLY_RATE=$(rate "$EVENTS" "$APPLY_S")
APPLY_CPU=$CPU_
CPU_RATE=$(rate "$EVENTS" "$APPLY_CPU")
STORE_B=$(du -sb "$tmp/data" | awk '{print $1}')
PER_CASE=$(rate "$STORE_B" "$N")
RSS_MB=$RSS_
DPID=$SPID

first=$(curl -s "http://127.0.0.1:$HP/v1/public/cases?page_size=1")
CASE=$(echo "$first" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
TOTAL=$(echo "$first" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')

json() { echo "#json $*"; }
bench() { # key name url
	out=$(wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$3" 2>&1)
	rps=$(echo "$out" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	errs=$(echo "$out" | awk '/Non-2xx/ {print $5}')
	printf '  %-44s %8s req/s   p50 %-9s p99 %-9s%s\n' "$2" "$rps" "$p50" "$p99" \
		"${errs:+  non-2xx: $errs}"
	json "{\"bench\":\"disclosure_http\",\"key\":\"$1\",\"name\":\"$2\",\"rps\":${rps:-0},\"p50\":\"$p50\",\"p99\":\"$p99\",\"conns\":$CONNS,\"non2xx\":${errs:-0}}"
}

echo
echo "== qf-disclosure benchmark ($(nproc) cores, wrk -t1 -c$CONNS -d${SECS}s, $TOTAL cases stored, load $(cut -d' ' -f1 /proc/loadavg))"
echo "replica rebuild by replay (fresh store, the same $EVENTS events):"
printf '  peer: replay_drain (bus only, applies nothing)  %8s events/s\n' "$PEER"
printf '  qf-disclosure: %s s = %s events/s (%s events per CPU second, %s CPU s); %s of the peer\n' \
	"$APPLY_S" "$APPLY_RATE" "$CPU_RATE" "$APPLY_CPU" \
	"$(echo "$APPLY_RATE $PEER" | awk '{printf "%.2fx", $1 / $2}')"
printf '  store %s bytes = %s bytes per case; RSS %s MB\n' "$STORE_B" "$PER_CASE" "$RSS_MB"
json "{\"bench\":\"rebuild\",\"service\":\"disclosure\",\"events\":$EVENTS,\"cases\":$N,\"seconds\":$APPLY_S,\"events_per_s\":$APPLY_RATE,\"cpu_s\":$APPLY_CPU,\"events_per_cpu_s\":$CPU_RATE,\"peer_events_per_s\":$PEER,\"store_bytes\":$STORE_B,\"bytes_per_case\":$PER_CASE,\"rss_mb\":$RSS_MB}"
echo "HTTP (same server, same run):"
bench static "baseline GET /static/live.js (no store)" "http://127.0.0.1:$HP/static/live.js"
bench list "GET /v1/public/cases (first page of 20)" "http://127.0.0.1:$HP/v1/public/cases"
bench deep "GET /v1/public/cases?category&page=50" \
	"http://127.0.0.1:$HP/v1/public/cases?category=facility_repair&page=50"
bench case "GET /v1/public/cases/<id> (JSON case)" "http://127.0.0.1:$HP/v1/public/cases/$CASE"
bench case_html "GET /cases/<id> (HTML case page)" "http://127.0.0.1:$HP/cases/$CASE"
bench board "GET / (HTML board, first page)" "http://127.0.0.1:$HP/"

if [ -n "$VS" ]; then
	# wrk_rps URL SECONDS: requests per second
	wrk_rps() { wrk -t1 -c"$CONNS" -d"$2s" "$1" 2>&1 | awk '/^Requests\/sec/ {printf "%.0f", $2}'; }
	rs=$(echo "$SECS $ROUNDS" | awk '{s = int($1 / $2); print s < 1 ? 1 : s}')
	pair() { # key name path: A and B in turns, the ratio of the sums
		a=0; b=0
		for r in $(seq "$ROUNDS"); do # A first in odd rounds, B first in even
			if [ $((r % 2)) = 1 ]; then
				a=$((a + $(wrk_rps "http://127.0.0.1:$HP$3" "$rs")))
				b=$((b + $(wrk_rps "http://127.0.0.1:$BHP$3" "$rs")))
			else
				b=$((b + $(wrk_rps "http://127.0.0.1:$BHP$3" "$rs")))
				a=$((a + $(wrk_rps "http://127.0.0.1:$HP$3" "$rs")))
			fi
		done
		a=$((a / ROUNDS)); b=$((b / ROUNDS))
		ratio=$(echo "$a $b" | awk '{printf "%.2f", ($2 > 0 ? $1 / $2 : 0)}')
		printf '  %-44s A %8s req/s   B %8s req/s   A/B %s\n' "$2" "$a" "$b" "$ratio"
		json "{\"bench\":\"disclosure_vs\",\"key\":\"$1\",\"name\":\"$2\",\"a\":$a,\"b\":$b,\"ratio\":$ratio,\"unit\":\"req/s\",\"rounds\":$ROUNDS}"
	}
	echo
	echo "== paired against the baseline $VS (A: this build, B: the baseline; same events, both serving, $ROUNDS rounds of ${rs}s in turns)"
	A_S=$(add "$A_SUM" "$APPLY_S")
	A_CPU=$(add "$A_CPU_SUM" "$APPLY_CPU")
	ev=$((EVENTS * PAIRS))
	ratio=$(echo "$B_S $A_S" | awk '{printf "%.2f", ($2 > 0 ? $1 / $2 : 0)}')
	cratio=$(echo "$B_CPU $A_CPU" | awk '{printf "%.2f", ($2 > 0 ? $1 / $2 : 0)}')
	printf '  %-44s A %8s s        B %8s s        A/B %s\n' "replica rebuild, $PAIRS x $EVENTS events, wall" "$A_S" "$B_S" "$ratio"
	printf '  %-44s A %8s CPU s    B %8s CPU s    A/B %s\n' "the same, CPU time of the service" "$A_CPU" "$B_CPU" "$cratio"
	json "{\"bench\":\"disclosure_vs\",\"key\":\"rebuild\",\"name\":\"replica rebuild, wall clock (events/s)\",\"a\":$(rate "$ev" "$A_S"),\"b\":$(rate "$ev" "$B_S"),\"ratio\":$ratio,\"unit\":\"events/s\",\"rounds\":$PAIRS,\"a_store\":$STORE_B,\"b_store\":$B_STORE}"
	json "{\"bench\":\"disclosure_vs\",\"key\":\"rebuild_cpu\",\"name\":\"replica rebuild, per CPU second of the service (events/s)\",\"a\":$(rate "$ev" "$A_CPU"),\"b\":$(rate "$ev" "$B_CPU"),\"ratio\":$cratio,\"unit\":\"events/s\",\"rounds\":$PAIRS}"
	# the same events must give the same replica, whatever the build
	SAME=$(/usr/bin/python3 "$ROOT/bench/same_views.py" "http://127.0.0.1:$HP" \
		"http://127.0.0.1:$BHP" 2>&1 | tail -1) || true
	printf '  %-44s %s\n' "A's views against B's, byte for byte" "$SAME"
	json "{\"bench\":\"disclosure_same\",\"name\":\"$SAME\",\"identical\":$(case $SAME in identical*) echo true;; *) echo false;; esac)}"
	pair static "GET /static/live.js" "/static/live.js"
	pair list "GET /v1/public/cases" "/v1/public/cases"
	pair deep "GET /v1/public/cases?category&page=50" "/v1/public/cases?category=facility_repair&page=50"
	pair case "GET /v1/public/cases/<id>" "/v1/public/cases/$CASE"
	pair board "GET /" "/"
	kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null || true; BPID=""
fi
stop_svc

[ "$OTHERS" = 0 ] && exit 0

# ---------------------------------------------------------------- router
RH=$(port); RPUB=$(port); RREP=$(port)
cat >"$tmp/router.cfg" <<CFG
service = { node = "router"; data_dir = "router"; log_level = "warn"; };
http = { port = $RH; };
bus = { pub = "tcp://127.0.0.1:$RPUB"; replay = "tcp://127.0.0.1:$RREP"; sndhwm = 1000;
        sources = ( { name = "intake"; pub = "tcp://127.0.0.1:$IP"; replay = "tcp://127.0.0.1:$IR"; } ); };
store = { map_size_mb = 2048; };
CFG
echo
echo "bench-disclosure: a fresh qf-router catches up on intake's $N petitions..."
RPEER=$(drain router "$N" --source "$INTAKE_SRC")
catchup router "$RH" "$N" qf_bus_events_applied_total "$BIN/qf-router" --config "$tmp/router.cfg"
R_RATE=$(rate "$N" "$SECS_")
R_CPU_RATE=$(rate "$N" "$CPU_")
R_STORE=$(du -sb "$tmp/router" | awk '{print $1}')
printf '  peer: replay_drain %s events/s; qf-router %s s = %s events/s (%s per CPU second); %s of the peer; store %s bytes per case, RSS %s MB\n' \
	"$RPEER" "$SECS_" "$R_RATE" "$R_CPU_RATE" "$(echo "$R_RATE $RPEER" | awk '{printf "%.2fx", $1 / $2}')" \
	"$(rate "$R_STORE" "$N")" "$RSS_"
json "{\"bench\":\"rebuild\",\"service\":\"router\",\"events\":$N,\"cases\":$N,\"seconds\":$SECS_,\"events_per_s\":$R_RATE,\"cpu_s\":$CPU_,\"events_per_cpu_s\":$R_CPU_RATE,\"peer_events_per_s\":$RPEER,\"store_bytes\":$R_STORE,\"bytes_per_case\":$(rate "$R_STORE" "$N"),\"rss_mb\":$RSS_}"
stop_svc

# ---------------------------------------------------------------- audit
AH=$(port); APUB=$(port); AREP=$(port)
cat >"$tmp/audit.cfg" <<CFG
service = { node = "audit"; data_dir = "audit"; log_level = "warn"; };
http = { port = $AH; };
bus = { pub = "tcp://127.0.0.1:$APUB"; replay = "tcp://127.0.0.1:$AREP";
        sources = ( { name = "intake"; pub = "tcp://127.0.0.1:$IP"; replay = "tcp://127.0.0.1:$IR"; },
                    { name = "router"; pub = "tcp://127.0.0.1:$RP"; replay = "tcp://127.0.0.1:$RR"; } ); };
store = { map_size_mb = 4096; };
CFG
echo "bench-disclosure: a fresh qf-audit logs all $EVENTS events..."
APEER=$(drain audit "$EVENTS" --source "$INTAKE_SRC" --source "$ROUTER_SRC")
catchup audit "$AH" "$EVENTS" qf_bus_events_applied_total "$BIN/qf-audit" --config "$tmp/audit.cfg"
A_RATE=$(rate "$EVENTS" "$SECS_")
A_CPU_RATE=$(rate "$EVENTS" "$CPU_")
A_STORE=$(du -sb "$tmp/audit" | awk '{print $1}')
printf '  peer: replay_drain %s events/s; qf-audit %s s = %s events/s (%s per CPU second); %s of the peer; store %s bytes per event, RSS %s MB\n' \
	"$APEER" "$SECS_" "$A_RATE" "$A_CPU_RATE" "$(echo "$A_RATE $APEER" | awk '{printf "%.2fx", $1 / $2}')" \
	"$(rate "$A_STORE" "$EVENTS")" "$RSS_"
json "{\"bench\":\"rebuild\",\"service\":\"audit\",\"events\":$EVENTS,\"cases\":$N,\"seconds\":$SECS_,\"events_per_s\":$A_RATE,\"cpu_s\":$CPU_,\"events_per_cpu_s\":$A_CPU_RATE,\"peer_events_per_s\":$APEER,\"store_bytes\":$A_STORE,\"bytes_per_case\":$(rate "$A_STORE" "$N"),\"rss_mb\":$RSS_}"
stop_svc
