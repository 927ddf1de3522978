#!/bin/sh
# bench-intake.sh BUILD: durable petition intake beside its peers, measured in
# the same run, at the same client count (make bench-intake).
#
#   1. bare libmicrohttpd + jansson (bench/intake_bare.c): parse the body,
#      answer 201; no validation, no storage: the HTTP+JSON ceiling here.
#   2. qf-intake POST /v1/petitions: validate, spam rules, pseudonym, seal the
#      contact to the notifier, encrypt it at rest, write case + outbox event,
#      group commit with fsync, then answer 201.
#   3. PostgreSQL 15: pgbench single-row INSERT of the same JSON (jsonb),
#      synchronous_commit = on.
#   4. Redis 7: redis-benchmark XADD of the same JSON, appendfsync always.
#
# Load: wrk with a Lua script posting the accepted petitions of
# tests/data/petitions.jsonl in turn, BENCH_CONNECTIONS (64) keep-alive
# connections, BENCH_SECONDS (10) per system. Everything runs on this
# machine: the load generator shares the cores with the server measured,
# for every system alike. Each peer is started in a temporary directory on
# the same disk, on free ports, and stopped afterwards.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

for t in wrk pgbench redis-server redis-benchmark python3; do
	command -v "$t" >/dev/null || {
		echo "bench-intake: $t missing: run tools/install-deps.sh bench" >&2
		exit 1
	}
done
for b in "$BUILD/bin/qf-intake" "$BUILD/bin/qfctl" "$BUILD/bench/intake_bare"; do
	[ -x "$b" ] || {
		echo "bench-intake: $b not built (make BUILD=$BUILD $b)" >&2
		exit 1
	}
done

TMP=$(mktemp -d /var/tmp/qf-bench-intake.XXXXXX)
chmod 755 "$TMP"
PIDS=""
PG_STARTED=""
cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$PG_STARTED" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m fast -w stop \
			>/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # PORT PATH
	i=0
	while ! python3 - "$1" "$2" <<'EOF' 2>/dev/null; do
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=1)
c.request("GET", sys.argv[2]); sys.exit(0 if c.getresponse().status < 500 else 1)
EOF
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "bench-intake: server on $1 did not start" >&2; exit 1; }
		sleep 0.05
	done
}

# ------------------------------------------------------------ workload
python3 - "$TMP" <<'EOF'
import json, sys
tmp = sys.argv[1]
bodies, anon = [], []
for line in open("tests/data/petitions.jsonl", encoding="utf-8"):
    d = json.loads(line)
    if d.pop("expect") != "accept":
        continue
    if d["channel"] not in ("app", "web"):
        d["channel"] = "app"   # offline channels need a staff token
    d["consent_public"] = True
    bodies.append(json.dumps(d, ensure_ascii=False))
    d.update(name="", phone="", anonymous=True)
    anon.append(json.dumps(d, ensure_ascii=False))
def lua(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
for name, bs in (("post.lua", bodies), ("post_anon.lua", anon)):
  with open(tmp + "/" + name, "w", encoding="utf-8") as f:
    f.write("local bodies = {\n" + ",\n".join(lua(b) for b in bs) + "\n}\n")
    f.write('''
local i = 0
local hdr = { ["Content-Type"] = "application/json" }
request = function()
  i = i + 1
  return wrk.format("POST", "/v1/petitions", hdr, bodies[(i % #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d errors=%d p50_us=%d p99_us=%d\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
''')
open(tmp + "/body.json", "w", encoding="utf-8").write(bodies[1])
print("bench-intake: %d distinct petitions, %d..%d bytes" %
      (len(bodies), min(len(b.encode()) for b in bodies), max(len(b.encode()) for b in bodies)),
      file=sys.stderr)
EOF

# wrk against PORT [SCRIPT]; prints "ops/s p50_ms p99_ms non2xx"
run_wrk() {
	wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" --timeout 10s -s "$TMP/${2:-post.lua}" \
		"http://127.0.0.1:$1/v1/petitions" >"$TMP/wrk.out" 2>&1 || true
	python3 - "$TMP/wrk.out" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"RESULT requests=(\d+) duration_us=(\d+) non2xx=(\d+) errors=(\d+) p50_us=(\d+) p99_us=(\d+)", t)
if not m:
    print("0 0 0 0"); sys.stderr.write(t); sys.exit(0)
req, dur, bad, err, p50, p99 = map(int, m.groups())
ok = req - bad
print("%.0f %.2f %.2f %d" % (ok / (dur / 1e6), p50 / 1000, p99 / 1000, bad + err))
EOF
}

rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }
anon_mib() { awk '/RssAnon/ {printf "%.0f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }
file_mib() { awk '/RssFile/ {printf "%.0f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

echo "# bench-intake: $CONNS connections, ${SECS}s each, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# store: $(df -h "$TMP" | awk 'NR==2{print $1}') ($(findmnt -n -o FSTYPE -T "$TMP" 2>/dev/null || stat -f -c %T "$TMP")), the same disk for every system"

# ------------------------------------------------------------ 1. bare
BP=$(free_port)
"$BUILD/bench/intake_bare" "$BP" 4 >"$TMP/bare.log" 2>&1 &
BARE=$!
PIDS="$PIDS $BARE"
wait_http "$BP" /
set -- $(run_wrk "$BP")
BARE_OPS=$1 BARE_P50=$2 BARE_P99=$3 BARE_BAD=$4
BARE_RSS=$(rss_mib $BARE)
kill -TERM $BARE && wait $BARE || true
PIDS=""

# ------------------------------------------------------------ 2. qf-intake
IP=$(free_port)
mkdir -p "$TMP/intake"
cp config/community.cfg config/staff-tokens.cfg "$TMP/intake/"
"$BUILD/bin/qfctl" keygen --seal --out "$TMP/intake/notifier-seal" >/dev/null
cat >"$TMP/intake/intake.cfg" <<EOF
service = { node = "intake"; data_dir = "$TMP/intake/data"; log_level = "warn"; community = "community.cfg"; };
http = { bind = "127.0.0.1"; port = $IP; threads = 4; };
bus = { pub = "tcp://127.0.0.1:$(free_port)"; replay = "tcp://127.0.0.1:$(free_port)"; sources = ( ); };
store = { map_size_mb = 1024; };
intake = { tokens = "staff-tokens.cfg";
  seal_to = ( { recipient = "notifier"; public_key_file = "notifier-seal.pub"; required = true; } ); };
ratelimit = { per_ip = 0; per_phone = 0; follow_per_ip = 0; };
open311 = { enabled = false; };
EOF
"$BUILD/bin/qf-intake" --config "$TMP/intake/intake.cfg" >"$TMP/intake.log" 2>&1 &
INTAKE=$!
PIDS="$PIDS $INTAKE"
wait_http "$IP" /healthz
set -- $(run_wrk "$IP")
QF_OPS=$1 QF_P50=$2 QF_P99=$3 QF_BAD=$4
set -- $(run_wrk "$IP" post_anon.lua)
QA_OPS=$1 QA_P50=$2 QA_P99=$3 QA_BAD=$4
QF_RSS=$(rss_mib $INTAKE)
QF_ANON=$(anon_mib $INTAKE)
QF_FILE=$(file_mib $INTAKE)
QF_DB=$(du -sm "$TMP/intake/data" | cut -f1)
METRICS=$(python3 - "$IP" <<'EOF'
import http.client, re, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
c.request("GET", "/metrics"); t = c.getresponse().read().decode()
def v(pat):
    m = re.search(pat + r"\s+([0-9.e+]+)", t)
    return float(m.group(1)) if m else 0.0
acc = v(r'qf_intake_petitions_total\{outcome="accepted"\}')
b = v(r"qf_group_commit_batches_total")
j = v(r"qf_group_commit_jobs_total")
print("%d %.1f" % (acc, j / b if b else 0))
EOF
)
set -- $METRICS
QF_ACCEPTED=$1 QF_BATCH=$2
kill -TERM $INTAKE && wait $INTAKE || true
PIDS=""

# ------------------------------------------------------------ 3. PostgreSQL
PGP=$(free_port)
mkdir -p "$TMP/pg"
chown postgres "$TMP/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$TMP/pg/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/log" -w -o \
	"-c port=$PGP -c listen_addresses=127.0.0.1 -c unix_socket_directories=$TMP/pg -c synchronous_commit=on -c fsync=on -c max_connections=200" \
	start >/dev/null
PG_STARTED=1
psql -q -h 127.0.0.1 -p "$PGP" -U postgres -c \
	"CREATE TABLE petitions (id bigserial PRIMARY KEY, case_id text NOT NULL, body jsonb NOT NULL, created timestamptz NOT NULL DEFAULT now())" \
	postgres
python3 - "$TMP" <<'EOF'
import sys
tmp = sys.argv[1]
body = open(tmp + "/body.json", encoding="utf-8").read().replace("'", "''")
open(tmp + "/insert.sql", "w", encoding="utf-8").write(
    "INSERT INTO petitions (case_id, body) VALUES (md5(random()::text), '%s'::jsonb);\n" % body)
EOF
(cd "$TMP/pg" && pgbench -n -h 127.0.0.1 -p "$PGP" -U postgres -c "$CONNS" -j 2 -T "$SECS" \
	-f "$TMP/insert.sql" -l --log-prefix="$TMP/pg/tx" postgres >"$TMP/pgbench.out" 2>&1) || true
PG_PID=$(head -1 "$TMP/pg/data/postmaster.pid")
PG_RSS=$(rss_mib "$PG_PID")
set -- $(python3 - "$TMP" <<'EOF'
import glob, re, sys
tmp = sys.argv[1]
out = open(tmp + "/pgbench.out").read()
m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
lat = []
for f in glob.glob(tmp + "/pg/tx.*"):
    for line in open(f):
        p = line.split()
        if len(p) >= 3:
            lat.append(int(p[2]))
lat.sort()
pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000 if lat else 0
print("%.0f %.2f %.2f" % (float(m.group(1)) if m else 0, pct(0.50), pct(0.99)))
EOF
)
PG_OPS=$1 PG_P50=$2 PG_P99=$3
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m fast -w stop >/dev/null
PG_STARTED=""

# ------------------------------------------------------------ 4. Redis
RP=$(free_port)
mkdir -p "$TMP/redis"
redis-server --port "$RP" --bind 127.0.0.1 --dir "$TMP/redis" --appendonly yes \
	--appendfsync always --save "" --daemonize no --logfile "$TMP/redis/log" &
REDIS=$!
PIDS="$PIDS $REDIS"
i=0
until redis-cli -p "$RP" ping >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "bench-intake: redis did not start" >&2; exit 1; }
	sleep 0.05
done
N=${BENCH_REDIS_REQUESTS:-$((SECS * 40000))}
redis-benchmark -h 127.0.0.1 -p "$RP" -c "$CONNS" -n "$N" --csv \
	XADD petitions '*' body "$(cat "$TMP/body.json")" >"$TMP/redis.out" 2>&1 || true
set -- $(python3 - "$TMP/redis.out" <<'EOF'
import sys
# the test name column is the command, not quoted: take the numbers from the right
rows = [l.strip().rsplit(",", 7) for l in open(sys.argv[1])
        if l.startswith('"') and not l.startswith('"test"')]
if not rows:
    print("0 0 0"); sys.exit(0)
v = [x.strip('"') for x in rows[-1][1:]]
print("%.0f %.2f %.2f" % (float(v[0]), float(v[3]), float(v[5])))
EOF
)
RD_OPS=$1 RD_P50=$2 RD_P99=$3
RD_RSS=$(rss_mib $REDIS)
kill -TERM $REDIS && wait $REDIS || true
PIDS=""

# ------------------------------------------------------------ report
printf '\n| %-58s | %9s | %7s | %7s | %8s |\n' "system ($CONNS connections)" "ops/s" "p50 ms" "p99 ms" "peak RSS"
printf '| %-58s | %9s | %7s | %7s | %8s |\n' "$(printf '%058d' 0 | tr 0 -)" "---------" "-------" "-------" "--------"
printf '| %-58s | %9s | %7s | %7s | %6s M |\n' "bare libmicrohttpd + jansson (parse, 201, nothing stored)" "$BARE_OPS" "$BARE_P50" "$BARE_P99" "$BARE_RSS"
printf '| %-58s | %9s | %7s | %7s | %6s M |\n' "qf-intake POST /v1/petitions (durable, group commit)" "$QF_OPS" "$QF_P50" "$QF_P99" "$QF_RSS"
printf '| %-58s | %9s | %7s | %7s | %6s M |\n' "  same, anonymous petitions (no contact to seal)" "$QA_OPS" "$QA_P50" "$QA_P99" "$QF_RSS"
printf '| %-58s | %9s | %7s | %7s | %6s M |\n' "PostgreSQL 15 INSERT jsonb, synchronous_commit=on" "$PG_OPS" "$PG_P50" "$PG_P99" "$PG_RSS"
printf '| %-58s | %9s | %7s | %7s | %6s M |\n' "Redis 7 XADD, appendfsync always" "$RD_OPS" "$RD_P50" "$RD_P99" "$RD_RSS"
echo
echo "qf-intake: $QF_ACCEPTED petitions accepted in both runs (server count), $((QF_BAD + QA_BAD)) non-201 answers or errors, average $QF_BATCH requests per group commit (fsync)"
echo "qf-intake memory at the end: heap and stacks (RssAnon) $QF_ANON MiB, mapped store pages (RssFile, the LMDB map, page cache) $QF_FILE MiB; store on disk $QF_DB MiB"
echo "load while measuring (1-minute load average at the end): $(cut -d' ' -f1 /proc/loadavg)"
echo "bare server: $BARE_BAD non-2xx answers or errors"
