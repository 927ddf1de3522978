"""The privacy scan (issue 12): identifiers planted everywhere a resident or a
staff member can write them, the whole system run as `make run` starts it,
and every public surface scanned for them after normalising it.

Planted: names with a common, a traditional and a rare surname and one with
a space inside; one mobile number in each of 22 renderings (the groupings,
separators, invisible characters, Chinese and other digit scripts the
masker must see through); ID-card numbers with separators; e-mails plain and
written as (at)/(dot)/艾特; room-level addresses; coordinates; photos. They go
into a consented petition (its free text and staff notes, contact-view
reason, feedback: masked there), a petition without consent, an anonymous
one, an integrity report, an urgent safety report without consent (which
alerts the building's followers), and a supervisor's visit.

Scanned: audit's checkpoint, checkpoints, entry tiles, leaves, case
histories, alerts, streams and its public event stream; the board's JSON,
HTML pages, Atom, CSV, SSE stream and a static export; Open311 GET (JSON and
XML); every message to followers (e-mail). Each surface is normalised as
the masker normalises (NFKC, format characters dropped, every digit script
and Chinese numerals to ASCII, separators squeezed out), then searched for
each planted value, itself normalised the same way. Any hit fails, naming
the value, where it was planted and the surface.

The whistleblower test: an anonymous integrity report filed with the same
name and phone as a named petition; from public outputs alone, no value
links the two (a value both carry that a third, unrelated petition does not).
"""
import base64
import glob
import hashlib
import http.client
import json
import os
import re
import subprocess
import time
import unicodedata
import unittest
import urllib.parse
import urllib.request

from tests.harness.qf import SLOW, Cluster, binary, wait_until
from tests.harness.svc_intake import jpeg
from tests.harness.system import System

# ------------------------------------------------------------ normalising
CN_DIGITS = dict(zip("零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖两幺",
                     "0012345678912345678921"))


def norm(text):
    """What the masker sees: NFKC, no format characters, ASCII digits."""
    t = unicodedata.normalize("NFKC", text)
    out = []
    for ch in t:
        if unicodedata.category(ch) == "Cf":
            continue
        d = unicodedata.decimal(ch, None)
        if d is not None:
            out.append(str(d))
        elif ch in CN_DIGITS:
            out.append(CN_DIGITS[ch])
        else:
            out.append(ch.lower())
    return "".join(out)


def squeeze(text):
    """norm() without anything that is neither letter nor digit: a number
    written with any separators becomes its digits."""
    return "".join(ch for ch in norm(text) if ch.isalnum())


# ------------------------------------------------------------ planting
FIN = "零壹贰叁肆伍陆柒捌玖"
SIMPLE = "零一二三四五六七八九"


def phone_forms(numbers):
    """22 renderings, one per number (11 digits each)."""
    forms = [
        lambda a, b, c: a + b + c,
        lambda a, b, c: "%s-%s-%s" % (a, b, c),
        lambda a, b, c: "%s %s %s" % (a, b, c),
        lambda a, b, c: "%s.%s.%s" % (a, b, c),
        lambda a, b, c: "%s - %s - %s" % (a, b, c),
        lambda a, b, c: "%s/%s/%s" % (a, b, c),
        lambda a, b, c: "%s_%s_%s" % (a, b, c),
        lambda a, b, c: "%s，%s，%s" % (a, b, c),
        lambda a, b, c: "%s\t%s\t%s" % (a, b, c),
        lambda a, b, c: "%s  %s  %s" % (a, b, c),
        lambda a, b, c: "%s—%s—%s" % (a, b, c),
        lambda a, b, c: "%s\u00ad%s\u00ad%s" % (a, b, c),
        lambda a, b, c: "".join(FIN[int(d)] for d in a + b + c),
        lambda a, b, c: a + "".join(SIMPLE[int(d)] for d in b) + c,
        lambda a, b, c: "".join("⓪①②③④⑤⑥⑦⑧⑨"[int(d)] for d in a + b + c),
        lambda a, b, c: "".join(chr(0x1D7CE + int(d)) for d in a + b + c),
        lambda a, b, c: "".join(chr(0x0660 + int(d)) for d in a + b + c),
        lambda a, b, c: "(%s)%s %s" % (a, b, c),
        lambda a, b, c: "+86 %s %s %s" % (a, b, c),
        lambda a, b, c: "".join(chr(0xFF10 + int(d)) for d in a + b + c),
        lambda a, b, c: "%s\u200b%s\u200b%s" % (a, b, c),
        lambda a, b, c: "%s～%s～%s" % (a, b, c),
    ]
    assert len(numbers) <= len(forms)
    return [f(n[:3], n[3:7], n[7:]) for f, n in zip(forms, numbers)]


def id_number(body17):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(d) * k for d, k in zip(body17, w)) % 11]


def numbers(prefix, n):
    return ["%s%04d" % (prefix, 1000 + i) for i in range(n)]


class Plants:
    """Every planted value with where it went; values are searched squeezed
    (digits, names, e-mail local parts) or normalised (coordinates)."""

    def __init__(self):
        self.items = []  # (kind, where, value, how)

    def add(self, kind, where, value, how="squeeze"):
        self.items.append((kind, where, value, how))
        return value

    def phones(self, where, nums):
        for n in nums:
            self.add("phone", where, n)
        return phone_forms(nums)


PHOTO_B = jpeg(900, seed=71)
PHOTO_D = jpeg(950, seed=72)
PHOTO_V = jpeg(980, seed=73)


def b64(data):
    return base64.b64encode(data).decode()


# ------------------------------------------------------------ fetching
def fetch(port, path, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout * SLOW)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def sse_all(port, path, idle=2.0):
    """Everything an SSE stream sends until it is idle for `idle` seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=idle * SLOW)
    out = b""
    try:
        conn.request("GET", path, headers={"Accept": "text/event-stream"})
        r = conn.getresponse()
        assert r.status == 200, r.status
        while True:
            try:
                line = r.fp.readline()
            except (TimeoutError, OSError):
                break
            if not line:
                break
            out += line
    finally:
        conn.close()
    return out.decode("utf-8", "replace")


LINK = re.compile(r"http://127\.0\.0\.1:\d+/v1/follows/F[0-9a-f]{24}/confirm\?token=[0-9a-f]{32}")


class PrivacyScanTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("privacy-scan")
        try:
            cls.s = System(cls.c)
        except Exception:
            cls.c.close()
            raise
        cls.intake = cls.s.procs["intake"]
        cls.board = cls.s.procs["disclosure"]
        cls.audit = cls.s.procs["audit"]
        cls.notifier = cls.s.procs["notifier"]
        # audit's public event stream, from before the first event
        cls.pubwatch_out = open(cls.c.path("public-watch.jsonl"), "wb")
        cls.pubwatch = subprocess.Popen(
            [binary("qfctl"), "watch", "--json", "--timeout", "600",
             "--public", "tcp://127.0.0.1:%d" % cls.s.port[5593],
             "--url", "http://127.0.0.1:%d" % cls.s.port[8084]],
            stdout=cls.pubwatch_out, stderr=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        if cls.pubwatch.poll() is None:
            cls.pubwatch.kill()
            cls.pubwatch.wait()
        cls.pubwatch_out.close()
        cls.s.stop()
        cls.c.close()

    # -------------------------------------------------------- helpers
    def petition(self, body):
        st, r = self.intake.json("POST", "/v1/petitions", body)
        self.assertEqual(st, 201, r)
        self.assertNotEqual(r.get("status"), "held_for_review", r)
        time.sleep(1.1)  # no two petitions share a second (whistleblower test)
        return r

    def act(self, case, token, body):
        st, r = self.intake.json("POST", "/v1/cases/%s/actions" % case, body,
                                 {"Authorization": "Bearer " + token})
        self.assertEqual(st, 200, r)
        return r

    def track(self, r):
        st, v = self.intake.json("GET", "/v1/track/" + r["tracking_code"],
                                 headers={"X-Tracking-Secret": r["secret"]})
        return v if st == 200 else {}

    def wait_status(self, r, status):
        return wait_until(lambda: self.track(r).get("status") == status, timeout=15,
                          what="%s %s" % (r["tracking_code"], status))

    def follow(self, target, address):
        st, body = self.notifier.json("POST", "/v1/follows", {
            "target": target, "channel": "email", "address": address})
        self.assertIn(st, (200, 202), body)
        mail = wait_until(lambda: [m for m in self.s.smtp.mails(address)
                                   if LINK.search(m["text"])], timeout=15,
                          what="the confirmation to " + address)[0]
        url = LINK.search(mail["text"]).group(0)
        req = urllib.request.Request(url, method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.assertEqual(resp.status, 200)

    # -------------------------------------------------------- the run
    def test_nothing_planted_reaches_a_public_surface(self):
        P = Plants()
        followers = ["qf.follower.b05@example.org", "qf.follower.b07@example.org",
                     "qf.follower.case@example.org"]
        self.follow("building:B05", followers[0])
        self.follow("building:B07", followers[1])

        # A: consented, named (traditional surname); its free text, staff
        # notes, contact reason and feedback carry identifiers: masked.
        name_a = P.add("name", "A petitioner", "陳志遠")
        P.add("name", "A given name", "志遠")
        id_a = id_number("51068219870315123")
        P.add("id", "A description", id_a)
        P.add("email", "A contact", "qfplantchen")  # (an e-mail in a petition is held as spam)
        ra = self.petition({
            "category": "facility_repair", "building": "B03", "address": "3栋1单元门口",
            "description": "楼道声控灯坏了一个星期。我叫%s，身份证 %s %s %s。"
                           % (name_a, id_a[:6], id_a[6:14], id_a[14:]),
            "name": name_a, "phone": "13907460001", "email": "qfplant.chen@example.cn",
            "channel": "app", "anonymous": False, "consent_public": True})
        P.add("phone", "A contact", "13907460001")
        a = ra["case_id"]
        self.follow("case:" + ra["tracking_code"], followers[2])
        self.wait_status(ra, "assigned")
        self.act(a, "qf-dev-s04", {"action": "accept"})
        note_forms = P.phones("A staff note", numbers("1390811", 22))
        P.add("email", "A staff note", "qfplantnote")
        id_n = P.add("id", "A staff note", id_number("51068219900101234"))
        self.act(a, "qf-dev-s04", {
            "action": "progress",
            "progress": "已电话联系%s，号码：%s" % (name_a, "；".join(note_forms)),
            "cause": "%s说邮箱是qfplant_note(at)example(dot)com，身份证%s-%s-%s"
                     % (name_a, id_n[:6], id_n[6:14], id_n[14:]),
            "result": "已约%s明天上门" % name_a})
        reason_forms = P.phones("A contact-view reason", numbers("1390822", 2))
        st, c = self.intake.json(
            "GET", "/v1/cases/%s/contact?reason=%s" % (a, urllib.parse.quote(
                "回访%s，备用电话%s" % (name_a, reason_forms[1]))),
            headers={"Authorization": "Bearer qf-dev-s04"})
        self.assertEqual(st, 200, c)
        self.act(a, "qf-dev-s04", {"action": "resolve", "result": "已为%s更换声控开关" % name_a})
        self.wait_status(ra, "resolved")
        fb_forms = P.phones("A feedback", numbers("1390833", 11))
        P.add("email", "A feedback", "qfplantfb")
        st, fb = self.intake.json(
            "POST", "/v1/track/%s/feedback" % ra["tracking_code"],
            {"rating": 5, "comment": "我是%s，很满意。电话%s，邮箱qfplant_fb艾特example点com"
                                     % (name_a, "、".join(fb_forms))},
            {"X-Tracking-Secret": ra["secret"]})
        self.assertEqual(st, 200, fb)

        # B: no consent: no text, no room, no coordinates, no photo
        name_b = P.add("name", "B petitioner", "禤海澄")
        P.add("name", "B given name", "海澄")
        P.add("room", "B address", "1703室")
        P.add("room", "B address", "2单元1703")
        P.add("coord", "B lat", "30.611377", how="norm")
        P.add("coord", "B lng", "104.071953", how="norm")
        P.add("text", "B description", "楼上卫生间漏水渗到我家天花板")
        rb = self.petition({
            "category": "facility_repair", "building": "B05",
            "address": "5栋2单元1703室 %s家" % name_b,
            "description": "楼上卫生间漏水渗到我家天花板，已经三天了。",
            "name": name_b, "phone": "13907460002", "channel": "app", "anonymous": False,
            "consent_public": False, "lat": 30.611377, "lng": 104.071953,
            "media": [{"data": b64(PHOTO_B)}]})
        P.add("phone", "B contact", "13907460002")
        b = rb["case_id"]
        self.wait_status(rb, "assigned")
        b_forms = P.phones("B staff note", numbers("1390844", 3))
        self.act(b, "qf-dev-s05", {"action": "accept"})
        self.act(b, "qf-dev-s05", {
            "action": "progress", "progress": "已联系%s（%s），1703室楼上住户同意维修"
                                              % (name_b, "，".join(b_forms))})
        # B's own supplement (PETITION_SUPPLEMENTED, [consent]): no consent,
        # so nothing of it is public
        sup_forms = P.phones("B supplement", numbers("1390866", 2))
        P.add("text", "B supplement", "物业说下周才能来修")
        st, sup = self.intake.json(
            "POST", "/v1/track/%s/supplements" % rb["tracking_code"],
            {"text": "物业说下周才能来修，我的电话%s，找%s。" % (sup_forms[0], name_b)},
            {"X-Tracking-Secret": rb["secret"]})
        self.assertIn(st, (200, 201, 202), sup)

        # C: anonymous (consented): no masked phone, no pseudonym
        name_c = P.add("name", "C petitioner (anonymous)", "欧阳 明轩")
        P.add("name", "C given name", "明轩")
        rc = self.petition({
            "category": "sanitation_hazard", "building": "B06", "address": "6栋门口",
            "description": "6栋门口垃圾桶满了没人清理。", "name": name_c,
            "phone": "13907460003", "channel": "app", "anonymous": True,
            "consent_public": True})
        P.add("phone", "C contact", "13907460003")

        # D: an integrity report about s05, anonymous, same phone as A
        P.add("text", "D description", "收了装修队的红包")
        rd = self.petition({
            "category": "integrity_report", "building": "B05", "address": "5栋",
            "description": "5栋楼长收了装修队的红包才给盖章。", "name": name_a,
            "phone": "13907460001", "channel": "app", "anonymous": True,
            "consent_public": True, "concerns_staff": "s05",
            "media": [{"data": b64(PHOTO_D)}]})

        # E: urgent, no consent, at a followed building
        name_e = P.add("name", "E petitioner", "汪晓岚")
        P.add("name", "E given name", "晓岚")
        P.add("room", "E address", "902室")
        P.add("room", "E address", "3单元902")
        re_ = self.petition({
            "category": "safety_hazard", "building": "B07",
            "address": "7栋3单元902室 %s家" % name_e,
            "description": "%s家门口燃气味很重，怀疑管道漏气。" % name_e,
            "name": name_e, "phone": "13907460004", "channel": "app", "anonymous": False,
            "consent_public": False})
        P.add("phone", "E contact", "13907460004")

        # V: a supervisor's visit: date, building and count are public only
        v_forms = P.phones("visit findings", numbers("1390855", 2))
        P.add("text", "visit findings", "低保还没有到账")
        st, v = self.intake.json("POST", "/v1/visits", {
            "date": time.strftime("%Y-%m-%d"), "place": "5栋2单元1703室", "building": "B05",
            "household": True, "unit": "2单元1703",
            "findings": "%s（%s）反映：低保还没有到账，住在1703室。" % (name_b, v_forms[0]),
            "media": [{"data": b64(PHOTO_V)}]},
            {"Authorization": "Bearer qf-dev-s02"})
        self.assertIn(st, (200, 201), v)
        # the household key the router counts by ([private]) is never public
        P.add("household", "visit household_key", hashlib.sha256(
            b"qingfeng-household-v1\0" + "B05".encode() + b"\0" +
            "2单元1703".encode()).hexdigest(), how="norm")

        for label, photo in (("B photo", PHOTO_B), ("D photo", PHOTO_D),
                             ("visit photo", PHOTO_V)):
            h = hashlib.sha256(photo)
            P.add("photo", label, h.hexdigest(), how="norm")
            P.add("photo", label, b64(h.digest()), how="raw")
            P.add("photo", label, b64(photo)[8:48], how="raw")
            # and the photo itself is not served to the public
            self.assertEqual(fetch(self.s.port[8080], "/v1/media/" + h.hexdigest())[0], 404,
                             label)

        # everything has reached the board, the followers and the log
        wait_until(lambda: self.track(ra).get("status") == "closed", timeout=20,
                   what="A closed after its feedback")
        wait_until(lambda: [m for m in self.s.smtp.mails(followers[1]) if "紧急" in m["subject"]],
                   timeout=20, what="the urgent alert to B07's follower")

        def board_has_all():
            st, j = self.board.json("GET", "/v1/public/cases?page_size=100")
            ids = {i["id"]: i for i in j.get("items", [])} if st == 200 else {}
            return a in ids and b in ids and ids[a].get("state") == "closed"
        wait_until(board_has_all, timeout=20, what="the board up to date")
        time.sleep(1.0)
        st, _ = self.audit.json("POST", "/v1/checkpoint", None,
                                {"Authorization": "Bearer qf-dev-s01"})
        self.assertIn(st, (200, 201))

        surfaces = self.collect([a, b, rc["case_id"], rd["case_id"], re_["case_id"]],
                                followers)
        # the scanner sees what is public: the consented petition's text and
        # its masked name are on the board, in the log, in Open311 and in
        # the followers' mail (a scanner that reads nothing finds nothing)
        for surface in ("board /v1/public/cases/" + a, "audit /v1/leaves",
                        "open311 requests.json", "mail to " + followers[2],
                        "audit public stream"):
            self.assertIn(surface, surfaces)
        self.assertIn(squeeze("楼道声控灯坏了"), squeeze(surfaces["board /v1/public/cases/" + a]))
        self.assertIn(squeeze("楼道声控灯坏了"), squeeze(surfaces["audit /v1/leaves"]))
        self.assertIn(squeeze("陳**"), squeeze(surfaces["board /v1/public/cases/" + a]))
        self.assertIn("更换声控开关", surfaces["mail to " + followers[2]])
        self.assertIn("紧急情况：安全隐患，7栋", surfaces["mail to " + followers[1]])

        hits = self.scan(P, surfaces)
        print("\n[privacy scan] %d planted values (%d kinds, %d places) over %d public "
              "surfaces, %d bytes: %d found"
              % (len(P.items), len({k for k, _, _, _ in P.items}),
                 len({w for _, w, _, _ in P.items}), len(surfaces),
                 sum(len(t) for t in surfaces.values()), len(hits)))
        self.assertEqual(hits, [], "planted values on public surfaces:\n" + "\n".join(hits))

        # the whistleblower: nothing public links D to A
        self.whistleblower(a, rd["case_id"])

    # -------------------------------------------------------- collecting
    def collect(self, cases, followers):
        S = {}
        bp, ap, ip = self.s.port[8083], self.s.port[8084], self.s.port[8080]

        def get(label, port, path, ok=(200,)):
            st, body = fetch(port, path)
            self.assertIn(st, ok, "%s %s: %s" % (label, path, body[:200]))
            if st == 200:
                S["%s %s" % (label, path)] = body.decode("utf-8", "replace")
            return st, body

        # audit
        for path in ("/checkpoint", "/v1/checkpoint", "/v1/checkpoints", "/v1/log",
                     "/v1/alerts", "/v1/streams"):
            get("audit", ap, path)
        leaves, start = [], 0
        while True:
            st, body = fetch(ap, "/v1/leaves?from=%d&limit=1000" % start)
            self.assertEqual(st, 200)
            j = json.loads(body)
            leaves += j["leaves"]
            if not j.get("next"):
                break
            start = j["next"]
        S["audit /v1/leaves?from"] = json.dumps(leaves, ensure_ascii=False)
        full = []
        for leaf in leaves:
            st, body = fetch(ap, "/v1/leaves/%d" % leaf["index"])
            self.assertEqual(st, 200)
            full.append(json.loads(body))
        S["audit /v1/leaves"] = json.dumps(full, ensure_ascii=False)
        self.leaves = full
        size = json.loads(fetch(ap, "/v1/log")[1])["size"]
        for n in range(size // 256 + 1):
            w = min(256, size - n * 256)
            if w <= 0:
                break
            path = "/tile/entries/%03d%s" % (n, "" if w == 256 else ".p/%d" % w)
            get("audit", ap, path)
        for cid in cases:
            get("audit", ap, "/v1/cases/%s/history?proof=1" % cid)
        self.pubwatch.kill()
        self.pubwatch.wait()
        self.pubwatch_out.flush()
        with open(self.c.path("public-watch.jsonl"), encoding="utf-8", errors="replace") as f:
            S["audit public stream"] = f.read()
        # the board
        for path in ("/v1/public/cases?page_size=100", "/v1/public/cases.csv", "/v1/public/stats",
                     "/v1/public/dashboard", "/v1/public/roster", "/", "/stats", "/roster",
                     "/feeds/cases.atom", "/feeds/disclosures.atom", "/v1/status"):
            get("board", bp, path)
        for cid in cases:
            get("board", bp, "/v1/public/cases/" + cid, ok=(200, 404))
            get("board", bp, "/cases/" + cid, ok=(200, 404))
        S["board SSE /v1/events/stream?since=1"] = sse_all(bp, "/v1/events/stream?since=1")
        out = self.c.path("export-site")
        r = self.c.run([binary("qf-disclosure"), "--config",
                        self.c.path("config", "disclosure.cfg"), "--export", out], timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        files = [f for f in glob.glob(os.path.join(out, "**"), recursive=True)
                 if os.path.isfile(f)]
        self.assertTrue(files)
        for f in files:
            with open(f, "rb") as fh:
                S["export " + os.path.relpath(f, out)] = fh.read().decode("utf-8", "replace")
        # Open311
        st, body = get("open311", ip, "/open311/v2/requests.json")
        S["open311 requests.json"] = body.decode("utf-8")
        get("open311", ip, "/open311/v2/requests.xml")
        for cid in cases:
            get("open311", ip, "/open311/v2/requests/%s.json" % cid, ok=(200, 404))
        # the servicerequestupdates extension (issue 16): every case's
        # timeline, over a window wide enough for the services' shifted clocks
        now = time.time()
        window = urllib.parse.urlencode({"start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                        time.gmtime(now - 2 * 86400)),
                            "end_date": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                      time.gmtime(now + 2 * 86400))})
        st, body = get("open311", ip, "/open311/v2/servicerequestupdates.json?" + window)
        self.assertTrue(json.loads(body), "no updates to scan")
        get("open311", ip, "/open311/v2/servicerequestupdates.xml?" + window)
        # the followers' mail
        for addr in followers:
            ms = self.s.smtp.mails(addr)
            self.assertTrue(ms, addr)
            S["mail to " + addr] = "\n\n".join("%s\n%s" % (m["subject"], m["text"]) for m in ms)
        return S

    # -------------------------------------------------------- scanning
    def scan(self, P, surfaces):
        prepared = {k: (v, norm(v), squeeze(v)) for k, v in surfaces.items()}
        hits = []
        for kind, where, value, how in P.items:
            needle = {"squeeze": squeeze, "norm": norm, "raw": lambda x: x}[how](value)
            self.assertTrue(len(needle) >= 2, value)
            for surface, (raw, n, sq) in prepared.items():
                hay = {"squeeze": sq, "norm": n, "raw": raw}[how]
                if needle in hay:
                    i = hay.index(needle)
                    hits.append("%s %r (planted in %s) found in %s: ...%s..."
                                % (kind, value, where, surface, hay[max(0, i - 40):i + 40]))
        return hits

    # -------------------------------------------------------- whistleblower
    def whistleblower(self, named, report):
        # the control: another resident's consented petition, shaped like A
        rk = self.petition({
            "category": "facility_repair", "building": "B03", "address": "3栋2单元门口",
            "description": "3栋2单元门口的路灯不亮了。", "name": "萧景行",
            "phone": "13907460009", "channel": "app", "anonymous": False,
            "consent_public": True})
        k = rk["case_id"]
        self.wait_status(rk, "assigned")
        self.act(k, "qf-dev-s04", {"action": "accept"})
        wait_until(lambda: fetch(self.s.port[8083], "/v1/public/cases/" + k)[0] == 200,
                   timeout=15, what="the control on the board")
        time.sleep(1.0)

        # the envelope's bookkeeping (where a leaf sits in the log and in
        # its producer's stream: index, partition, sequence, epoch, size,
        # time, ids and hashes) is the same kind of counter for every event
        # and says nothing about who filed it
        bookkeeping = {"index", "leaf_index", "event_id", "private_commitment", "hash",
                       "leaf_hash", "data", "seq", "partition", "epoch", "bytes", "time_ms",
                       "at_ms", "idempotency_key", "proof"}

        def values(cid):
            out = {}

            def walk(x, path):
                if isinstance(x, dict):
                    for k2, v in x.items():
                        if k2 not in bookkeeping:
                            walk(v, path + "." + k2)
                elif isinstance(x, list):
                    for v in x:
                        walk(v, path + "[]")
                elif x is not None and not isinstance(x, bool):
                    v = str(x).strip()
                    if v:
                        out.setdefault(v, set()).add(path)
            st, body = fetch(self.s.port[8084], "/v1/cases/%s/history" % cid)
            if st == 200:
                for leaf in json.loads(body)["leaves"]:
                    walk(leaf, "history")
                    st2, full = fetch(self.s.port[8084], "/v1/leaves/%d" % leaf["index"])
                    self.assertEqual(st2, 200)
                    walk(json.loads(full), "leaf")
            for label, port, path in (
                    ("board", self.s.port[8083], "/v1/public/cases/" + cid),
                    ("open311", self.s.port[8080], "/open311/v2/requests/%s.json" % cid)):
                st, body = fetch(port, path)
                if st == 200:
                    walk(json.loads(body), label)
            return out

        va, vd, vk = values(named), values(report), values(k)
        self.assertTrue(vd, "the report has public leaves")
        linking = sorted((set(va) & set(vd)) - set(vk) - {named, report, k})
        linking = ["%r at %s and %s" % (v, sorted(va[v]), sorted(vd[v])) for v in linking]
        print("[whistleblower] report: %d public values, named petition: %d, control: %d; "
              "linking: %d" % (len(vd), len(va), len(vk), len(linking)))
        self.assertEqual(linking, [], "values linking the anonymous report to the named "
                                      "petition: %r" % linking)
        # nor does the report name whom it concerns, in any public output
        # (the values, not the bookkeeping: a base64 hash may hold "s05")
        text = json.dumps(sorted(values(report)), ensure_ascii=False)
        for who in ("s05", "张秀英", "B05", "5栋"):
            self.assertNotIn(who, text)
        # and every producer's envelope of it travels on the partition key
        # "sensitive", never its building (the partition is public too)
        st, body = fetch(self.s.port[8084], "/v1/cases/%s/history" % report)
        self.assertEqual(st, 200)
        keys = {}
        for leaf in json.loads(body)["leaves"]:
            st, full = fetch(self.s.port[8084], "/v1/leaves/%d" % leaf["index"])
            ev = json.loads(full)["event"]
            keys.setdefault(ev.get("partition_key"), set()).add(ev.get("producer"))
        self.assertEqual(set(keys), {"sensitive"}, keys)


if __name__ == "__main__":
    unittest.main()
