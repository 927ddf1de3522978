"""svc_notifier.py: qf-notifier in a Cluster, with the real servers it talks
to started by the test: an HTTP receiver (webhook, WeCom robot, DingTalk
robot, SMS gateway) that checks signatures and formats, and an SMTP server
(aiosmtpd) that keeps every mail it receives.

    with Cluster("notifier") as c:
        intake = Emitter(c, "intake"); router = Emitter(c, "router")
        rx = Receiver(); smtp = SmtpSink()
        n = Notifier(c, [intake, router], rx, smtp)
        cid = new_case_id()
        petition(intake, cid, contact={"phone": "13812341234"}, pk=n.seal_pk)
        wait_until(lambda: rx.requests("/sms/"))

Contacts are sealed exactly as intake seals them (libsodium crypto_box_seal,
here through ctypes), so the notifier opens real boxes with its real key.
"""
import base64
import ctypes
import ctypes.util
import email
import email.policy
import hashlib
import hmac
import http.server
import itertools
import json
import os
import shutil
import socketserver
import subprocess
import threading
import time
import urllib.parse

from tests.harness.qf import (Watch,  # noqa: F401 (re-exported)
                              CONFIG, SLOW, _live, binary, free_port, sanitizer_env,
                              source_block, wait_until)

TOKEN = "qf-dev-s01"          # secretary: may inspect and release deliveries
WEBHOOK_SECRET = "test-webhook-secret-0123456789"
DINGTALK_SECRET = "SECtest-dingtalk-secret-abcdef"

# staff of config/community.cfg
STAFF = {
    "s01": ("secretary", "周明霞", "0818-2100001"), "s02": ("supervisor", "陈立伟", "0818-2100002"),
    "s03": ("staff", "王桂芳", "0818-2100003"), "s04": ("building_head", "李建国", "13900000004"),
    "s05": ("building_head", "张秀英", "13900000005"), "s06": ("building_head", "刘志刚", "13900000006"),
    "s07": ("staff", "赵丽娟", "0818-2100007"), "s08": ("staff", "孙强", "0818-2100008"),
}

# ---------------------------------------------------------------- sealing

_na = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
if _na.sodium_init() < 0:
    raise RuntimeError("libsodium did not initialise")
_na.crypto_box_seal.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong,
                                ctypes.c_char_p]


def box_keypair():
    """(public, secret) raw 32-byte keys, as qfctl keygen --seal makes."""
    pk = ctypes.create_string_buffer(32)
    sk = ctypes.create_string_buffer(32)
    if _na.crypto_box_keypair(pk, sk) != 0:
        raise RuntimeError("crypto_box_keypair failed")
    return pk.raw, sk.raw


def seal(pk, data):
    """crypto_box_seal(data) to pk, as intake seals contacts."""
    out = ctypes.create_string_buffer(len(data) + 48)
    if _na.crypto_box_seal(out, data, len(data), pk) != 0:
        raise RuntimeError("crypto_box_seal failed")
    return out.raw


def sealed_contact(pk, phone=None, email_addr=None, name="张三丰"):
    body = {"name": name}
    if phone:
        body["phone"] = phone
    if email_addr:
        body["email"] = email_addr
    return seal(pk, json.dumps(body, ensure_ascii=False).encode("utf-8")).hex()


# ---------------------------------------------------------------- HTTP receiver

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _serve(self):
        rx = self.server.rx
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        url = urllib.parse.urlsplit(self.path)
        rec = {"method": self.command, "path": url.path,
               "query": dict(urllib.parse.parse_qsl(url.query)),
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body, "time": time.time(), "problems": []}
        try:
            rec["json"] = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            rec["json"] = None
            rec["problems"].append("body is not JSON")
        rx._check(rec)
        seg = "/" + url.path.split("/")[1]
        with rx.lock:
            rx.active[seg] = rx.active.get(seg, 0) + 1
            rx.max_active[seg] = max(rx.max_active.get(seg, 0), rx.active[seg])
        try:
            self._answer(rx, rec, url)
        finally:
            with rx.lock:
                rx.active[seg] -= 1

    def _answer(self, rx, rec, url):
        action = rx._next_action(url.path)
        rec["answered"] = action
        with rx.lock:
            rx.records.append(rec)
        kind, arg = action
        if kind == "delay":
            time.sleep(arg)
            kind, arg = "ok", None
        if kind == "drop":
            # close the connection without an answer
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        if kind == "status":
            payload = json.dumps({"error": "injected"}).encode()
            self.send_response(arg)
            if arg in (429, 503):
                self.send_header("Retry-After", "0")
        elif kind == "errcode":
            payload = json.dumps({"errcode": arg, "errmsg": "injected"}).encode()
            self.send_response(200)
        else:
            if url.path.startswith(("/wecom", "/dingtalk")):
                payload = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
            elif url.path.startswith("/sms"):
                payload = json.dumps({"code": "OK", "request_id": "r"}).encode()
            else:
                payload = b'{"ok":true}'
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = _serve
    do_PUT = _serve
    do_GET = _serve


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # a client that gave up (timeout, SIGKILL) leaves a broken pipe: expected
        import sys
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class Receiver:
    """A real HTTP server on 127.0.0.1 for the webhook, WeCom, DingTalk and
    SMS channels. Every request is recorded with the problems found in it
    (bad signature, wrong shape); `plan(path_prefix, actions)` injects
    answers (("status", 500), ("delay", 3), ("drop", None), ("errcode", n))
    for the next requests on a path."""

    def __init__(self, port=None, webhook_secret=WEBHOOK_SECRET,
                 dingtalk_secret=DINGTALK_SECRET, tls=None):
        """tls=(certfile, keyfile): serve HTTPS."""
        self.tls = tls
        self.port = port or free_port()
        self.webhook_secret = webhook_secret
        self.dingtalk_secret = dingtalk_secret
        self.lock = threading.Lock()
        self.records = []
        self.plans = {}
        self.default = {}
        self.active = {}       # requests being answered, by first path segment
        self.max_active = {}   # the most at once
        self.server = None
        self.start()

    @property
    def base(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def start(self):
        self.server = _Server(("127.0.0.1", self.port), _Handler)
        self.server.rx = self
        if self.tls:
            import ssl
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*self.tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        """The receiver goes down (connections refused until start())."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def plan(self, prefix, actions):
        with self.lock:
            self.plans.setdefault(prefix, []).extend(actions)

    def always(self, prefix, action):
        """Answer every request on prefix this way (None: normally)."""
        with self.lock:
            if action is None:
                self.default.pop(prefix, None)
            else:
                self.default[prefix] = action

    def _next_action(self, path):
        with self.lock:
            for prefix, acts in self.plans.items():
                if path.startswith(prefix) and acts:
                    return acts.pop(0)
            for prefix, act in self.default.items():
                if path.startswith(prefix):
                    return act
        return ("ok", None)

    def requests(self, prefix="", ok_only=False):
        with self.lock:
            recs = [r for r in self.records if r["path"].startswith(prefix)]
        if ok_only:
            recs = [r for r in recs if r["answered"][0] in ("ok", "delay")]
        return recs

    def problems(self):
        with self.lock:
            return [(r["path"], p) for r in self.records for p in r["problems"]]

    # ------------------------------------------------------------ checks
    def _check(self, rec):
        p, h, body, j = rec["path"], rec["headers"], rec["body"], rec["json"]
        probs = rec["problems"]
        if p.startswith("/hook") or p.startswith("/follow"):
            ts = h.get("x-qf-timestamp", "")
            sig = h.get("x-qf-signature")
            if sig is not None or p.startswith("/hook"):
                secret = self.webhook_secret if p.startswith("/hook") else rec["query"].get(
                    "secret_hint", self.webhook_secret)
                want = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body,
                                            hashlib.sha256).hexdigest()
                if not sig or not hmac.compare_digest(sig, want):
                    probs.append("bad webhook signature")
                if not ts.isdigit() or abs(time.time() - int(ts)) > 300:
                    probs.append("stale or missing timestamp")
            if not j or j.get("delivery_id") != h.get("x-qf-delivery"):
                probs.append("delivery id header and body differ")
            if j is not None:
                for k in ("event", "subject", "text", "recipient", "attempt"):
                    if k not in j:
                        probs.append("webhook body lacks " + k)
        elif p.startswith("/wecom"):
            if not j or j.get("msgtype") not in ("text", "markdown"):
                probs.append("wecom: msgtype")
            elif j["msgtype"] == "text":
                t = j.get("text") or {}
                if not isinstance(t.get("content"), str) or not t["content"]:
                    probs.append("wecom: text.content")
                ml = t.get("mentioned_mobile_list", [])
                if not isinstance(ml, list) or not all(isinstance(x, str) for x in ml):
                    probs.append("wecom: mentioned_mobile_list")
            else:
                if not isinstance((j.get("markdown") or {}).get("content"), str):
                    probs.append("wecom: markdown.content")
            if "key" not in rec["query"]:
                probs.append("wecom: key lost from the URL")
        elif p.startswith("/dingtalk"):
            q = rec["query"]
            ts, sign = q.get("timestamp", ""), q.get("sign", "")
            want = base64.b64encode(hmac.new(self.dingtalk_secret.encode(),
                                             (ts + "\n" + self.dingtalk_secret).encode(),
                                             hashlib.sha256).digest()).decode()
            if not hmac.compare_digest(sign, want):
                probs.append("dingtalk: bad sign")
            if not ts.isdigit() or abs(time.time() * 1000 - int(ts)) > 3600 * 1000:
                probs.append("dingtalk: stale timestamp")
            if "access_token" not in q:
                probs.append("dingtalk: access_token lost from the URL")
            if not j or j.get("msgtype") not in ("text", "markdown"):
                probs.append("dingtalk: msgtype")
            else:
                at = j.get("at") or {}
                if not isinstance(at.get("atMobiles"), list) or at.get("isAtAll") is not False:
                    probs.append("dingtalk: at")
                part = j.get(j["msgtype"]) or {}
                text = part.get("content") if j["msgtype"] == "text" else part.get("text")
                if not isinstance(text, str) or not text:
                    probs.append("dingtalk: content")
                elif any("@" + m not in text for m in at.get("atMobiles", [])):
                    probs.append("dingtalk: a mentioned mobile is not in the text")
                if j["msgtype"] == "markdown" and not part.get("title"):
                    probs.append("dingtalk: markdown.title")
        elif p.startswith("/sms"):
            if not j or not j.get("to") or not j.get("content") or not j.get("request_id"):
                probs.append("sms: body fields")
            elif j.get("request_id") != h.get("x-request-id"):
                probs.append("sms: X-Request-Id differs from the body")

    def ids(self, prefix="", ok_only=True):
        """Delivery ids received (from headers), in arrival order."""
        return [r["headers"].get("x-qf-delivery") for r in self.requests(prefix, ok_only)]


# ---------------------------------------------------------------- SMTP

class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping every message.
    tls=(certfile, keyfile) offers STARTTLS; require_starttls refuses mail
    on a connection that did not start TLS. Each message records whether it
    came over TLS."""

    def __init__(self, port=None, tls=None, require_starttls=False):
        from aiosmtpd.controller import Controller
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.messages = []
        sink = self

        class H:
            async def handle_DATA(self, server, session, envelope):
                msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
                body = msg.get_body(preferencelist=("plain",))
                rec = {"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                       "subject": str(msg["subject"] or ""), "message_id": msg["message-id"],
                       "delivery": msg["x-qf-delivery"], "event": msg["x-qf-event"],
                       "list_unsubscribe": msg["list-unsubscribe"],
                       "text": body.get_content() if body else "", "raw": envelope.content,
                       "headers": msg, "tls": session.ssl is not None}
                with sink.lock:
                    sink.messages.append(rec)
                return "250 OK"

        kw = {}
        if tls:
            import ssl
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*tls)
            kw = {"tls_context": ctx, "require_starttls": require_starttls}
        self.controller = Controller(H(), hostname="127.0.0.1", port=self.port, **kw)
        self.controller.start()

    def mails(self, to=None):
        with self.lock:
            ms = list(self.messages)
        return [m for m in ms if to is None or to in m["to"]]

    def stop(self):
        try:
            self.controller.stop()
        except Exception:
            pass


# ---------------------------------------------------------------- the service

def channels_text(rx, smtp, extra=""):
    """Channels against the test's receivers, with short retries."""
    return """
channels = (
  { name = "mail"; type = "email"; url = "smtp://127.0.0.1:%(smtp)d";
    from = "notify@lsj.example.cn"; from_name = "凉水井社区";
    concurrency = 4; max_attempts = 4; backoff_ms = 100; backoff_max_ms = 400; timeout_ms = 5000; },
  { name = "hook"; type = "webhook"; url = "%(base)s/hook"; secret_file = "webhook.secret";
    concurrency = 8; max_attempts = 4; backoff_ms = 100; backoff_max_ms = 400; timeout_ms = 3000; },
  { name = "wecom"; type = "wecom"; url = "%(base)s/wecom/send?key=k1"; format = "text";
    rate_per_s = 0; max_attempts = 4; backoff_ms = 100; backoff_max_ms = 400; },
  { name = "dingtalk"; type = "dingtalk"; url = "%(base)s/dingtalk/send?access_token=t1";
    secret_file = "dingtalk.secret"; format = "markdown"; rate_per_s = 0;
    max_attempts = 4; backoff_ms = 100; backoff_max_ms = 400; },
  { name = "sms"; type = "sms"; url = "%(base)s/sms/send"; method = "POST";
    content_type = "application/json";
    body = "{\\"to\\":\\"{to}\\",\\"content\\":\\"{text}\\",\\"request_id\\":\\"{id}\\"}";
    headers = [ "X-Request-Id: {id}" ]; ok_contains = "\\"OK\\"";
    max_attempts = 4; backoff_ms = 100; backoff_max_ms = 400; },
  { name = "follow-hooks"; type = "webhook"; url = ""; max_attempts = 3; backoff_ms = 100;
    backoff_max_ms = 300; }
  %(extra)s
);
""" % {"smtp": smtp.port if smtp else 9, "base": rx.base if rx else "http://127.0.0.1:9",
       "extra": extra}


def default_body(cluster):
    """Everything after the common sections: the repository's templates,
    rules, contacts and groups, so tests exercise the shipped rules."""
    with open(os.path.join(CONFIG, "notifier.cfg"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("staff_contacts = (")
    return text[start:]


def notifier_config(cluster, sources, rx, smtp, node="notifier", body=None, extra="",
                    quiet=False, channels=None, key_file="seal.key", follow=True,
                    instance=0, instances=1, http_port=None):
    """Write a notifier configuration; returns (path, http_port, pub, replay)."""
    for f in ("community.cfg", "staff-tokens.cfg"):
        if not os.path.exists(os.path.join(cluster.dir, f)):
            shutil.copy(os.path.join(CONFIG, f), os.path.join(cluster.dir, f))
    cluster.write("webhook.secret", WEBHOOK_SECRET + "\n")
    cluster.write("dingtalk.secret", DINGTALK_SECRET + "\n")
    http_port = http_port or free_port()
    pub = "tcp://127.0.0.1:%d" % free_port()
    replay = "tcp://127.0.0.1:%d" % free_port()
    allow = '"%s/"' % (rx.base if rx else "http://127.0.0.1:9")
    text = """
service = { node = "%(node)s"; data_dir = "data/%(node)s"; log_level = "debug";
            community = "community.cfg"; };
http = { port = %(http)d; threads = 2; };
bus = { pub = "%(pub)s"; replay = "%(replay)s"; heartbeat_ms = 200;
        instance = %(inst)d; instances = %(n)d;
        %(sources)s };
contact = { secret_key_file = "%(key)s"; required = true; };
admin = { tokens_file = "staff-tokens.cfg"; };
links = { base_url = "http://127.0.0.1:%(http)d";
          case = "https://lsj.example.cn/t/{tracking_code}"; };
quiet_hours = { enabled = %(quiet)s; start = "%(qs)s"; end = "%(qe)s"; };
follow = { enabled = %(follow)s; email_channel = "mail"; hook_channel = "follow-hooks";
           url_allow = [ %(allow)s ]; template = "follow_confirm"; };
%(channels)s
%(extra)s
%(body)s
""" % {"node": node, "http": http_port, "pub": pub, "replay": replay,
       "sources": source_block(*sources), "key": key_file,
       "quiet": "true" if quiet else "false",
       "qs": quiet[0] if quiet else "22:00", "qe": quiet[1] if quiet else "07:00",
       "follow": "true" if follow else "false", "allow": allow,
       "channels": channels if channels is not None else channels_text(rx, smtp),
       "extra": extra, "body": body if body is not None else default_body(cluster),
       "inst": instance, "n": instances}
    path = cluster.write("%s.cfg" % node, text)
    return path, http_port, pub, replay


class Notifier:
    """One qf-notifier process (restartable on the same data and ports)."""

    def __init__(self, cluster, sources, rx, smtp, node="notifier", start=True,
                 seal_prefix=None, **kw):
        """seal_prefix: use a key pair made by `qfctl keygen --seal --out
        PREFIX` (e.g. the one intake seals to) instead of a fresh one."""
        self.cluster = cluster
        self.node = node
        self.name = node
        if seal_prefix:
            with open(seal_prefix + ".pub") as f:
                self.seal_pk = bytes.fromhex(f.read().strip())
            kw["key_file"] = seal_prefix + ".key"
        else:
            self.seal_pk, sk = box_keypair()
            cluster.write(kw.get("key_file", "seal.key"), sk.hex() + "\n")
        self.config, self.http_port, self.pub, self.replay = notifier_config(
            cluster, sources, rx, smtp, node=node, **kw)
        self.proc = None
        self.clock_offset_ms = 0
        if start:
            self.start()

    def start(self, wait=True, clock_offset_ms=None):
        if clock_offset_ms is not None:
            self.clock_offset_ms = clock_offset_ms
        env = {"QF_CLOCK_OFFSET_MS": str(self.clock_offset_ms)}
        self.proc = self.cluster.start(self.node, [binary("qf-notifier"), "--config", self.config],
                                       env=env, http_port=self.http_port)
        if wait:
            self.proc.wait_ready()
        return self

    def stop(self):
        return self.proc.stop()

    def stop_clean(self):
        """SIGTERM; the process must exit 0 with no sanitizer report and no
        error logged (raises AssertionError)."""
        rc = self.proc.stop()
        out = self.proc.output()
        if rc != 0:
            raise AssertionError("%s exited with %s:\n%s" % (self.node, rc, out[-3000:]))
        for bad in ("Sanitizer", "runtime error:", "level=error"):
            if bad in out:
                raise AssertionError("%s logged %r:\n%s" % (self.node, bad, out[-3000:]))

    def kill(self):
        self.proc.kill()

    def output(self):
        return self.proc.output()

    # ------------------------------------------------------------ API
    def api(self, method, path, body=None, token=TOKEN):
        headers = {"Authorization": "Bearer " + token} if token else {}
        return self.proc.json(method, path, body=body, headers=headers)

    def deliveries(self, case_id=None, state=None, limit=1000):
        q = {"limit": str(limit)}
        if state:
            q["state"] = state
        path = ("/v1/cases/%s/deliveries" % case_id) if case_id else "/v1/deliveries"
        items, cursor = [], None
        while True:
            if cursor:
                q["cursor"] = cursor
            st, body = self.api("GET", path + "?" + urllib.parse.urlencode(q))
            if st == 404 and case_id and not items:
                return []  # the notifier has not heard of the case (yet)
            if st != 200:
                raise AssertionError("GET %s: %s %s" % (path, st, body))
            items += body["items"]
            cursor = body.get("next_cursor")
            if not cursor:
                return items

    def delivery(self, did):
        st, body = self.api("GET", "/v1/deliveries/" + did)
        return body if st == 200 else None

    def dead(self):
        st, body = self.api("GET", "/v1/dead-letters?limit=1000")
        assert st == 200, body
        return body["items"]

    def metric(self, name, labels=None):
        """Sum of a metric's samples (optionally those whose labels contain
        every given label text)."""
        st, _, data = self.proc.request("GET", "/metrics")
        total = 0.0
        for line in data.decode().splitlines():
            if not line.startswith(name) or line.startswith("#"):
                continue
            head, _, val = line.rpartition(" ")
            if head.split("{")[0] != name:
                continue
            if labels and not all(l in head for l in labels):
                continue
            total += float(val)
        return total


# ---------------------------------------------------------------- events

_ids = itertools.count(1)
_run = "%010d" % (int(time.time() * 1000) % 10**10)
HOUR = 3600 * 1000


def new_case_id():
    return "C%s%016d" % (_run, next(_ids))


def now_ms():
    return int(time.time() * 1000)


def petition(em, case_id, category="facility_repair", building="B03", contact=None, pk=None,
             consent=False, description="楼道灯坏了，晚上看不见路。", tracking=None,
             concerns="", pseudonym="a1b2c3d4"):
    """PETITION_SUBMITTED as intake emits it; contact (dict with phone /
    email) sealed to pk."""
    payload = {
        "case_id": case_id,
        "tracking_code": tracking or "LSJ-" + case_id[-6:],
        "category": category, "building": building,
        "address": "%s 1单元" % building, "description": description,
        "channel": "app", "consent_public": consent,
        "name_masked": "张**", "phone_masked": "138****1234",
        "petitioner_pseudonym": pseudonym, "submitted_ms": now_ms(),
    }
    if contact is not None:
        payload["contact"] = [{"recipient": "notifier", "sealed": sealed_contact(
            pk, contact.get("phone"), contact.get("email"))}]
    if concerns:
        payload["concerns_staff"] = concerns
    return em.emit("PETITION_SUBMITTED", key=building, case_id=case_id, payload=payload)


def transition(em, type, case_id, building="B03", category="facility_repair",
               assignee="s04", to_state="STATE_ASSIGNED", tracking=None, **fields):
    """A router CaseTransition event."""
    name, post = STAFF.get(assignee, ("", "", ""))[1], "楼长"
    payload = {"case_id": case_id, "tracking_code": tracking or "LSJ-" + case_id[-6:],
               "to_state": to_state, "assignee": assignee, "assignee_name": name,
               "assignee_post": post, "category": category, "building": building,
               "priority": "normal", "at_ms": now_ms(),
               "respond_due_ms": now_ms() + 24 * HOUR, "resolve_due_ms": now_ms() + 72 * HOUR,
               "actor": {"staff_id": "s01", "role": "secretary", "name": "周明霞"}}
    payload.update(fields)
    return em.emit(type, key=building, case_id=case_id, payload=payload)


def deadline_warning(em, case_id, building="B03", breached=False, assignee="s04",
                     escalated_to="", tracking=None):
    payload = {"case_id": case_id, "tracking_code": tracking or "LSJ-" + case_id[-6:],
               "kind": "DEADLINE_RESOLVE", "permille": 1000 if breached else 800,
               "breached": breached, "reminder": 1 if breached else 0,
               "due_ms": now_ms() + (0 if breached else 4 * HOUR), "assignee": assignee,
               "category": "facility_repair", "building": building, "at_ms": now_ms(),
               "escalated_to": escalated_to}
    return em.emit("DEADLINE_WARNING", key=building, case_id=case_id, payload=payload)


def audit_alert(em, case_id, kind="ALERT_CLOSED_WITHOUT_FEEDBACK", staff="s04", detail="未经群众评价即结案"):
    payload = {"kind": kind, "case_id": case_id, "staff_id": staff, "detail": detail,
               "at_ms": now_ms()}
    return em.emit("AUDIT_ALERT", key="audit", case_id=case_id, payload=payload)


def qfctl(cluster, *args, env=None):
    return cluster.run([binary("qfctl")] + list(args), env=env)
