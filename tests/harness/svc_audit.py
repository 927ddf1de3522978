"""svc_audit.py: start qf-audit in a Cluster, feed it other producers'
events, and check what it serves with an independent implementation of the
formats (RFC 9162 hashing and proofs, C2SP checkpoints, signed notes and
tiles, the private-part commitment and receipts) written here in Python, so
the tests do not trust the code under test.

    with Cluster("audit") as c:
        intake = PrivEmitter(c, "intake")
        a = Audit(c, [intake])
        intake.emit("PETITION_SUBMITTED", key="B01", case_id=cid, payload={...})
        ev = intake.emit_whole("PETITION_SUBMITTED", ...)   # public + private
        a.wait_size(2)
        r = a.verify()                   # qfctl audit verify against it
        check_receipt(a.url, a.vkey(), ev.receipt())
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
import urllib.parse
import urllib.request

from tests.harness.qf import (CONFIG, SLOW, Emitter, _live, binary, free_port,
                              sanitizer_env, source_block, wait_until)

try:  # python3-cryptography (tools/install-deps.sh test): an independent Ed25519
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover
    Ed25519PublicKey = None

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
                 checkpoint=None, alerts=None, partitions=16, public=True, tokens=True):
    """Write a configuration; checkpoint and alerts are dicts of settings
    over the test defaults (fast timers). public: a public event stream on a
    free port; tokens: staff tokens (config/staff-tokens.cfg, so the
    development tokens qf-dev-s01.. work) for private reads."""
    for f in ("community.cfg", "staff-tokens.cfg"):
        if not os.path.exists(os.path.join(cluster.dir, f)):
            shutil.copy(os.path.join(CONFIG, f), os.path.join(cluster.dir, f))
    http_port = http_port or free_port()
    pub = "tcp://127.0.0.1:%d" % free_port()
    replay = "tcp://127.0.0.1:%d" % free_port()
    public_ep = "tcp://127.0.0.1:%d" % free_port() if public else ""
    data_dir = data_dir or "data/%s" % name
    text = """
service = { node = "audit"; data_dir = "%(data)s"; log_level = "debug";
            community = "community.cfg"; };
http = { port = %(http)d; threads = 2; };
bus = { pub = "%(pub)s"; replay = "%(replay)s"; heartbeat_ms = 200;
        partitions = %(parts)d; %(sources)s };
checkpoint = { %(ckpt)s };
alerts = { %(alerts)s };
public = { pub = "%(public)s"; };
access = { tokens_file = "%(tokens)s"; };
""" % {"data": data_dir, "http": http_port, "pub": pub, "replay": replay,
       "parts": partitions, "sources": source_block(*sources) if sources else "",
       "ckpt": _group({"every_entries": 1000, "every_seconds": 1}, checkpoint),
       "alerts": _group({"contact_view_grace_s": 1, "gap_alert_s": 2}, alerts),
       "public": public_ep, "tokens": "staff-tokens.cfg" if tokens else ""}
    path = cluster.write("%s.cfg" % name, text)
    return path, http_port, pub, replay, os.path.join(cluster.dir, data_dir), public_ep


class Audit:
    """A running qf-audit (Proc-like: request/json through .proc)."""

    def __init__(self, cluster, sources, name="audit", checkpoint=None, alerts=None,
                 data_dir=None, wait=True, public=True, tokens=True):
        self.c = cluster
        self.name = name
        (self.cfg, self.http_port, self.pub, self.replay, self.data_dir,
         self.public) = audit_config(cluster, sources, name=name, data_dir=data_dir,
                                     checkpoint=checkpoint, alerts=alerts,
                                     public=public, tokens=tokens)
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
    def json(self, path, method="GET", body=None, token=None):
        h = {"Authorization": "Bearer " + token} if token else None
        return self.proc.json(method, path, body, h)

    def sign_now(self):
        """POST /v1/checkpoint as the secretary (checkpoint.sign)."""
        return self.json("/v1/checkpoint", "POST", token="qf-dev-s01")

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

    def private(self, index, token="qf-dev-s01", reason="核实诉求内容"):
        """GET /v1/leaves/<index>/private: (status, json)."""
        q = "?reason=" + urllib.parse.quote(reason) if reason is not None else ""
        headers = {"Authorization": "Bearer " + token} if token else {}
        st, _, body = self.proc.request("GET", "/v1/leaves/%d/private%s" % (index, q),
                                        headers=headers)
        return st, json.loads(body) if body else None

    def leaf(self, index):
        st, j = self.json("/v1/leaves/%d" % index)
        assert st == 200, (st, j)
        return j

    def leaf_of(self, event_id):
        """The index of the leaf of an event (bytes id), by GET /v1/events.
        Tests find leaves this way: producers' streams, and the partitions
        of one producer, may be logged in any order."""
        st, j = self.json("/v1/events/" + event_id.hex())
        assert st == 200, (st, j)
        return j["leaf_index"]

    def leaves_of(self, case_id):
        """The indexes of a case's leaves, in log order."""
        st, j = self.json("/v1/cases/%s/history" % case_id)
        assert st == 200, (st, j)
        return [l["index"] for l in j["leaves"]]

    def data_files(self):
        """The bytes of every file under the data folder (the LMDB files)."""
        out = {}
        for root, _, files in os.walk(self.data_dir):
            for f in files:
                with open(os.path.join(root, f), "rb") as fh:
                    out[os.path.join(root, f)] = fh.read()
        return out

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


# ------------------------------------------------------------ private parts


class Whole:
    """An event emitted whole (public part in the log, private part beside
    it), with what a receipt is made of."""

    def __init__(self, emitter, type, case_id, part, seq, event_id, nonce, payload):
        self.producer = emitter.name
        self.type, self.case_id = type, case_id
        self.part, self.seq = part, seq
        self.event_id, self.nonce, self.payload = event_id, nonce, payload

    def receipt(self, **over):
        """The receipt intake hands out (docs/API.md, "Receipts")."""
        r = {"case_id": self.case_id, "producer": self.producer,
             "event_id": self.event_id.hex(), "nonce": self.nonce.hex(),
             "private": base64.b64encode(self.payload).decode(), "type": self.type}
        r.update(over)
        return {k: v for k, v in r.items() if v is not None}


class PrivEmitter(Emitter):
    """An Emitter that can also emit as a producer does: the whole message
    through qf_privacy (public part in the envelope, private part beside
    it on the bus), answering with the event id, nonce and whole payload."""

    def emit_whole(self, type, key="", case_id="", payload=None, consent=False,
                   sensitive=False, subject=None, nonce=None, time_ms=0):
        ev = {"type": type, "key": key, "case_id": case_id, "payload": payload or {},
              "time_ms": time_ms,
              "privacy": {"consent": consent, "sensitive": sensitive}}
        if subject:
            ev["subject"] = subject
        if nonce:
            ev["nonce"] = nonce.hex()
        self.popen.stdin.write(json.dumps(ev, ensure_ascii=False) + "\n")
        self.popen.stdin.flush()
        ans = self.popen.stdout.readline().strip()
        if not ans.startswith("ok "):
            raise AssertionError("emit failed: %s" % ans)
        f = ans.split()
        return Whole(self, type, case_id, int(f[1]), int(f[2]), bytes.fromhex(f[3]),
                     bytes.fromhex(f[4]), bytes.fromhex(f[5]) if len(f) > 5 else b"")


# ------------------------------------------------------------ receipts, independently


def pb_fields(data):
    """The fields of a protobuf message: number -> [values] (varints as int,
    length-delimited as bytes). Raises ValueError on malformed input."""
    out, i = {}, 0

    def varint():
        nonlocal i
        x = shift = 0
        while True:
            if i >= len(data) or shift > 63:
                raise ValueError("truncated varint")
            b = data[i]
            i += 1
            x |= (b & 0x7F) << shift
            if not b & 0x80:
                return x
            shift += 7
    while i < len(data):
        key = varint()
        num, wt = key >> 3, key & 7
        if wt == 0:
            v = varint()
        elif wt == 2:
            n = varint()
            if n > len(data) - i:
                raise ValueError("truncated field")
            v = data[i:i + n]
            i += n
        elif wt == 1:
            v, i = data[i:i + 8], i + 8
        elif wt == 5:
            v, i = data[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def envelope(data):
    """The envelope fields a receipt is checked against."""
    f = pb_fields(data)

    def last(n, default):
        return f[n][-1] if n in f else default
    return {"producer": last(2, b"").decode(), "partition": last(4, 0), "seq": last(5, 0),
            "event_id": last(6, b""), "case_id": last(7, b"").decode(),
            "time_ms": last(9, 0), "type": last(10, 0), "payload": last(11, b""),
            "partition_key": last(12, b"").decode(), "commitment": last(13, b"")}


def commitment(nonce, payload):
    return hashlib.sha256(b"qingfeng-private-v1\x00" + nonce + payload).digest()


EVENT_TYPES = {"PETITION_SUBMITTED": 100, "FEEDBACK_GIVEN": 102, "VISIT_RECORDED": 105,
               "DATA_EXPORTED": 108, "CASE_ASSIGNED": 200, "PRIVATE_EXPIRED": 218,
               "PRIVATE_READ": 502}


class ReceiptError(AssertionError):
    pass


def verify_note(note, vkey):
    """Check a signed checkpoint with the verifier key text; returns
    (size, root). Ed25519 with python3-cryptography."""
    name, khash, pub = parse_vkey(vkey)
    origin, size, root, sname, sig = parse_checkpoint(note)
    if origin != name or sname != name or sig[:4] != khash:
        raise ReceiptError("checkpoint of another log or key")
    body = note.rpartition("\n\n")[0] + "\n"
    if Ed25519PublicKey is None:
        raise ReceiptError("python3-cryptography is not installed")
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig[4:], body.encode("utf-8"))
    except InvalidSignature:
        raise ReceiptError("bad checkpoint signature")
    return size, root


def check_receipt(url, vkey, receipt):
    """Check a receipt against the log at url, trusting nothing the server
    says: the checkpoint's signature, the leaf's commitment recomputed from
    the receipt's nonce and private bytes (or the receipt's own commitment
    when it has no opening: an all-public event, or one whose private part
    retention deleted), the RFC 9162 inclusion of that leaf in the signed
    tree. Returns {"leaf", "envelope", "size"}; raises ReceiptError with the
    reason otherwise."""
    def get(path):
        try:
            with urllib.request.urlopen(url + path, timeout=30) as r:
                return r.read()
        except urllib.error.HTTPError as e:
            raise ReceiptError("HTTP %d for %s" % (e.code, path))
    if ("nonce" in receipt) != ("private" in receipt):
        raise ReceiptError("an opening is a nonce and a payload")
    c = None
    try:
        if "nonce" in receipt:
            nonce = bytes.fromhex(receipt["nonce"])
            priv = base64.b64decode(receipt["private"], validate=True)
            if len(nonce) != 32 or not priv:
                raise ValueError("nonce or payload")
            c = commitment(nonce, priv)
        if "commitment" in receipt:
            given = bytes.fromhex(receipt["commitment"])
            if c is not None and given != c:
                raise ReceiptError("the receipt's commitment is not its opening's")
            c = given
    except ValueError as e:
        raise ReceiptError("malformed receipt: %s" % e)
    size, root = verify_note(get("/checkpoint").decode("utf-8"), vkey)
    if "leaf_index" in receipt:
        index = receipt["leaf_index"]
    elif receipt.get("event_id"):
        index = json.loads(get("/v1/events/" + receipt["event_id"]))["leaf_index"]
    else:
        if c is None:
            raise ReceiptError("nothing to find the leaf by")
        hist = json.loads(get("/v1/cases/%s/history" % receipt["case_id"]))
        hits = [l["index"] for l in hist["leaves"] if l["private_commitment"] == c.hex()]
        if not hits:
            raise ReceiptError("no leaf of the case has this commitment")
        index = hits[0]
    data = base64.b64decode(json.loads(get("/v1/leaves/%d" % index))["data"])
    env = envelope(data)
    if c is not None and env["commitment"] != c:
        raise ReceiptError("the leaf's commitment differs from the receipt's")
    if env["type"] != EVENT_TYPES[receipt["type"]]:
        raise ReceiptError("another event type")
    if receipt.get("case_id") and env["case_id"] != receipt["case_id"]:
        raise ReceiptError("another case")
    if receipt.get("event_id") and env["event_id"].hex() != receipt["event_id"]:
        raise ReceiptError("another event")
    if index >= size:
        raise ReceiptError("not yet in a signed checkpoint")
    p = json.loads(get("/v1/proof/inclusion?index=%d&size=%d" % (index, size)))
    proof = [base64.b64decode(x) for x in p["proof"]]
    if not verify_inclusion(index, size, leaf_hash(data), proof, root):
        raise ReceiptError("bad inclusion proof")
    return {"leaf": index, "envelope": env, "size": size}
