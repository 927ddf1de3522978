"""svc_intake.py: start qf-intake for integration tests.

    with Cluster("intake") as c:
        router = Emitter(c, "router")            # stands in for the router
        it = IntakeService(c, router=router)     # writes a config, starts, waits
        st, body = it.petition(SAMPLE)           # POST /v1/petitions
        ...

Each IntakeService gets free ports, its own data folder, copies of the
community and staff-token files, and a fresh notifier sealing key pair made
by `qfctl keygen --seal`, so tests can open the sealed contacts in events
(seal_open: libsodium itself, through ctypes).
"""
import json
import os
import subprocess
from types import SimpleNamespace

from tests.harness.qf import (BIN, CONFIG, DATA, SLOW, Cluster, binary,  # noqa: F401
                              free_port, source_block, wait_until)

TOKENS = {
    "secretary": "qf-dev-s01",
    "supervisor": "qf-dev-s02",
    "staff": "qf-dev-s03",
    "head1": "qf-dev-s04",
    "head2": "qf-dev-s05",
    "head3": "qf-dev-s06",
    "civil": "qf-dev-s07",
    "order": "qf-dev-s08",
}
OPEN311_KEY = "qf-test-open311-key"


def bearer(who):
    return {"Authorization": "Bearer " + TOKENS.get(who, who)}


def sample_petitions():
    """The lines of tests/data/petitions.jsonl as dicts."""
    with open(os.path.join(DATA, "petitions.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


SAMPLE = {
    "category": "facility_repair", "building": "B03", "address": "3栋2单元楼道",
    "description": "3栋2单元楼道的声控灯坏了一个星期，晚上上下楼很不方便。",
    "name": "吴晓明", "phone": "13912345678", "channel": "app", "anonymous": False,
}


class IntakeService:
    """One qf-intake process with its own config, ports and data."""

    def __init__(self, cluster, name="intake", router=None, settings=None, env=None,
                 start=True, seal=True, sections=None, audit=None):
        self.c = cluster
        self.name = name
        self.http_port = free_port()
        self.pub = "tcp://127.0.0.1:%d" % free_port()
        self.replay = "tcp://127.0.0.1:%d" % free_port()
        self.data = cluster.path(name, "data", "x")[:-2]
        self.router = router
        self.audit = audit  # a second source, its alerts only, when given
        self.env = env or {}
        d = os.path.dirname(cluster.path(name, "cfg", "x"))
        self.cfg_dir = d
        for f in ("community.cfg", "staff-tokens.cfg"):
            with open(os.path.join(CONFIG, f), encoding="utf-8") as src, \
                    open(os.path.join(d, f), "w", encoding="utf-8") as dst:
                dst.write(src.read())
        self.seal_prefix = os.path.join(d, "notifier-seal")
        if seal:
            subprocess.run([binary("qfctl"), "keygen", "--seal", "--out", self.seal_prefix],
                           check=True, capture_output=True)
        s = {
            "intake.action_wait_ms": 2000,
            "ratelimit.per_ip": 0,
            "ratelimit.per_phone": 0,
            "ratelimit.follow_per_ip": 0,
        }
        s.update(settings or {})
        self.settings = s
        self.sections = sections or {}
        self.config = os.path.join(d, "intake.cfg")
        self.write_config()
        self.proc = None
        if start:
            self.start()

    # ------------------------------------------------------------ config
    def write_config(self):
        s = self.settings
        groups = {}
        for k, v in s.items():
            g, key = k.split(".", 1)
            groups.setdefault(g, {})[key] = v

        def lit(v):
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, (int, float)):
                return str(v)
            if isinstance(v, list):
                return "[ " + ", ".join(lit(x) for x in v) + " ]"
            return json.dumps(v, ensure_ascii=False)

        srcs = [self.router] if self.router else []
        if self.audit:
            srcs.append(SimpleNamespace(name="audit", pub=self.audit.pub,
                                        replay=self.audit.replay, accepts=["AUDIT_ALERT"]))
        sources = source_block(*srcs) if srcs else "sources = ( );"
        lines = [
            'service = { node = "%s"; data_dir = "%s"; log_level = "debug"; '
            'community = "community.cfg"; };' % (self.name, self.data),
            'http = { bind = "127.0.0.1"; port = %d; threads = 4; };' % self.http_port,
            'bus = { partitions = 16; pub = "%s"; replay = "%s"; heartbeat_ms = 200; %s };'
            % (self.pub, self.replay, sources),
            'store = { map_size_mb = 64; };',
        ]
        if "open311" not in self.sections:
            lines.append('open311 = { enabled = true; jurisdiction_id = "lsj"; '
                         'base_url = "http://127.0.0.1:%d"; api_keys = ( { client = "test-app"; '
                         'key = "%s"; } ); };' % (self.http_port, OPEN311_KEY))
        intake = {"tokens": "staff-tokens.cfg"}
        intake.update(groups.pop("intake", {}))
        body = "".join("%s = %s; " % (k, lit(v)) for k, v in intake.items())
        seal = ('seal_to = ( { recipient = "notifier"; public_key_file = "notifier-seal.pub"; '
                'required = true; } );' if os.path.exists(self.seal_prefix + ".pub") else "")
        lines.append("intake = { %s %s };" % (body, seal))
        for g, kv in groups.items():
            lines.append("%s = { %s };" % (g, "".join("%s = %s; " % (k, lit(v))
                                                       for k, v in kv.items())))
        for g, text in self.sections.items():
            lines.append("%s = { %s };" % (g, text))
        with open(self.config, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    # ------------------------------------------------------------ process
    def start(self, wait=True):
        self.proc = self.c.start(self.name, [binary("qf-intake"), "--config", self.config],
                                 env=self.env, http_port=self.http_port)
        if wait:
            self.proc.wait_ready(path="/readyz" if self.router else "/healthz")
        return self.proc

    def stop(self):
        """SIGTERM and wait; returns the exit code (0 expected: sanitizer
        builds exit non-zero on a leak or an error found at exit)."""
        return self.proc.stop()

    def restart(self):
        self.proc.stop()
        return self.start()

    def kill(self):
        self.proc.kill()

    def check_config(self):
        return self.c.run([binary("qf-intake"), "--config", self.config, "--check-config"])

    # ------------------------------------------------------------ http
    def request(self, method, path, body=None, headers=None, timeout=10):
        return self.proc.request(method, path, body, headers, timeout)

    def json(self, method, path, body=None, headers=None, timeout=10):
        return self.proc.json(method, path, body, headers, timeout)

    def petition(self, body=None, headers=None):
        return self.json("POST", "/v1/petitions", body if body is not None else dict(SAMPLE),
                         headers)

    def track(self, code, secret):
        return self.json("GET", "/v1/track/%s" % code, headers={"X-Tracking-Secret": secret})

    def action(self, case_id, who, body, headers=None):
        h = bearer(who)
        h.update(headers or {})
        return self.json("POST", "/v1/cases/%s/actions" % case_id, body, h)

    def assign(self, case_id, staff, building="B03"):
        """The router's CASE_ASSIGNED, as intake consumes it (the test's
        Emitter stands in for the router), and wait until intake has it:
        staff act only on what they handle (the access policy)."""
        assert self.router is not None, "assign needs IntakeService(router=Emitter(...))"
        self.router.emit("CASE_ASSIGNED", key=building, case_id=case_id, payload={
            "case_id": case_id, "from_state": "STATE_SUBMITTED", "to_state": "STATE_ASSIGNED",
            "assignee": staff, "building": building, "actor": {"role": "system"}})
        wait_until(lambda: self.json("GET", "/v1/cases/" + case_id,
                                     headers=bearer("supervisor"))[1].get("assignee") == staff,
                   timeout=10, what="the assignment of %s" % case_id)

    # ------------------------------------------------------------ events
    def watch(self, seconds=None, types=None, count=None):
        """Every event intake published so far (qfctl watch --from-start):
        replay of the whole history over loopback takes well under a second;
        the watcher stops at `count` events or after `seconds`."""
        if seconds is None:
            seconds = max(1, int(round(1.2 * SLOW)))
        argv = [binary("qfctl"), "watch", "--from-start", "--json", "--timeout", str(seconds)]
        if types:
            argv += ["--type", ",".join(types)]
        if count:
            argv += ["--count", str(count)]
        argv.append("%s,%s" % (self.pub, self.replay))
        r = self.c.run(argv, timeout=seconds + 30)
        out = []
        for line in r.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def wait_events(self, n, types=None, timeout=10):
        """Watch until at least n events (of types) are seen."""
        got = []

        def enough():
            got[:] = self.watch(types=types, count=n)
            return len(got) >= n
        wait_until(enough, timeout=timeout, interval=0.1, what="%d events" % n)
        return got


# ---------------------------------------------------------------- helpers

def jpeg(n=600, seed=1):
    """Bytes that are a JPEG by magic number (content is arbitrary)."""
    body = bytes((i * 31 + seed) & 0xFF for i in range(n))
    return b"\xff\xd8\xff\xe0" + body


def png(n=600, seed=2):
    body = bytes((i * 17 + seed) & 0xFF for i in range(n))
    return b"\x89PNG\r\n\x1a\n" + body


def multipart(fields, files=(), boundary="qfBoundary7MA4YWxkTrZu0gW"):
    """(body bytes, content type) for fields {name: value or [values]} and
    files [(field, filename, content_type, bytes)]."""
    out = []
    for k, v in fields.items():
        for x in (v if isinstance(v, list) else [v]):
            out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                        % (boundary, k)).encode() + str(x).encode("utf-8") + b"\r\n")
    for field, name, ctype, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (boundary, field, name, ctype)).encode("utf-8")
                   + data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=%s" % boundary


def seal_open(prefix, sealed_hex):
    """Open a box sealed to the key pair at prefix (.pub/.key) through
    libsodium itself (ctypes), in intake's format (common/qf_seal.h:
    "QS2" || sender key || nonce || crypto_box) or a classic crypto_box_seal
    box; returns the plaintext bytes or None."""
    import ctypes
    import ctypes.util
    so = ctypes.CDLL(ctypes.util.find_library("sodium"))
    so.sodium_init()
    with open(prefix + ".pub") as f:
        pk = bytes.fromhex(f.read().strip())
    with open(prefix + ".key") as f:
        sk = bytes.fromhex(f.read().strip())
    c = bytes.fromhex(sealed_hex)
    if c[:3] == b"QS2" and len(c) >= 75:
        m = ctypes.create_string_buffer(len(c) - 75)
        rc = so.crypto_box_open_easy(m, c[59:], ctypes.c_ulonglong(len(c) - 59), c[35:59],
                                     c[3:35], sk)
        if rc == 0:
            return m.raw
    if len(c) < 48:
        return None
    m = ctypes.create_string_buffer(len(c) - 48)
    rc = so.crypto_box_seal_open(m, c, ctypes.c_ulonglong(len(c)), pk, sk)
    return m.raw if rc == 0 else None


def events_of(events, type_):
    return [e for e in events if e.get("type") == type_]
