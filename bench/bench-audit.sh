#!/bin/sh
# bench-audit.sh BUILD: the audit log's figures (make bench-audit).
#
#  1. the tiled Merkle log alone: durable appends beside plain durable LMDB
#     appends of the same bytes (the baseline, same run), inclusion and
#     consistency proofs at AUDIT_BENCH_LEAVES leaves (default 1,000,000),
#     memory and store size;
#  2. the service end to end: qf-audit catching up AUDIT_BENCH_EVENTS events
#     (default 1,000,000) from a producer's replay, durably, with every alert
#     rule and index; then inclusion proofs through its HTTP API; its RSS.
set -eu
BUILD=${1:-build}
LEAVES=${AUDIT_BENCH_LEAVES:-1000000}
EVENTS=${AUDIT_BENCH_EVENTS:-1000000}
B=$BUILD/bench/audit_bench
AUDIT=$BUILD/bin/qf-audit
for f in "$B" "$AUDIT"; do
	[ -x "$f" ] || { echo "bench-audit: $f not built (make all $B)" >&2; exit 1; }
done
TMP=$(mktemp -d /tmp/qf-bench-audit-XXXXXX)
FEED_PID=
AUDIT_PID=
cleanup() {
	[ -n "$AUDIT_PID" ] && kill "$AUDIT_PID" 2>/dev/null && wait "$AUDIT_PID" 2>/dev/null
	[ -n "$FEED_PID" ] && kill "$FEED_PID" 2>/dev/null && wait "$FEED_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

echo "# bench-audit on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), store on $(df -h /tmp | awk 'NR==2{print $1}')"
echo "## 1. the log: $LEAVES leaves"
"$B" core --dir "$TMP/core" --leaves "$LEAVES" --proofs 200000
rm -rf "$TMP/core"

echo "## 2. qf-audit end to end: $EVENTS events from replay"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(port); P2=$(port); P3=$(port); P4=$(port); HTTP=$(port)
mkfifo "$TMP/feed.in"
"$B" feed --dir "$TMP/feed" --pub "tcp://127.0.0.1:$P1" --replay "tcp://127.0.0.1:$P2" \
	--events "$EVENTS" <"$TMP/feed.in" >"$TMP/feed.out" &
FEED_PID=$!
exec 3>"$TMP/feed.in"
while ! grep -q ready "$TMP/feed.out" 2>/dev/null; do sleep 0.2; done
cat >"$TMP/audit.cfg" <<EOF
service = { node = "audit"; data_dir = "data"; log_level = "warn"; };
http = { port = $HTTP; };
bus = { pub = "tcp://127.0.0.1:$P3"; replay = "tcp://127.0.0.1:$P4";
        sources = ( { name = "intake"; pub = "tcp://127.0.0.1:$P1"; replay = "tcp://127.0.0.1:$P2"; } ); };
EOF
size() { curl -s "http://127.0.0.1:$HTTP/v1/log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])' 2>/dev/null || echo 0; }
T0=$(date +%s.%N)
"$AUDIT" --config "$TMP/audit.cfg" 2>"$TMP/audit.log" &
AUDIT_PID=$!
while [ "$(size)" -lt "$EVENTS" ]; do
	kill -0 "$AUDIT_PID" 2>/dev/null || { cat "$TMP/audit.log"; exit 1; }
	sleep 0.1
done
T1=$(date +%s.%N)
python3 -c "print('  caught up %d events in %.2f s: %.0f leaves/s durably (consumer, leaf, indexes, alert rules, checkpoints)' % ($EVENTS, $T1 - $T0, $EVENTS / ($T1 - $T0)))"
RSS=$(awk '/VmRSS/{print int($2/1024)}' /proc/$AUDIT_PID/status)
ANON=$(awk '/RssAnon/{print int($2/1024)}' /proc/$AUDIT_PID/status)
DISK=$(du -m "$TMP/data/data.mdb" | cut -f1)
echo "  qf-audit at $EVENTS leaves: RSS $RSS MiB (anonymous $ANON MiB), store $DISK MiB"
"$B" http --url "http://127.0.0.1:$HTTP" --size "$EVENTS" --count 20000
if [ -x "$BUILD/bin/qfctl" ]; then
	# what a resident runs: fetch everything, recompute, compare every tile
	curl -s -X POST "http://127.0.0.1:$HTTP/v1/checkpoint" >/dev/null
	T0=$(date +%s.%N)
	"$BUILD/bin/qfctl" audit verify --url "http://127.0.0.1:$HTTP" \
		--vkey "$TMP/data/checkpoint.vkey" --state "$TMP/state" >"$TMP/verify.out" || {
		cat "$TMP/verify.out"; exit 1; }
	T1=$(date +%s.%N)
	python3 -c "print('  qfctl audit verify of all %d leaves (entries, tiles, every checkpoint): %.1f s' % ($EVENTS, $T1 - $T0))"
fi
