"""system.py: the whole qingfeng system for fault tests, driven only from
outside: real processes, their public HTTP interfaces, a real webhook
receiver for the notifier.

    sys = System(cluster)               # the five services, config/*.cfg on free ports
    load = Load(sys, rate=(40, 50))     # Open311 + native submissions, retried until answered
    nem = Nemesis(sys, every=(2, 5), down=(0.2, 2))   # SIGKILL / SIGSTOP of any service
    load.start(); nem.start(); time.sleep(T); nem.stop(); load.stop()
    report = Checker(sys, load, nem).run(bound=30)  # Jepsen-style: lost, doubled, heal time

The configuration is the one `make run` starts (config/*.cfg) moved onto
free ports and a fresh directory, with three changes a load test needs: no
per-address rate limit at intake, the notifier's channels pointed at the
test's receiver (the handler hears of each assignment by webhook), and a
checkpoint every second at audit.

Every submission carries a marker of plain Latin letters (no digits, which
the masker would star; no v, w or x, which the spam filter's WeChat rule
reads as an id) at the start of its description, so that the board's
title shows it and a second case made from one submission would show.
"""
import http.client
import json
import os
import queue
import random
import re
import signal
import threading
import time
import urllib.parse

from tests.harness.qf import CONFIG, SLOW, binary, free_port
from tests.harness.svc_notifier import WEBHOOK_SECRET, DINGTALK_SECRET, Receiver

SERVICES = ["intake", "router", "notifier", "disclosure", "audit"]
BINARY = {"intake": "qf-intake", "router": "qf-router", "notifier": "qf-notifier",
          "disclosure": "qf-disclosure", "audit": "qf-audit"}
DEFAULT_PORTS = [8080, 8081, 8082, 8083, 8084, 5551, 5552, 5561, 5562, 5571, 5572,
                 5581, 5582, 5591, 5592, 5593, 2525, 9090]
HTTP = {"intake": 8080, "router": 8081, "notifier": 8082, "disclosure": 8083, "audit": 8084}
BUILDINGS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10", "Y01",
             "S01"]
CATEGORIES = ["facility_repair", "sanitation_hazard", "neighbor_dispute", "public_order"]
OPEN311_KEY = "qf-dev-open311"
STAFF_TOKEN = "qf-dev-s01"
MARK_LETTERS = "bcdfghjkmnpqrstz"   # no v, w, x (WeChat rule), no digits (masker)


def letters(n, width=5):
    out = ""
    for _ in range(width):
        out = MARK_LETTERS[n % 16] + out
        n //= 16
    return out


def env_num(name, default, cast=float):
    v = os.environ.get(name)
    return cast(v) if v not in (None, "") else default


def http_call(port, method, path, body=None, headers=None, timeout=3.0):
    """(status, headers, bytes), raising OSError / HTTPException on failure."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def get_json(port, path, timeout=3.0, headers=None):
    st, _, data = http_call(port, "GET", path, headers=headers, timeout=timeout)
    try:
        return st, json.loads(data.decode("utf-8")) if data else None
    except ValueError:
        return st, None


# ---------------------------------------------------------------- the system

class System:
    """config/*.cfg on free ports in a cluster directory laid out like the
    repository (config/ beside var/); every service restartable."""

    def __init__(self, cluster, env=None, wrap=None):
        """wrap: service -> argv prefix it runs under (nsenter ...)."""
        self.c = cluster
        self.env = dict(env or {})
        self.wrap = dict(wrap or {})
        self.port = {p: free_port() for p in DEFAULT_PORTS}
        self.http = {s: self.port[HTTP[s]] for s in SERVICES}
        self.rx = Receiver(port=self.port[9090], webhook_secret=WEBHOOK_SECRET,
                           dingtalk_secret=DINGTALK_SECRET)
        pat = re.compile(r"(?<![0-9])(%s)(?![0-9])" % "|".join(map(str, DEFAULT_PORTS)))
        for name in os.listdir(CONFIG):
            with open(os.path.join(CONFIG, name), encoding="utf-8") as f:
                text = f.read()
            if name.endswith(".cfg") and name not in ("community.cfg", "staff-tokens.cfg"):
                text = pat.sub(lambda m: str(self.port[int(m.group(1))]), text)
                text = self._adapt(name[:-4], text)
            cluster.write(os.path.join("config", name), text)
        cluster.write(os.path.join("config", "webhook.secret"), WEBHOOK_SECRET + "\n")
        cluster.write(os.path.join("config", "dingtalk.secret"), DINGTALK_SECRET + "\n")
        os.makedirs(cluster.path("var", "keys", "x")[:-2], exist_ok=True)
        cluster.run([binary("qfctl"), "keygen", "--seal", "--out",
                     cluster.path("var", "keys", "notifier-seal")], check=True)
        self.procs = {}
        self.lock = threading.Lock()

    def _adapt(self, svc, text):
        def sub(pattern, repl):
            nonlocal text
            new, k = re.subn(pattern, lambda m: repl, text, count=1, flags=re.S)
            assert k, "config/%s.cfg: no match for %r" % (svc, pattern)
            text = new
        if svc == "intake":
            sub(r"per_ip = \d+;", "per_ip = 0;")
            sub(r"per_phone = \d+;", "per_phone = 0;")
        if svc == "audit":
            sub(r"every_seconds = \d+;", "every_seconds = 1;")
        if svc == "notifier":
            base = "http://127.0.0.1:%d" % self.port[9090]
            sub(r"\nchannels = \(.*?\n\);", """
channels = (
  { name = "mail"; type = "email"; url = "smtp://127.0.0.1:%(smtp)d"; from = "n@lsj.example.cn";
    max_attempts = 2; backoff_ms = 200; backoff_max_ms = 400; timeout_ms = 1000; },
  { name = "hook"; type = "webhook"; url = "%(base)s/hook"; secret_file = "webhook.secret";
    concurrency = 16; max_attempts = 100; backoff_ms = 200; backoff_max_ms = 1000;
    timeout_ms = 3000; },
  { name = "wecom"; type = "wecom"; url = "%(base)s/wecom/send?key=k"; format = "text";
    rate_per_s = 0; max_attempts = 3; backoff_ms = 200; backoff_max_ms = 400; },
  { name = "dingtalk"; type = "dingtalk"; url = "%(base)s/dingtalk/send?access_token=t";
    secret_file = "dingtalk.secret"; format = "markdown"; rate_per_s = 0;
    max_attempts = 3; backoff_ms = 200; backoff_max_ms = 400; },
  { name = "sms"; type = "sms"; url = "%(base)s/sms/send"; method = "POST";
    content_type = "application/json";
    body = "{\\"to\\":\\"{to}\\",\\"content\\":\\"{text}\\",\\"request_id\\":\\"{id}\\"}";
    headers = [ "X-Request-Id: {id}" ]; max_attempts = 3; backoff_ms = 200; backoff_max_ms = 400; },
  { name = "follow-hooks"; type = "webhook"; url = ""; max_attempts = 3; backoff_ms = 200; }
);""" % {"base": base, "smtp": self.port[2525]})
            # the handler hears of each assignment by webhook
            rule = ('recipients = [ "assignee" ]; channels = [ "mail", "wecom" ]; '
                    'template = "case_assigned";')
            assert rule in text, "config/notifier.cfg: the case_assigned rule changed"
            text = text.replace(rule, 'recipients = [ "assignee" ]; channels = [ "hook" ]; '
                                'template = "case_assigned";')
        return text

    def cfg(self, svc):
        return self.c.path("config", svc + ".cfg")

    def start(self, svc, env=None):
        e = dict(self.env)
        e.update(env or {})
        argv = self.wrap.get(svc, []) + [binary(BINARY[svc]), "--config", self.cfg(svc)]
        p = self.c.start(svc, argv,
                         env=e, http_port=self.http[svc])
        with self.lock:
            self.procs[svc] = p
        return p

    def start_all(self, wait=True):
        for s in SERVICES:
            self.start(s)
        if wait:
            for s in SERVICES:
                self.procs[s].wait_ready(timeout=30)

    def ready(self, svc):
        try:
            return http_call(self.http[svc], "GET", "/readyz", timeout=1)[0] == 200
        except (OSError, http.client.HTTPException):
            return False

    def vkey(self):
        """The checkpoint verifier key audit made in its data directory;
        when that directory is out of reach (mounted in another mount
        namespace), the one audit serves at /v1/vkey."""
        d = self.c.path("var", "audit", "x")[:-2]
        keys = [f for f in os.listdir(d) if f.endswith(".vkey")]
        if keys:
            return os.path.join(d, keys[0])
        st, _, body = http_call(self.http["audit"], "GET", "/v1/vkey", timeout=10)
        assert st == 200, st
        return self.c.write("audit-served.vkey", body.decode("utf-8"))

    def stop(self):
        for p in self.procs.values():
            if p.alive():
                try:
                    os.kill(p.pid, signal.SIGCONT)
                except OSError:
                    pass
        self.rx.stop()


# ---------------------------------------------------------------- the load

class Submission:
    __slots__ = ("n", "marker", "key", "kind", "building", "category", "body", "headers",
                 "path", "t_first", "t_ack", "case_id", "attempts", "outcomes", "refused")

    def __init__(self, run, n):
        self.n = n
        self.marker = "qfc%s%s" % (run, letters(n))
        self.key = "chaos-%s-%d" % (run, n)
        self.building = BUILDINGS[n % len(BUILDINGS)]
        self.category = CATEGORIES[(n // len(BUILDINGS)) % len(CATEGORIES)]
        desc = "%s 楼道照明时好时坏，请安排检修。" % self.marker
        address = "%s 单元门口" % self.building
        # two in three through Open311, one through the native API
        self.kind = "native" if n % 3 == 2 else "open311"
        if self.kind == "open311":
            self.path = "/open311/v2/requests.json"
            self.body = urllib.parse.urlencode({
                "api_key": OPEN311_KEY, "service_code": self.category,
                "address_id": self.building, "address_string": address,
                "description": desc, "attribute[consent_public]": "true",
                "attribute[anonymous]": "true"}).encode()
            self.headers = {"Content-Type": "application/x-www-form-urlencoded",
                            "Idempotency-Key": self.key}
        else:
            self.path = "/v1/petitions"
            self.body = json.dumps({
                "category": self.category, "building": self.building, "address": address,
                "description": desc, "channel": "app", "anonymous": True,
                "consent_public": True}, ensure_ascii=False).encode()
            self.headers = {"Content-Type": "application/json", "Idempotency-Key": self.key}
        self.t_first = self.t_ack = None
        self.case_id = None
        self.attempts = 0
        self.outcomes = {}
        self.refused = None

    def answer(self, data):
        """The case id of a 201 answer."""
        j = json.loads(data.decode("utf-8"))
        return j[0]["service_request_id"] if self.kind == "open311" else j["case_id"]


class Load:
    """Submissions at `rate` per second (a (low, high) range: a new rate
    drawn every second), each retried with its Idempotency-Key until
    answered: 201 acknowledges it; a connection error, a timeout (a stopped
    intake), 429 or 503 is retried after a short pause; any other answer is
    a refusal the checker reports."""

    def __init__(self, system, rate=(40, 50), workers=24, timeout=2.0):
        self.s = system
        self.rate = rate
        self.timeout = timeout * SLOW
        self.run_id = "".join(random.choice(MARK_LETTERS) for _ in range(4))
        self.subs = []
        self.unavailable = 0       # 503 answers
        self.no_retry_after = 0    # ... of which without Retry-After
        self.q = queue.Queue()
        self.stop_new = threading.Event()
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        self.gen = threading.Thread(target=self._generate, daemon=True)

    def start(self):
        for t in self.threads:
            t.start()
        self.gen.start()

    def _generate(self):
        n = 0
        t_next = time.time()
        while not self.stop_new.is_set():
            rate = random.uniform(*self.rate)
            for _ in range(max(1, int(round(rate)))):
                if self.stop_new.is_set():
                    break
                sub = Submission(self.run_id, n)
                n += 1
                with self.lock:
                    self.subs.append(sub)
                self.q.put(sub)
                t_next += 1.0 / rate
                d = t_next - time.time()
                if d > 0:
                    time.sleep(d)

    def _work(self):
        port = self.s.http["intake"]
        while True:
            try:
                sub = self.q.get(timeout=0.2)
            except queue.Empty:
                if self.done.is_set():
                    return
                continue
            while True:
                sub.attempts += 1
                if sub.t_first is None:
                    sub.t_first = time.time()
                try:
                    st, hd, data = http_call(port, "POST", sub.path, sub.body, sub.headers,
                                             timeout=self.timeout)
                except (OSError, http.client.HTTPException) as e:
                    st, hd, data = type(e).__name__, {}, b""
                if st == 503:
                    with self.lock:
                        self.unavailable += 1
                        if not hd.get("retry-after"):
                            self.no_retry_after += 1
                sub.outcomes[st] = sub.outcomes.get(st, 0) + 1
                if st == 201:
                    try:
                        sub.case_id = sub.answer(data)
                    except (ValueError, KeyError, IndexError, TypeError):
                        sub.refused = (st, data[:300].decode("utf-8", "replace"))
                        break
                    sub.t_ack = time.time()
                    break
                if st not in (429, 503) and not isinstance(st, str):
                    sub.refused = (st, data[:300].decode("utf-8", "replace"))
                    break
                time.sleep(random.uniform(0.05, 0.25))

    def stop(self, timeout=60):
        """No new submissions; wait until every one started is answered."""
        self.stop_new.set()
        self.gen.join()
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline and any(s.t_ack is None and s.refused is None
                                             for s in self.subs):
            time.sleep(0.2)
        self.done.set()
        for t in self.threads:
            t.join(5)

    def acked(self):
        return [s for s in self.subs if s.t_ack is not None]


# ---------------------------------------------------------------- the faults

class Nemesis:
    """Every `every` seconds (a range) a random service gets SIGKILL and is
    started again `down` seconds later, or gets SIGSTOP and SIGCONT `down`
    seconds later. Only the processes this test started are touched. For
    each fault, the time from the restart (or SIGCONT) until the service's
    /readyz answers 200 again is measured."""

    def __init__(self, system, every=(2, 5), down=(0.2, 2), kinds=("kill", "stop"),
                 services=SERVICES):
        self.s = system
        self.every, self.down, self.kinds, self.services = every, down, kinds, list(services)
        self.faults = []     # dicts: t, service, kind, down_s, ready_s
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.t_end = None

    def start(self):
        self.thread.start()

    def _run(self):
        while not self.halt.wait(random.uniform(*self.every)):
            svc = random.choice(self.services)
            kind = random.choice(self.kinds)
            down = random.uniform(*self.down)
            p = self.s.procs[svc]
            f = {"t": time.time(), "service": svc, "kind": kind, "down_s": down,
                 "ready_s": None}
            if kind == "kill":
                p.kill()
                time.sleep(down)
                self.s.start(svc)
            else:
                p.signal(signal.SIGSTOP)
                time.sleep(down)
                p.signal(signal.SIGCONT)
            f["t_restored"] = time.time()
            self.faults.append(f)
            threading.Thread(target=self._measure, args=(f,), daemon=True).start()
        self.t_end = time.time()

    def _measure(self, f):
        deadline = f["t_restored"] + 120 * SLOW
        while time.time() < deadline:
            if self.s.ready(f["service"]):
                f["ready_s"] = time.time() - f["t_restored"]
                return
            time.sleep(0.05)

    def stop(self):
        self.halt.set()
        self.thread.join()
        if self.t_end is None:
            self.t_end = time.time()
        # every service alive and running again
        for svc, p in self.s.procs.items():
            if not p.alive():
                self.s.start(svc)

    def summary(self):
        by = {}
        for f in self.faults:
            k = "%s %s" % (f["kind"], f["service"])
            by[k] = by.get(k, 0) + 1
        return by


# ---------------------------------------------------------------- observing

class Monitor:
    """Watches, about once a second and only through public interfaces,
    when each acknowledged case shows up: its PETITION_SUBMITTED and
    CASE_ASSIGNED leaves in the audit log (/v1/leaves, read onwards) and its
    assigned state on the public board (newest pages first, until every
    pending case is found). The webhook receiver timestamps notifications
    itself. Errors (a service down or stopped) are skipped: next round."""

    def __init__(self, system, load, interval=1.0):
        self.s, self.load, self.interval = system, load, interval
        self.leaf_next = 0
        self.hooks = {}
        self.seen = {}       # case id -> {"submitted": t, "assigned": t, "board": t}
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.halt.set()
        self.thread.join()

    def _mark(self, cid, what, t):
        self.seen.setdefault(cid, {}).setdefault(what, t)

    def poll(self):
        now = time.time()
        self.hooks = hook_deliveries(self.s.rx)
        try:
            self._leaves(now)
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            pass
        try:
            self._board(now)
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            pass

    def _run(self):
        while not self.halt.wait(self.interval):
            self.poll()

    def _leaves(self, now):
        port = self.s.http["audit"]
        while True:
            st, j = get_json(port, "/v1/leaves?from=%d&limit=1000" % self.leaf_next)
            if st != 200:
                return
            for leaf in j["leaves"]:
                if leaf["type"] == "PETITION_SUBMITTED":
                    self._mark(leaf["case_id"], "submitted", now)
                elif leaf["type"] == "CASE_ASSIGNED":
                    self._mark(leaf["case_id"], "assigned", now)
            self.leaf_next += len(j["leaves"])
            if j.get("next") is None or not j["leaves"]:
                return

    def _board(self, now):
        pending = {s.case_id: s for s in self.load.acked()
                   if "board" not in self.seen.get(s.case_id, {})}
        if not pending:
            return
        oldest = min(s.t_first for s in pending.values()) - 30
        port = self.s.http["disclosure"]
        page = 1
        while pending:
            st, j = get_json(port, "/v1/public/cases?page_size=100&page=%d" % page)
            if st != 200:
                return
            for it in j["items"]:
                if it["id"] in pending and it["state"] == "assigned":
                    self._mark(it["id"], "board", now)
                    pending.pop(it["id"])
            if page >= j.get("pages", 1) or not j["items"]:
                return
            if j["items"][-1]["submitted_ms"] / 1000.0 < oldest:
                return
            page += 1

    def complete_at(self, cid):
        """When every effect of a case was first seen (None: not yet)."""
        seen = self.seen.get(cid, {})
        hook = min((min(ts) for ts in self.hooks.get(cid, {}).values()), default=None)
        ts = [seen.get(k) for k in ("submitted", "assigned", "board")] + [hook]
        return None if None in ts else max(ts)


def hook_deliveries(rx):
    """case id -> {delivery id: [arrival times]} of CASE_ASSIGNED webhooks."""
    out = {}
    for r in rx.requests("/hook"):
        j = r.get("json") or {}
        if j.get("event") != "CASE_ASSIGNED" or not j.get("case_id"):
            continue
        did = r["headers"].get("x-qf-delivery") or j.get("delivery_id")
        out.setdefault(j["case_id"], {}).setdefault(did, []).append(r["time"])
    return out


# ---------------------------------------------------------------- checking

class Checker:
    """After the faults stop: wait (at most `bound` seconds) until every
    acknowledged submission is complete, then read everything back and
    judge, per acknowledged submission, that it is

      assigned     the router's staff view says "assigned"
      on the board exactly one public case carries its id, in state
                   assigned, and no other case carries its marker
      in the log   its case history at audit holds one PETITION_SUBMITTED
                   and one CASE_ASSIGNED leaf
      notified     the handler's webhook received exactly one delivery id
                   for its CASE_ASSIGNED (a delivery id received again is a
                   redelivery: at-least-once to the outside, deduplicated
                   by X-QF-Delivery, counted but not a double)

    and that nothing else exists: no case with the run's marker that no
    submission was acknowledged for, no PETITION_SUBMITTED leaf of an
    unknown case. `qfctl audit verify` must pass."""

    def __init__(self, system, load, nemesis, monitor):
        self.s, self.load, self.nem, self.mon = system, load, nemesis, monitor

    def wait_complete(self, bound):
        t0 = self.nem.t_end
        acked = self.load.acked()
        deadline = t0 + bound * SLOW
        while True:
            self.mon.poll()
            done = [self.mon.complete_at(s.case_id) for s in acked]
            if None not in done or time.time() > deadline:
                return done
            time.sleep(0.3)

    def board(self):
        items, page = [], 1
        while True:
            st, j = get_json(self.s.http["disclosure"],
                             "/v1/public/cases?page_size=100&page=%d" % page, timeout=10)
            assert st == 200, (st, j)
            items += j["items"]
            if page >= j.get("pages", 1):
                return items
            page += 1

    def leaves(self):
        out, start = [], 0
        while True:
            st, j = get_json(self.s.http["audit"], "/v1/leaves?from=%d&limit=1000" % start,
                             timeout=10)
            assert st == 200, (st, j)
            out += j["leaves"]
            if j.get("next") is None:
                return out
            start = j["next"]

    def run(self, bound=30):
        r = {"bound_s": bound}
        acked = self.load.acked()
        self.mon.stop()   # from here on, polled by this thread alone
        done = self.wait_complete(bound)
        t0 = self.nem.t_end
        incomplete = [s for s, t in zip(acked, done) if t is None]
        r["converged_s"] = (max(0.0, max(done) - t0) if acked and not incomplete else None)
        heal = [t - s.t_ack for s, t in zip(acked, done) if t is not None]
        r["longest_ack_to_complete_s"] = max(heal) if heal else None
        ready = [f["ready_s"] for f in self.nem.faults if f["ready_s"] is not None]
        r["longest_fault_to_ready_s"] = max(ready) if ready else None
        r["faults_unhealed"] = [f for f in self.nem.faults if f["ready_s"] is None]

        # read everything back
        board = self.board()
        leaves = self.leaves()
        hooks = hook_deliveries(self.s.rx)
        by_id, by_marker = {}, {}
        prefix = "qfc" + self.load.run_id
        for it in board:
            by_id.setdefault(it["id"], []).append(it)
            m = re.search(prefix + "[%s]{5}" % MARK_LETTERS, it.get("title") or "")
            if m:
                by_marker.setdefault(m.group(0), []).append(it["id"])
        subs_leaves = {}
        for leaf in leaves:
            if leaf["type"] == "PETITION_SUBMITTED":
                subs_leaves[leaf["case_id"]] = subs_leaves.get(leaf["case_id"], 0) + 1
        lost, doubled, why = set(), set(), {}

        def bad(kind, sub, reason):
            kind.add(sub.key)
            why.setdefault(sub.key, []).append(reason)
        acked_ids = {s.case_id for s in acked}
        for sub in acked:
            cid = sub.case_id
            items = by_id.get(cid, [])
            if not items:
                bad(lost, sub, "not on the board")
            elif len(items) > 1:
                bad(doubled, sub, "on the board %d times" % len(items))
            elif items[0]["state"] != "assigned":
                bad(lost, sub, "on the board as %s" % items[0]["state"])
            ids = set(by_marker.get(sub.marker, []))
            if ids - {cid}:
                bad(doubled, sub, "its marker is on other cases too: %s" % sorted(ids - {cid}))
            if items and sub.marker not in (items[0].get("title") or ""):
                bad(lost, sub, "the board's title lacks the marker: %r" % items[0].get("title"))
            st, h = get_json(self.s.http["audit"], "/v1/cases/%s/history" % cid, timeout=10)
            types = [l["type"] for l in (h or {}).get("leaves", [])] if st == 200 else []
            for t in ("PETITION_SUBMITTED", "CASE_ASSIGNED"):
                n = types.count(t)
                if n == 0:
                    bad(lost, sub, "no %s in the audit log" % t)
                elif n > 1:
                    bad(doubled, sub, "%s %d times in the audit log" % (t, n))
            st, c = get_json(self.s.http["router"], "/v1/cases/" + cid, timeout=10,
                             headers={"Authorization": "Bearer " + STAFF_TOKEN})
            if st != 200 or c.get("state") != "assigned":
                bad(lost, sub, "router: %s %s" % (st, (c or {}).get("state")))
            d = hooks.get(cid, {})
            if not d:
                bad(lost, sub, "the handler was not notified")
            elif len(d) > 1:
                bad(doubled, sub, "the handler was notified by %d deliveries" % len(d))
        extra = sorted(set(subs_leaves) - acked_ids)
        extra_board = sorted(i for m, ids in by_marker.items() for i in ids if i not in acked_ids)
        r["redelivered"] = sum(len(ts) - 1 for d in hooks.values() for ts in d.values())
        r["acknowledged"] = len(acked)
        r["submitted"] = len(self.load.subs)
        r["refused"] = [(s.key, s.refused) for s in self.load.subs if s.refused]
        r["unanswered"] = [s.key for s in self.load.subs if s.t_ack is None and not s.refused]
        r["retried"] = sum(1 for s in self.load.subs if s.attempts > 1)
        r["lost"] = sorted(lost)
        r["doubled"] = sorted(doubled)
        r["extra_cases"] = extra + [i for i in extra_board if i not in extra]
        r["why"] = why
        r["faults"] = len(self.nem.faults)
        r["faults_by"] = self.nem.summary()
        r["leaves"] = len(leaves)
        # the log verifies: signature, every tile, every producer's stream
        self.s.procs["audit"].request("POST", "/v1/checkpoint",
                                      headers={"Authorization": "Bearer qf-dev-s01"})
        v = self.s.c.run([binary("qfctl"), "audit", "verify", "--url",
                          "http://127.0.0.1:%d" % self.s.http["audit"], "--vkey", self.s.vkey()],
                         timeout=300)
        r["verify_rc"] = v.returncode
        r["verify"] = (v.stdout + v.stderr).strip().splitlines()[-1:] if v.returncode == 0 \
            else (v.stdout + v.stderr).strip().splitlines()[-10:]
        return r


def figures(r, seconds, rate):
    """The report, one figure per line (printed by the tests)."""
    f = lambda x: "-" if x is None else "%.1f s" % x  # noqa: E731
    by = ", ".join("%s %d" % kv for kv in sorted(r["faults_by"].items()))
    return "\n".join([
        "[chaos] %d s of faults at %s submissions/s" % (seconds, "%g-%g" % tuple(rate)),
        "[chaos] faults injected:   %d (%s)" % (r["faults"], by),
        "[chaos] submitted:         %d (%d retried at least once)" % (r["submitted"], r["retried"]),
        "[chaos] acknowledged:      %d" % r["acknowledged"],
        "[chaos] lost:              %d" % len(r["lost"]),
        "[chaos] doubled:           %d (+%d cases nobody was told of)" % (
            len(r["doubled"]), len(r["extra_cases"])),
        "[chaos] refused/unanswered: %d / %d" % (len(r["refused"]), len(r["unanswered"])),
        "[chaos] webhook redeliveries (same delivery id): %d" % r["redelivered"],
        "[chaos] longest fault to ready: %s" % f(r["longest_fault_to_ready_s"]),
        "[chaos] longest ack to complete: %s" % f(r["longest_ack_to_complete_s"]),
        "[chaos] healed after the faults stopped in: %s (bound %d s)" % (
            f(r["converged_s"]), r["bound_s"]),
        "[chaos] audit log: %d leaves; qfctl audit verify: %s" % (
            r["leaves"], " ".join(r["verify"])),
    ])
