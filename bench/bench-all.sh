#!/bin/sh
# bench-all.sh: what `make bench` runs: every benchmark, each one's output in
# $BENCH_OUT/<name>.log (JSON lines and series for bench/report.py).
# QUICK=1: small sizes and short durations, to check the whole chain.
# BENCH_VS=DIR: a baseline build (bin/ of main, say): the disclosure figures
# are also taken paired against it (bench-disclosure.sh, DISCLOSURE_BENCH_VS).
set -u
: "${BENCH_OUT:?}" "${BUILD:=build}"
CONNS=${CONNS:-8 32 128}
if [ "${QUICK:-}" = 1 ]; then
	export DISCLOSURE_BENCH_CASES=${DISCLOSURE_BENCH_CASES:-10000} DISCLOSURE_BENCH_SECONDS=3
	export E2E_SECONDS=${E2E_SECONDS:-10} BENCH_SECONDS=3 ROUTER_BENCH_CASES=10000
	export ROUTER_BENCH_IDLE_S=2 AUDIT_BENCH_LEAVES=100000 AUDIT_BENCH_EVENTS=50000
	export NOTIFIER_BENCH_N=${NOTIFIER_BENCH_N:-5000} MEMORY_IDLE_S=3
fi
export BENCH_OUT
run() { # name command...
	name=$1
	shift
	echo "bench: $name..." >&2
	t0=$(date +%s)
	"$@" >"$BENCH_OUT/$name.log" 2>&1 || echo "bench: $name failed (see $BENCH_OUT/$name.log)" >&2
	echo "bench: $name took $(($(date +%s) - t0)) s" >&2
}
CMD="make bench${QUICK:+ BENCH_QUICK=$QUICK}${BENCH_VS:+ BENCH_VS=$BENCH_VS}"
[ -n "${BENCH_VS:-}" ] && export DISCLOSURE_BENCH_VS="$BENCH_VS"
meta() { # the machine, the date and the load at the start and at the end
	printf '{"date": "%s", "command": "%s", "nproc": %s, "load": "%s", "load_end": "%s"}\n' \
		"$START" "$CMD" "$(nproc)" "$LOAD0" "$1" >"$BENCH_OUT/meta.json"
}
START=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
meta "(still running)"
run memory bench/bench-memory.sh "$BUILD"
run bus bench/bench-bus.sh "$BUILD"
for c in $CONNS; do
	BENCH_CONNECTIONS=$c run "intake-$c" bench/bench-intake.sh "$BUILD"
done
run router bench/bench-router.sh "$BUILD"
run notifier bench/bench-notifier.sh "$BUILD"
run disclosure bench/bench-disclosure.sh "$BUILD"
run audit bench/bench-audit.sh "$BUILD"
run e2e bench/bench-e2e.sh "$BUILD"
meta "$(cut -d' ' -f1-3 /proc/loadavg)"
