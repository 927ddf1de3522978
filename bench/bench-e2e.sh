#!/bin/sh
# bench-e2e.sh BUILD: from a petition's 201 to (a) the case on the board's
# event stream, (b) a signed checkpoint covering it, (c) the handler's
# webhook, with all five services running, at E2E_RATES petitions per second
# (default "100 1000") for E2E_SECONDS each (default 60), open loop
# (bench/e2e.py). Not a test: nothing is asserted.
set -eu
BUILD=${1:-build}
RATES=${E2E_RATES:-100 1000}
SECS=${E2E_SECONDS:-60}
args=""
for r in $RATES; do args="$args --rate $r"; done
exec /usr/bin/python3 "$(dirname "$0")/e2e.py" "$BUILD" $args --seconds "$SECS" \
	${BENCH_OUT:+--out "$BENCH_OUT"}
