"""e2e.py: how long a resident waits, measured end to end on the real stack.

All five services are started on loopback (config/*.cfg copied, every port
moved to a free one, stores in a temporary folder). Petitions are submitted
to intake at a fixed rate (open loop: request i is due at t0 + i/rate,
whatever the answers before it did; a late start is counted), over
keep-alive connections. From each petition's 201, three arrivals are timed:

  (a) board:      the case on disclosure's event stream (/v1/events/stream,
                  the "case" message with its id);
  (b) checkpoint: the first signed checkpoint (audit's GET /v1/checkpoint,
                  polled every 50 ms) whose size covers the case's
                  PETITION_SUBMITTED leaf (its index from
                  /v1/cases/<id>/history, for a sample of cases);
  (c) webhook:    the handler's notification: a notifier rule sends
                  CASE_ASSIGNED for the building head over a webhook channel
                  to a real HTTP receiver started here.

    python3 bench/e2e.py BUILD --rate 100 --seconds 60 [--out DIR]
    python3 bench/e2e.py BUILD --idle 5      (idle RSS of each service, empty stores)

Prints a table and one "#json {...}" line per rate for bench/report.py;
--out DIR keeps every latency (ms) in DIR/e2e-<rate>-<what>.txt. Not a test.
"""
import argparse
import http.client
import http.server
import json
import os
import queue
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = ["intake", "router", "notifier", "disclosure", "audit"]
DEFAULT_PORTS = [8080, 8081, 8082, 8083, 8084, 5551, 5552, 5561, 5562, 5571, 5572,
                 5581, 5582, 5591, 5592, 9090, 2525]
BUILDINGS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10",
             "B11", "B12", "Y01", "Y02", "S01"]
CATEGORIES = ["facility_repair", "sanitation_hazard", "neighbor_dispute", "public_order"]
TEXTS = ["楼道灯坏了，晚上很黑", "垃圾站气味很大，请尽快清运", "楼上装修噪音影响休息",
         "路边停车堵住消防通道", "小区门口路面破损积水"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def pct(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(q / 100.0 * (len(xs) - 1)))))
    return xs[k]


class Stack:
    """The five services with their configuration moved into a temp dir."""

    def __init__(self, build, hook_port):
        self.tmp = tempfile.mkdtemp(prefix="qf-bench-e2e-")
        self.cfg = os.path.join(self.tmp, "config")
        shutil.copytree(os.path.join(ROOT, "config"), self.cfg)
        os.makedirs(os.path.join(self.tmp, "var", "keys"))
        self.ports = {p: free_port() for p in DEFAULT_PORTS}
        self.ports[9090] = hook_port
        self.build = build
        subprocess.run([os.path.join(build, "bin", "qfctl"), "keygen", "--seal", "--out",
                        os.path.join(self.tmp, "var", "keys", "notifier-seal")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for s in SERVICES:
            p = os.path.join(self.cfg, s + ".cfg")
            text = open(p, encoding="utf-8").read()
            for old, new in self.ports.items():
                text = re.sub(r"(?<![0-9])%d(?![0-9])" % old, str(new), text)
            text = re.sub(r'data_dir = "[^"]*"', 'data_dir = "../var/%s"' % s, text)
            text = re.sub(r'log_level = "[^"]*"', 'log_level = "warn"', text)
            if s == "intake":
                # one client address sends everything: no per-address limits
                text = re.sub(r"per_ip = \d+;", "per_ip = 0;", text)
                text = re.sub(r"per_phone = \d+;", "per_phone = 0;", text)
                text = re.sub(r"max_repeat = \d+;", "max_repeat = 0;", text)
            if s == "notifier":
                # one rule: the handler hears of each assignment on a webhook
                start = text.index("\nrules = (")
                end = text.index("\n);", start) + 3
                text = (text[:start] + '\nrules = (\n  { name = "e2e_assigned"; '
                        'event = "CASE_ASSIGNED"; recipients = [ "building_head" ]; '
                        'channels = [ "hook" ]; template = "case_assigned"; }\n);'
                        + text[end:])
            open(p, "w", encoding="utf-8").write(text)
        self.procs = {}

    def http(self, svc):
        return self.ports[{"intake": 8080, "router": 8081, "notifier": 8082,
                           "disclosure": 8083, "audit": 8084}[svc]]

    def start(self):
        for s in SERVICES:
            b = os.path.join(self.build, "bin", "qf-" + s)
            log = open(os.path.join(self.tmp, s + ".log"), "w")
            self.procs[s] = subprocess.Popen([b, "--config", os.path.join(self.cfg, s + ".cfg")],
                                             stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        for s in SERVICES:
            while True:
                try:
                    urllib.request.urlopen("http://127.0.0.1:%d/readyz" % self.http(s), timeout=2)
                    break
                except Exception:
                    if self.procs[s].poll() is not None or time.time() > deadline:
                        raise RuntimeError("%s did not start: %s" % (
                            s, open(os.path.join(self.tmp, s + ".log")).read()[-2000:]))
                    time.sleep(0.1)

    def rss_kb(self):
        out = {}
        for s, p in self.procs.items():
            try:
                for line in open("/proc/%d/status" % p.pid):
                    if line.startswith("VmRSS:"):
                        out[s] = int(line.split()[1])
            except OSError:
                pass
        return out

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Receiver(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_handler(seen, lock):
    case_re = re.compile(r'"case_id"\s*:\s*"([^"]+)"')

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The answer's head and body are two writes: with Nagle on, the body
        # waits for the notifier's delayed ACK (40 ms), so each of the hook
        # channel's 16 connections carried at most 25 deliveries/s and the
        # (c) figure at 1,000/s measured this receiver, not the notifier.
        disable_nagle_algorithm = True

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode("utf-8", "replace")
            t = time.monotonic()
            ids = case_re.findall(body) or re.findall(r"C[0-9A-Z]{25}", body)
            with lock:
                for cid in ids:
                    seen.setdefault(cid, t)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    return H


def sse_reader(port, seen, lock, stop):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/v1/events/stream")
    r = conn.getresponse()
    event = None
    while not stop.is_set():
        try:
            line = r.fp.readline()
        except (socket.timeout, OSError):
            continue
        if not line:
            break
        t = time.monotonic()
        line = line.decode("utf-8", "replace").rstrip("\r\n")
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event == "case":
            try:
                d = json.loads(line[5:])
                cid = d.get("data", {}).get("case_id") or d.get("case_id")
            except ValueError:
                cid = None
            if cid:
                with lock:
                    seen.setdefault(cid, t)
        elif not line:
            event = None


def checkpoint_poller(port, marks, stop):
    last = -1
    while not stop.is_set():
        try:
            c = json.load(urllib.request.urlopen("http://127.0.0.1:%d/v1/checkpoint" % port,
                                                 timeout=2))
            size = int(c.get("size", 0))
            if size != last:
                marks.append((time.monotonic(), size))
                last = size
        except Exception:
            pass
        time.sleep(0.05)


def run(build, rate, seconds, workers, out):
    sse_seen, hook_seen, lock = {}, {}, threading.Lock()
    hook_port = free_port()
    rx = Receiver(("127.0.0.1", hook_port), make_handler(hook_seen, lock))
    threading.Thread(target=rx.serve_forever, daemon=True).start()
    st = Stack(build, hook_port)
    stop = threading.Event()
    try:
        st.start()
        idle = st.rss_kb()
        threading.Thread(target=sse_reader, args=(st.http("disclosure"), sse_seen, lock, stop),
                         daemon=True).start()
        marks = []
        threading.Thread(target=checkpoint_poller, args=(st.http("audit"), marks, stop),
                         daemon=True).start()
        time.sleep(0.5)
        jobs = queue.Queue()
        done, errors = [], []

        def worker():
            conn = None
            while True:
                j = jobs.get()
                if j is None:
                    return
                i, due = j
                body = json.dumps({
                    "category": CATEGORIES[i % len(CATEGORIES)],
                    "building": BUILDINGS[i % len(BUILDINGS)],
                    "address": "%d号楼下" % (i % 97),
                    "description": "%s（第%d件）" % (TEXTS[i % len(TEXTS)], i),
                    "channel": "app", "name": "测试居民",
                    "phone": "139%08d" % (i % 100000000), "consent_public": True,
                }, ensure_ascii=False).encode("utf-8")
                t_send = time.monotonic()
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", st.http("intake"),
                                                          timeout=30)
                    conn.request("POST", "/v1/petitions", body,
                                 {"Content-Type": "application/json"})
                    r = conn.getresponse()
                    data = r.read()
                    t201 = time.monotonic()
                    if r.status == 201:
                        cid = json.loads(data).get("case_id")
                        done.append((cid, due, t_send, t201))
                    else:
                        errors.append(r.status)
                except Exception as e:  # noqa: BLE001 (counted, reported)
                    errors.append(type(e).__name__)
                    conn = None

        ths = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
        for t in ths:
            t.start()
        n = int(rate * seconds)
        t0 = time.monotonic() + 0.2
        for i in range(n):
            due = t0 + i / rate
            d = due - time.monotonic()
            if d > 0:
                time.sleep(d)
            jobs.put((i, due))
        for _ in ths:
            jobs.put(None)
        for t in ths:
            t.join()
        t_end = time.monotonic()
        # wait for the last arrivals (at most 30 s)
        ids = [d[0] for d in done]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if all(c in sse_seen for c in ids) and all(c in hook_seen for c in ids):
                    break
            time.sleep(0.2)
        # the checkpoint covering each sampled case's petition
        step = max(1, len(done) // 500)
        sample = done[::step]
        leaf = {}
        for cid, _, _, _ in sample:
            try:
                h = json.load(urllib.request.urlopen(
                    "http://127.0.0.1:%d/v1/cases/%s/history" % (st.http("audit"), cid),
                    timeout=5))
                for lf in h.get("leaves", h if isinstance(h, list) else []):
                    if lf.get("type") == "PETITION_SUBMITTED":
                        leaf[cid] = int(lf["index"])
                        break
            except Exception:
                pass
        deadline = time.monotonic() + 15
        while leaf and time.monotonic() < deadline and (
                not marks or marks[-1][1] <= max(leaf.values())):
            time.sleep(0.2)
        stop.set()
        busy = st.rss_kb()
        lat = {"board": [], "checkpoint": [], "webhook": []}
        late = [max(0.0, t_send - due) * 1000 for _, due, t_send, _ in done]
        for cid, due, t_send, t201 in done:
            if cid in sse_seen:
                lat["board"].append((sse_seen[cid] - t201) * 1000)
            if cid in hook_seen:
                lat["webhook"].append((hook_seen[cid] - t201) * 1000)
            if cid in leaf:
                for tm, size in marks:
                    if size > leaf[cid]:
                        lat["checkpoint"].append((tm - t201) * 1000)
                        break
        achieved = len(done) / max(1e-9, t_end - t0)
        res = {"bench": "e2e", "rate": rate, "seconds": seconds, "submitted": n,
               "accepted": len(done), "errors": len(errors), "achieved_rate": round(achieved, 1),
               "late_start_p99_ms": round(pct(late, 99) or 0, 1),
               "sampled_checkpoint": len(leaf), "idle_rss_kb": idle, "busy_rss_kb": busy}
        for k, xs in lat.items():
            res[k] = {"n": len(xs), "p50": round(pct(xs, 50) or 0, 1),
                      "p99": round(pct(xs, 99) or 0, 1), "max": round(max(xs) if xs else 0, 1),
                      "missing": (len(leaf) if k == "checkpoint" else len(done)) - len(xs)}
            if out:
                with open(os.path.join(out, "e2e-%d-%s.txt" % (rate, k)), "w") as f:
                    f.write("\n".join("%.2f" % x for x in xs) + "\n")
        return res
    finally:
        stop.set()
        st.stop()
        rx.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--rate", type=float, action="append")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=32)
    ap.add_argument("--out")
    ap.add_argument("--idle", type=float, help="only: start, stay idle this long, print RSS")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    if a.idle is not None:
        st = Stack(build, free_port())
        try:
            st.start()
            time.sleep(a.idle)
            rss = st.rss_kb()
        finally:
            st.stop()
        print("# idle RSS of each service, empty stores, %g s after start (VmRSS)" % a.idle)
        print("| service | RSS MiB | goal 16 MiB |")
        print("| --- | --- | --- |")
        for s in SERVICES:
            kb = rss.get(s, 0)
            print("| %s | %.1f | %s |" % (s, kb / 1024.0, "met" if kb <= 16384 else "NOT met"))
        print("#json " + json.dumps({"bench": "memory", "idle_s": a.idle, "rss_kb": rss}))
        return
    print("# bench-e2e on %d cores, %s, load %s" % (
        os.cpu_count(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        open("/proc/loadavg").read().split()[0]))
    print("| rate/s | accepted | achieved/s | (a) board p50/p99/max ms | (b) checkpoint "
          "p50/p99/max ms | (c) webhook p50/p99/max ms | late start p99 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for rate in a.rate or [100.0]:
        r = run(build, rate, a.seconds, a.workers, a.out)

        def f(k):
            x = r[k]
            miss = " (%d missing)" % x["missing"] if x["missing"] else ""
            return "%s / %s / %s%s" % (x["p50"], x["p99"], x["max"], miss)
        print("| %g | %d of %d (%d errors) | %.0f | %s | %s | %s | %s |" % (
            rate, r["accepted"], r["submitted"], r["errors"], r["achieved_rate"], f("board"),
            f("checkpoint"), f("webhook"), r["late_start_p99_ms"]))
        print("#json " + json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
