#!/bin/sh
# bench-notifier.sh BUILD: the notifier's figures (make bench-notifier), each
# beside a baseline measured in the same run:
#   - memory (RSS, anonymous and file-backed) and store size with N queued
#     deliveries (default 100,000: the dispatcher paused while the events
#     that cause them are consumed), and how fast they were written;
#   - deliveries/s to a local webhook receiver (C, libmicrohttpd) that
#     answers 503 to 10% of the attempts (transient: retried with backoff),
#     durable end to end (each outcome committed with its DELIVERY_* event);
#     baseline: the same POSTs from a bare libcurl multi client with no
#     store (bench/notifier_blast.c) at the same concurrency;
#   - a check that every delivery arrived once: distinct ids accepted by the
#     receiver == N, none accepted twice, no dead letter.
# Not a test: nothing is asserted beyond that check. NOTIFIER_BENCH_N=N and
# NOTIFIER_BENCH_CONCURRENCY=C change N and the webhook concurrency.
set -eu
BUILD=${1:-build}
N=${NOTIFIER_BENCH_N:-100000}
C=${NOTIFIER_BENCH_CONCURRENCY:-64}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for b in "$BUILD/bin/qf-notifier" "$BUILD/bench/notifier_receiver" "$BUILD/bench/notifier_feed" \
	"$BUILD/bench/notifier_blast"; do
	[ -x "$b" ] || { echo "bench-notifier: $b not built" >&2; exit 1; }
done
exec /usr/bin/python3 - "$ROOT" "$BUILD" "$N" "$C" <<'PY'
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

root, build, N, C = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
bin_ = lambda *p: os.path.join(root, build, *p) if not os.path.isabs(build) else os.path.join(build, *p)
tmp = tempfile.mkdtemp(prefix="qf-bench-notifier-")
procs = []

def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def start(argv, **kw):
    p = subprocess.Popen(argv, cwd=tmp, **kw); procs.append(p); return p

def cleanup():
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(tmp, ignore_errors=True)

def get(url, token=None, method="GET"):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())

def wait(pred, timeout, what):
    t = time.time()
    while time.time() - t < timeout:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise SystemExit("bench-notifier: timed out waiting for " + what)

def cpu(pid):
    """user+system CPU seconds of a process so far"""
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

def rss(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0]) // 1024
    return out

try:
    rp = port()
    rx = start([bin_("bench", "notifier_receiver"), "--port", str(rp), "--fail-permille", "100",
                "--threads", "2"], stdout=subprocess.PIPE, text=True)
    assert rx.stdout.readline().strip() == "ready"
    stats = lambda: get("http://127.0.0.1:%d/stats" % rp)

    # ---------------------------------------------------------- baseline
    blast_n = min(N, 50000)
    out = subprocess.run([bin_("bench", "notifier_blast"), "--url", "http://127.0.0.1:%d/hook" % rp,
                          "--count", str(blast_n), "--concurrency", str(C), "--bytes", "700"],
                         capture_output=True, text=True, check=True).stdout
    kv = dict(p.split("=") for p in out.split())
    base_rate = int(kv["deliveries"]) / float(kv["seconds"])

    # ---------------------------------------------------------- notifier
    for f in ("community.cfg", "staff-tokens.cfg"):
        shutil.copy(os.path.join(root, "config", f), tmp)
    with open(os.path.join(tmp, "seal.key"), "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    with open(os.path.join(tmp, "hook.secret"), "w") as f:
        f.write("bench-secret\n")
    hp, np_, nr, fp, fr = port(), port(), port(), port(), port()
    with open(os.path.join(tmp, "notifier.cfg"), "w") as f:
        f.write("""
service = { node = "notifier"; data_dir = "data"; log_level = "warn"; community = "community.cfg"; };
http = { port = %d; threads = 2; };
bus = { pub = "tcp://127.0.0.1:%d"; replay = "tcp://127.0.0.1:%d";
        sources = ( { name = "router"; pub = "tcp://127.0.0.1:%d"; replay = "tcp://127.0.0.1:%d"; } ); };
store = { map_size_mb = 1024; };
contact = { secret_key_file = "seal.key"; required = true; };
admin = { tokens_file = "staff-tokens.cfg"; };
quiet_hours = { enabled = false; };
follow = { enabled = false; };
dispatch = { batch = 512; };
channels = ( { name = "hook"; type = "webhook"; url = "http://127.0.0.1:%d/hook";
               secret_file = "hook.secret"; concurrency = %d; max_attempts = 12;
               backoff_ms = 20; backoff_max_ms = 200; timeout_ms = 10000; } );
templates = ( { name = "t"; subject = "新派单：{category}（{building}）{tracking_code}";
                text = "{recipient}：社区派给您一件诉求，类别{category}，地点{building}，查询码{tracking_code}，请于{respond_deadline}前受理、{deadline}前办结。"; } );
rules = ( { name = "assigned"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ];
            channels = [ "hook" ]; template = "t"; } );
""" % (hp, np_, nr, fp, fr, rp, C))
    nt = start([bin_("bin", "qf-notifier"), "--config", "notifier.cfg"],
               stdout=open(os.path.join(tmp, "notifier.log"), "w"), stderr=subprocess.STDOUT)
    api = "http://127.0.0.1:%d" % hp
    tok = "qf-dev-s01"
    def healthy():
        if nt.poll() is not None:
            sys.exit("bench-notifier: the notifier died:\n" +
                     open(os.path.join(tmp, "notifier.log")).read()[-2000:])
        try:
            return get(api + "/healthz")
        except OSError:
            return None
    wait(healthy, 20, "the notifier")
    get(api + "/v1/dispatch/pause", tok, "POST")
    idle = rss(nt.pid)

    t0 = time.time()
    feed = start([bin_("bench", "notifier_feed"), "--dir", "feed", "--pub", "tcp://127.0.0.1:%d" % fp,
                  "--replay", "tcp://127.0.0.1:%d" % fr, "--count", str(N)],
                 stdout=subprocess.PIPE, text=True)
    wait(lambda: get(api + "/v1/status", tok)["pending"] >= N, 600, "%d queued deliveries" % N)
    t_ingest = time.time() - t0
    queued = rss(nt.pid)
    store_mb = os.path.getsize(os.path.join(tmp, "data", "data.mdb")) / 1048576.0
    used = get(api + "/v1/status", tok)

    s0 = stats()
    perf = None
    if os.environ.get("NOTIFIER_BENCH_PERF"):
        # profile the send phase: NOTIFIER_BENCH_PERF=FILE (perf record -g)
        perf = subprocess.Popen(["perf", "record", "-g", "-o", os.environ["NOTIFIER_BENCH_PERF"],
                                 "-p", str(nt.pid)], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    t1 = time.time()
    c1 = cpu(nt.pid)
    get(api + "/v1/dispatch/resume", tok, "POST")
    wait(lambda: (lambda st: st if st["pending"] == 0 and st["inflight"] == 0 else None)(
        get(api + "/v1/status", tok)), 900, "the queue to drain")
    t_send = time.time() - t1
    cpu_send = cpu(nt.pid) - c1
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    s1 = stats()
    st = get(api + "/v1/status", tok)
    unique = s1["unique"] - s0["unique"]
    attempts = s1["requests"] - s0["requests"]
    failed = s1["failed"] - s0["failed"]
    rate = N / t_send

    print("notifier benchmark (N=%d deliveries, webhook concurrency %d, 10%% of attempts answered 503)" % (N, C))
    print("  queue:    %d deliveries written from %d events in %.2f s (%.0f/s, durable)"
          % (used["pending"], N, t_ingest, N / t_ingest))
    print("  memory:   RSS %d MiB with %d queued (anon %d MiB, file-backed %d MiB); idle before: %d MiB; store %.0f MiB"
          % (queued["VmRSS"], N, queued.get("RssAnon", 0), queued.get("RssFile", 0), idle["VmRSS"], store_mb))
    print("  send:     %.0f deliveries/s (%d in %.2f s; %d attempts, %d answered 503 and retried)"
          % (rate, N, t_send, attempts, failed))
    print("            notifier CPU %.2f s (%.0f%% of one core), %.0f us per delivery; load average %.1f"
          % (cpu_send, 100.0 * cpu_send / t_send, 1e6 * cpu_send / N, os.getloadavg()[0]))
    print("  baseline: %.0f deliveries/s from a bare libcurl multi client, same receiver and failures (%d POSTs)"
          % (base_rate, blast_n))
    print("  ratio:    notifier at %.0f%% of the bare transport" % (100.0 * rate / base_rate))
    ok = unique == N and s1["dup"] == s0["dup"] and st["dead"] == 0
    print("  check:    %d distinct ids accepted, %d accepted twice, %d dead letters: %s"
          % (unique, s1["dup"] - s0["dup"], st["dead"], "ok" if ok else "FAILED"))
    sys.exit(0 if ok else 1)
finally:
    cleanup()
PY
