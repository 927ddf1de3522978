"""svc_audit.py: start qf-audit in a Cluster, feed it other producers'
events, and check what it serves with an independent implementation of the
formats (RFC 9162 hashing and proofs, C2SP checkpoints, signed notes and
tiles) written here in Python, so the tests do not trust the code under test.

    with Cluster("audit") as c:
        intake = Emitter(c, "intake")
        a = Audit(c, [intake])
        intake.emit("PETITION_SUBMITTED", key="B01", case_id=cid, payload={...})
        a.wait_size(1)
        r = a.verify()                   # qfctl audit verify against it
"""
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import urllib.error
import urllib.request

from tests.harness.qf import (SLOW, Emitter, _live, binary, free_port, sanitizer_env,
                              source_block, wait_until)

# ------------------------------------------------------------ RFC 9162 model


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def _k(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(hashes):
    """MTH over a list of leaf hashes, by the RFC's recursive definition."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = _k(n)
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 2.1.3.2; True when valid."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, root1, root2, proof):
    """RFC 9162 2.1.4.2 for 0 < first < second; True when valid."""
    if not 0 < first < second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path = [root1] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


# ------------------------------------------------------------ C2SP formats


def tile_path(level, index, width=256):
    """C2SP tlog-tiles path of a tile: tile/0/x001/234.p/5."""
    groups = []
    n = index
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    parts = ["x%03d" % g for g in groups[:-1]] + ["%03d" % groups[-1]]
    p = "tile/%s/%s" % (level, "/".join(parts))
    if width < 256:
        p += ".p/%d" % width
    return p


def parse_bundle(data):
    out, i = [], 0
    while i < len(data):
        (n,) = struct.unpack(">H", data[i:i + 2])
        out.append(data[i + 2:i + 2 + n])
        i += 2 + n
    return out


def parse_checkpoint(note):
    """(origin, size, root bytes, key name, signature bytes) of a note."""
    text, _, sigs = note.rpartition("\n\n")
    lines = text.split("\n")
    sig = sigs.strip("\n").split("\n")[0]
    assert sig.startswith("\u2014 "), sig
    name, b64 = sig[2:].split(" ")
    return lines[0], int(lines[1]), base64.b64decode(lines[2]), name, base64.b64decode(b64)


def key_hash(name, pubkey):
    return hashlib.sha256(name.encode() + b"\n\x01" + pubkey).digest()[:4]


def parse_vkey(vkey):
    name, h, k = vkey.strip().split("+", 2)
    raw = base64.b64decode(k)
    assert raw[0] == 1 and len(raw) == 33
    assert key_hash(name, raw[1:]).hex() == h
    return name, bytes.fromhex(h), raw[1:]


# ------------------------------------------------------------ the service


def _group(defaults, given):
    d = dict(defaults)
    d.update(given or {})
    return " ".join("%s = %s;" % (k, json.dumps(v) if isinstance(v, str) else
                                  ("true" if v is True else "false" if v is False else v))
                    for k, v in d.items())


def audit_config(cluster, sources, name="audit", http_port=None, data_dir=None,
                 checkpoint=None, alerts=None, partitions=16):
    """Write a configuration; checkpoint and alerts are dicts of settings
    over the test defaults (fast timers)."""
    http_port = http_port or free_port()
    pub = "tcp://127.0.0.1:%d" % free_port()
    replay = "tcp://127.0.0.1:%d" % free_port()
    data_dir = data_dir or "data/%s" % name
    text = """
service = { node = "audit"; data_dir = "%(data)s"; log_level = "debug"; };
http = { port = %(http)d; threads = 2; };
bus = { pub = "%(pub)s"; replay = "%(replay)s"; heartbeat_ms = 200;
        partitions = %(parts)d; %(sources)s };
checkpoint = { %(ckpt)s };
alerts = { %(alerts)s };
""" % {"data": data_dir, "http": http_port, "pub": pub, "replay": replay,
       "parts": partitions, "sources": source_block(*sources) if sources else "",
       "ckpt": _group({"every_entries": 1000, "every_seconds": 1}, checkpoint),
       "alerts": _group({"contact_view_grace_s": 1, "gap_alert_s": 2}, alerts)}
    path = cluster.write("%s.cfg" % name, text)
    return path, http_port, pub, replay, os.path.join(cluster.dir, data_dir)


class Audit:
    """A running qf-audit (Proc-like: request/json through .proc)."""

    def __init__(self, cluster, sources, name="audit", checkpoint=None, alerts=None,
                 data_dir=None, wait=True):
        self.c = cluster
        self.name = name
        (self.cfg, self.http_port, self.pub, self.replay,
         self.data_dir) = audit_config(cluster, sources, name=name, data_dir=data_dir,
                                       checkpoint=checkpoint, alerts=alerts)
        self.url = "http://127.0.0.1:%d" % self.http_port
        self.proc = None
        self.start(wait)

    def start(self, wait=True):
        self.proc = self.c.start(self.name, [binary("qf-audit"), "--config", self.cfg],
                                 http_port=self.http_port)
        if wait:
            self.proc.wait_ready(path="/healthz")
        return self

    def stop(self):
        return self.proc.stop()

    def kill(self):
        self.proc.kill()

    def restart(self):
        self.stop()
        return self.start()

    # ------------------------------------------------------ reading
    def json(self, path, method="GET", body=None):
        return self.proc.json(method, path, body)

    def get(self, path):
        st, hd, body = self.proc.request("GET", path)
        return st, hd, body

    def size(self):
        st, j = self.json("/v1/log")
        return j["size"] if st == 200 else -1

    def wait_size(self, n, timeout=20):
        wait_until(lambda: self.size() >= n, timeout=timeout, what="audit size %d" % n)
        return self.size()

    def checkpoint(self):
        st, _, body = self.get("/checkpoint")
        assert st == 200, st
        return body.decode("utf-8")

    def wait_checkpoint(self, size, timeout=20):
        def ok():
            o, s, r, n, sig = parse_checkpoint(self.checkpoint())
            return s >= size
        wait_until(ok, timeout=timeout, what="checkpoint of size %d" % size)
        return self.checkpoint()

    def vkey(self):
        with open(os.path.join(self.data_dir, "checkpoint.vkey")) as f:
            return f.read().strip()

    def vkey_path(self):
        return os.path.join(self.data_dir, "checkpoint.vkey")

    def entries(self, size):
        """Every leaf's bytes up to size, through the entry bundles."""
        out = []
        for b in range((size + 255) // 256):
            w = min(256, size - b * 256)
            st, _, body = self.get("/" + tile_path("entries", b, w))
            assert st == 200, (st, body)
            got = parse_bundle(body)
            assert len(got) == w
            out.extend(got)
        return out

    def alerts(self, **q):
        qs = "&".join("%s=%s" % kv for kv in q.items())
        st, j = self.json("/v1/alerts" + ("?" + qs if qs else ""))
        assert st == 200, (st, j)
        return j["alerts"]

    def wait_alerts(self, n, timeout=20, **q):
        return wait_until(lambda: len(self.alerts(**q)) >= n and self.alerts(**q),
                          timeout=timeout, what="%d alerts %r" % (n, q))

    # ------------------------------------------------------ qfctl
    def qfctl(self, *args, timeout=120):
        return self.c.run([binary("qfctl")] + list(args), timeout=timeout)

    def verify(self, *extra, url=None, vkey=None):
        return self.qfctl("audit", "verify", "--url", url or self.url,
                          "--vkey", vkey or self.vkey_path(), *extra)


# ------------------------------------------------------------ a tampering mirror


class Mirror:
    """A tiny HTTP server that serves what the audit service serves, except
    where a test tells it to alter a path's answer (a tampered copy)."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.alter = {}  # path -> function(bytes) -> bytes
        mirror = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                try:
                    with urllib.request.urlopen(mirror.upstream + self.path, timeout=30) as r:
                        status, body = r.status, r.read()
                        ctype = r.headers.get("Content-Type", "application/octet-stream")
                except urllib.error.HTTPError as e:
                    status, body, ctype = e.code, e.read(), "application/json"
                path = self.path.split("?")[0]
                if status == 200 and path in mirror.alter:
                    body = mirror.alter[path](body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d" % self.port

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class EmitterAt(Emitter):
    """An Emitter on given endpoints and store (to bring a producer back on
    the same ports, e.g. with a wiped store: a new incarnation)."""

    def __init__(self, cluster, name, pub, replay, store):
        self.name = name
        self.pub, self.replay = pub, replay
        argv = [binary("qf-test-emit"), "--dir", store, "--pub", pub, "--replay", replay,
                "--name", name, "--partitions", "16"]
        e = sanitizer_env(dict(os.environ))
        self.log = open(cluster.path("emit-%s-at.log" % name), "ab")
        self.popen = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self.log, env=e, cwd=cluster.dir,
                                      start_new_session=True, text=True)
        line = self.popen.stdout.readline().strip()
        if line != "ready":
            raise AssertionError("qf-test-emit did not start: %r" % line)
        cluster.procs.append(self)
        _live.append(self)


class Source:
    """A bus source for a configuration (e.g. a dead replay endpoint)."""

    def __init__(self, name, pub, replay):
        self.name, self.pub, self.replay = name, pub, replay
