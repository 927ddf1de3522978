"""The residents' pages served by intake (issue 15): the start page's form
submits with a photo through the same path as POST /v1/petitions, the
receipt shows the code, the secret once and a QR code of the follow link
whose secret sits in the URL fragment; the follow page renders the timeline
with JavaScript (secret from the fragment) and without it (a POST form).
Bad input re-renders the form with a Chinese error tied to its field and
the API's status; the secret never reaches a log line. Pages are driven in
Debian's chromium at a phone viewport (412x915); screenshots go under the
cluster directory (QF_KEEP=1 keeps it)."""
import os
import re
import unittest
import urllib.error
import urllib.parse
import urllib.request

from tests.harness.qf import Cluster, wait_until

AXE_JS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "js",
                      "node_modules", "axe-core", "axe.min.js")
from tests.harness.svc_disclosure import Browser
from tests.harness.svc_intake import IntakeService, jpeg, multipart
from tests.harness.svc_router import Router

FORM = {"channel": "web", "category": "facility_repair", "building": "B03",
        "address": "3栋2单元楼道", "description": "3栋2单元楼道的声控灯坏了一个星期。",
        "name": "吴晓明", "phone": "13912345678", "consent_public": "false"}


def post(base, path, fields, files=(), headers=None):
    """A plain browser-less form POST (urllib): (status, headers, text)."""
    if files:
        body, ctype = multipart(fields, files)
    else:
        body = urllib.parse.urlencode(fields).encode()
        ctype = "application/x-www-form-urlencoded"
    h = {"Content-Type": ctype}
    h.update(headers or {})
    req = urllib.request.Request(base + path, data=body, headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8")


def get(base, path, headers=None):
    req = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8")


def receipt_of(html):
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    secret = re.search(r'id="secret">([^<]+)<', html).group(1)
    return code, secret


def field_error(html, field):
    """The error text tied to field: the input names it in
    aria-describedby and the error span has that id."""
    m = re.search(r'<(?:input|select|textarea)[^>]*id="f-%s"[^>]*>' % field, html)
    assert m, "no input for %s" % field
    assert 'aria-describedby="' in m.group(0) and ("e-" + field) in m.group(0), m.group(0)
    assert 'aria-invalid="true"' in m.group(0), m.group(0)
    e = re.search(r'<span class="err" role="alert" id="e-%s">([^<]+)</span>' % field, html)
    assert e, "no error span for %s" % field
    return e.group(1)


class ResidentPagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("web-resident")
        cls.it = IntakeService(cls.cluster, start=False, settings={
            "intake.max_media_bytes": 200000})
        # the real router: it assigns, sets the deadlines, writes the timeline
        cls.router = Router(cls.cluster, [cls.it], start=False)
        cls.it.router = cls.router
        cls.it.write_config()
        cls.it.start(wait=False)
        cls.router.start()
        cls.it.proc.wait_ready()
        cls.base = "http://127.0.0.1:%d" % cls.it.http_port

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.cluster.close()
        assert rc == 0, "qf-intake exited with %s (see its log)" % rc

    def shot(self, name):
        return self.cluster.path("screenshots", name + ".png")

    def service_logs(self):
        out = []
        for root, _, files in os.walk(self.cluster.dir):
            for f in files:
                if f.endswith(".log") and not f.startswith("chromium"):
                    with open(os.path.join(root, f), "rb") as fh:
                        out.append(fh.read().decode("utf-8", "replace"))
        return "\n".join(out)

    # -------------------------------------------------------- start page
    def test_start_page_is_the_form(self):
        st, hd, html = get(self.base, "/")
        self.assertEqual(st, 200)
        self.assertIn('<html lang="zh-CN"', html)
        self.assertIn("default-src 'self'", hd["Content-Security-Policy"])
        self.assertEqual(hd["Referrer-Policy"], "no-referrer")
        self.assertEqual(hd["X-Content-Type-Options"], "nosniff")
        self.assertNotIn("<script>", html)  # no inline script
        for f in ("category", "building", "address", "description", "name", "phone",
                  "photos", "anonymous"):
            self.assertIn('<label for="f-%s"' % f if f != "anonymous"
                          else 'for="f-anonymous"', html, f)
        self.assertIn('capture="environment"', html)
        self.assertIn('accept="image/*"', html)
        self.assertIn('href="/staff/login"', html)
        self.assertIn("永远不会公开", html)
        # the community's categories and buildings
        self.assertIn('value="facility_repair"', html)
        self.assertIn('value="B03"', html)

    def test_large_type_without_js(self):
        req = urllib.request.Request(self.base + "/large?on=1&back=%2F")

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(req)
            self.fail("no redirect")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 303)
            self.assertEqual(e.headers["Location"], "/")
            self.assertIn("qf_large=1", e.headers["Set-Cookie"])
        st, _, html = get(self.base, "/", {"Cookie": "qf_large=1"})
        self.assertIn('<html lang="zh-CN" class="big"', html)
        # the way back stays on this site
        try:
            opener.open(self.base + "/large?on=1&back=%2F%2Fevil.example")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.headers["Location"], "/")

    def test_large_type_in_the_browser(self):
        with Browser(self.cluster) as b:
            b.open(self.base + "/")
            small = b.eval("parseFloat(getComputedStyle(document.body).fontSize)")
            b.eval("document.querySelector('a.bigtoggle').click(),1")
            b.wait_for("!!document.documentElement && document.readyState === 'complete'"
                       " && document.documentElement.classList.contains('big')")
            big = b.eval("parseFloat(getComputedStyle(document.body).fontSize)")
            self.assertGreaterEqual(big, small * 1.25)
            self.assertLessEqual(b.eval("document.documentElement.scrollWidth"), 412)
            # focus is visible: a focused field gets an outline
            b.eval("document.getElementById('f-address').focus(),1")
            self.assertNotEqual(b.eval(
                "getComputedStyle(document.getElementById('f-address')).outlineStyle"), "none")
            b.screenshot(self.shot("start-large"))
            b.eval("document.querySelector('a.bigtoggle').click(),1")
            b.wait_for("!!document.documentElement && document.readyState === 'complete'"
                       " && !document.documentElement.classList.contains('big')"
                       " && !!document.querySelector('a.bigtoggle')")

    # -------------------------------------------------------- no-JS submit
    def test_form_post_without_js_gives_the_receipt(self):
        st, hd, html = post(self.base, "/", FORM,
                            [("photos", "灯.jpg", "image/jpeg", jpeg(800))])
        self.assertEqual(st, 201, html[:2000])
        self.assertEqual(hd["Cache-Control"], "no-store")
        self.assertNotIn("Location", hd)
        code, secret = receipt_of(html)
        self.assertIn("只显示这一次", html)
        self.assertIn('<svg class="qr"', html)
        self.assertIn('href="/t/%s#k=%s"' % (code, secret), html)
        self.assertIn("提交凭证", html)
        # the same case as the API's follow view shows it
        st, view = self.it.track(code, secret)
        self.assertEqual(st, 200, view)
        self.assertEqual(view["category"], "facility_repair")

    def test_the_same_form_sent_twice_is_one_petition(self):
        """A reload or a double tap sends the form again: the form's key
        (fresh in every rendering) makes the second answer the first
        receipt, not a second petition; another rendering's key is
        another petition."""
        st, _, page = get(self.base, "/")
        key = re.search(r'name="form_key" value="([0-9a-f]{32})"', page).group(1)
        _, _, again = get(self.base, "/")
        self.assertNotIn(key, again)  # a fresh key per rendering
        fields = dict(FORM, description="楼下的路灯坏了三天，晚上很黑。", form_key=key)
        st1, _, h1 = post(self.base, "/", fields)
        st2, hd2, h2 = post(self.base, "/", fields)
        self.assertEqual((st1, st2), (201, 201), h2[:800])
        self.assertEqual(receipt_of(h1), receipt_of(h2))
        self.assertEqual(hd2.get("Idempotent-Replayed"), "true")
        other = re.search(r'name="form_key" value="([0-9a-f]{32})"', again).group(1)
        st3, _, h3 = post(self.base, "/", dict(fields, form_key=other))
        self.assertEqual(st3, 201, h3[:800])
        self.assertNotEqual(receipt_of(h3)[0], receipt_of(h1)[0])
        # the same key with other fields is not a replay of the first
        st4, _, h4 = post(self.base, "/", dict(fields, description="另一件事：垃圾桶满了。"))
        self.assertEqual(st4, 422, h4[:500])
        self.assertIn("这份表单已经提交过了", h4)
        self.assertNotIn("Idempotency-Key", h4)
        # and the form it shows carries a fresh key: sending it works
        fresh = re.search(r'name="form_key" value="([0-9a-f]{32})"', h4).group(1)
        self.assertNotEqual(fresh, key)

    # -------------------------------------------------------- bad input
    def test_bad_input_shows_chinese_error_by_its_field(self):
        cases = [
            (dict(FORM, description="  "), (), 400, "description", "问题描述"),
            (dict(FORM, category="no_such"), (), 422, "category", "没有这个诉求类别"),
            (dict(FORM, phone="12"), (), 400, "phone", "电话号码格式不正确"),
            (FORM, [("photos", "big.jpg", "image/jpeg", jpeg(300000))], 413, "photos",
             "过大"),
            (FORM, [("photos", "note.txt", "text/plain", b"not a photo at all")], 415,
             "photos", "图片"),
        ]
        for fields, files, status, field, text in cases:
            st, hd, html = post(self.base, "/", fields, files or
                                [("photos", "", "application/octet-stream", b"")])
            self.assertEqual(st, status, (field, html[:1500]))
            self.assertIn("text/html", hd["Content-Type"])
            self.assertIn(text, field_error(html, field))
            # the resident's input is kept
            self.assertIn("3栋2单元楼道", html)
            self.assertIn('id="form-error"', html)

    def test_input_is_escaped_when_kept(self):
        evil = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>"
        st, _, html = post(self.base, "/", dict(FORM, description=evil, address=evil,
                                                category="no_such"))
        self.assertEqual(st, 422, html[:1500])
        self.assertNotIn("<script>alert", html)
        self.assertNotIn("<img src=x", html)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)

    # -------------------------------------------------------- follow, no JS
    def submit(self, **kw):
        st, _, html = post(self.base, "/", dict(FORM, **kw),
                           [("photos", "", "application/octet-stream", b"")])
        self.assertEqual(st, 201, html[:1500])
        return receipt_of(html)

    def test_follow_without_js(self):
        code, secret = self.submit()
        # the router's assignment reaches the follow view
        wait_until(lambda: self.it.track(code, secret)[1].get("handler"), timeout=15,
                   what="the router's assignment")
        st, hd, html = get(self.base, "/t/" + code)
        self.assertEqual(st, 200)
        self.assertIn('id="secret-form"', html)
        self.assertIn('method="post"', html)
        st, hd, html = post(self.base, "/t/" + code, {"secret": secret})
        self.assertEqual(st, 200, html[:1500])
        self.assertEqual(hd["Cache-Control"], "no-store")
        self.assertIn('id="timeline"', html)
        self.assertIn("诉求已提交", html)
        self.assertIn("已派单", html)
        self.assertIn("经办人", html)
        self.assertIn("应办结时限", html)
        # the code typed with the secret on /t
        st, _, html = post(self.base, "/t", {"tracking_code": code.lower(),
                                             "secret": secret})
        self.assertEqual(st, 200, html[:1500])
        self.assertIn('id="timeline"', html)

    def test_follow_bad_secret(self):
        code, secret = self.submit()
        wrong = ("0" if secret[0] != "0" else "1") + secret[1:]
        # the API's convention: a missing secret is 401, a wrong one the
        # same 404 as an unknown code
        for fields, status in (({"secret": wrong}, 404), ({"secret": ""}, 401)):
            st, _, html = post(self.base, "/t/" + code, fields)
            self.assertEqual(st, status, html[:1500])
            msg = field_error(html, "secret")
            self.assertTrue(re.search(r"[\u4e00-\u9fff]", msg), msg)
            self.assertNotIn('id="timeline"', html)
        st, _, html = post(self.base, "/t/%s/feedback" % code,
                           {"secret": wrong, "rating": "5"})
        self.assertEqual(st, 404, html[:1500])
        self.assertIn("查询码或密钥不正确", field_error(html, "secret"))
        # rating before the case is resolved: refused, in Chinese
        st, _, html = post(self.base, "/t/%s/feedback" % code,
                           {"secret": secret, "rating": "5"})
        self.assertEqual(st, 409, html[:1500])
        self.assertIn("办结后才能评价", html)

    def test_rate_a_resolved_case_without_js(self):
        code, secret = self.submit()
        view = wait_until(lambda: (lambda v: v if v.get("handler") else None)(
            self.it.track(code, secret)[1]), timeout=15, what="the assignment")
        cid = view["case_id"]
        for act in ({"action": "accept"}, {"action": "resolve", "result": "声控灯已更换。"}):
            st, body = self.it.action(cid, "head1", act)
            self.assertEqual(st, 200, body)
        wait_until(lambda: self.it.track(code, secret)[1].get("can_give_feedback"),
                   timeout=15, what="resolved")
        st, _, html = post(self.base, "/t/" + code, {"secret": secret})
        self.assertIn('id="feedback-form"', html)
        self.assertIn("已办结", html)
        # a rating out of range: the error at the rating, the view kept
        st, _, html = post(self.base, "/t/%s/feedback" % code,
                           {"secret": secret, "rating": "9"})
        self.assertEqual(st, 400, html[:1500])
        self.assertIn("1 到 5 分", html)
        self.assertIn('aria-describedby="e-rating"', html)
        st, _, html = post(self.base, "/t/%s/feedback" % code,
                           {"secret": secret, "rating": "5", "comment": "修得很快，谢谢！"})
        self.assertEqual(st, 200, html[:1500])
        self.assertIn("感谢您的评价", html)
        st, view = self.it.track(code, secret)
        self.assertFalse(view["can_give_feedback"], view)

    # -------------------------------------------------------- accessibility
    @unittest.skipUnless(os.path.exists(AXE_JS), "axe-core not installed (make deps-test)")
    def test_axe_finds_no_serious_violation(self):
        """axe-core (WCAG 2.0/2.1 A and AA, best practices) on every state
        of the resident pages at the phone viewport."""
        with open(AXE_JS, encoding="utf-8") as f:
            axe = f.read()
        code, secret = self.submit()
        found = {}

        def check(b, name):
            b.eval(axe + ";1")  # DevTools evaluation: the page's CSP does not apply
            b.eval("window.__axe=null;axe.run(document,{runOnly:{type:'tag',values:"
                   "['wcag2a','wcag2aa','wcag21a','wcag21aa','best-practice']}})"
                   ".then(function(r){window.__axe=r;}),1")
            b.wait_for("window.__axe !== null", timeout=30)
            found[name] = b.eval("window.__axe.violations.map(function(x){return "
                                 "[x.id,x.impact,x.nodes.length];})")
        with Browser(self.cluster) as b:
            for name, path in (("start", "/"), ("follow", "/t"),
                               ("follow-code", "/t/" + code),
                               ("follow-view", "/t/%s#k=%s" % (code, secret))):
                b.open(self.base + path)
                if name == "follow-view":
                    b.wait_for("!!document.getElementById('timeline')", timeout=20)
                check(b, name)
            b.open(self.base + "/")
            b.eval("document.querySelector('form button[type=submit]').click(),1")
            b.wait_for("!!document.getElementById('form-error') && document.readyState === 'complete'",
                       timeout=20)
            check(b, "form-error")
            b.eval("""(function(){var f=document.forms[0];
                f.category.value='facility_repair';f.address.value='3栋2单元楼道';
                f.description.value='楼道灯坏了。';f.name.value='吴晓明';
                f.phone.value='13912345678';
                f.querySelector('button[type=submit]').click();return 1;})()""")
            b.wait_for("!!document.getElementById('secret') && document.readyState === 'complete'",
                       timeout=20)
            check(b, "receipt")
        for name, v in sorted(found.items()):
            print("[axe] %s: %s" % (name, v or "no violation"))
        bad = {n: [x for x in v if x[1] in ("serious", "critical")]
               for n, v in found.items()}
        self.assertEqual({n: v for n, v in bad.items() if v}, {})

    # -------------------------------------------------------- browser
    def test_browser_submit_receipt_follow(self):
        photo = self.cluster.path("photo.png")
        with open(photo, "wb") as f:
            f.write(tiny_png())
        with Browser(self.cluster) as b:
            b.open(self.base + "/")
            self.assertLessEqual(b.eval("document.documentElement.scrollWidth"), 412)
            b.screenshot(self.shot("start"))
            b.eval("""(function(){var f=document.forms[0];
                f.category.value='facility_repair';f.building.value='B03';
                f.address.value='3栋2单元楼道';
                f.description.value='楼道灯坏了，晚上看不见台阶。';
                f.name.value='吴晓明';f.phone.value='13912345678';return 1;})()""")
            obj = b.call("Runtime.evaluate",
                         {"expression": "document.getElementById('f-photos')"})
            b.call("DOM.setFileInputFiles", {"files": [photo],
                                             "objectId": obj["result"]["objectId"]})
            self.assertEqual(b.eval("document.getElementById('f-photos').files.length"), 1)
            b.eval("document.querySelector('form button[type=submit]').click(),1")
            b.wait_for("!!document.getElementById('secret') && document.readyState === 'complete'",
                       timeout=20)
            code = b.eval("document.getElementById('tracking-code').textContent")
            secret = b.eval("document.getElementById('secret').textContent")
            self.assertEqual(b.eval("document.querySelectorAll('svg.qr path').length"), 1)
            # the print button is the script's (hidden without it)
            self.assertFalse(b.eval("document.getElementById('print').hidden"))
            b.screenshot(self.shot("receipt"))
            href = b.eval("document.getElementById('follow-link').getAttribute('href')")
            self.assertEqual(href, "/t/%s#k=%s" % (code, secret))
            b.open(self.base + href)
            b.wait_for("!!document.getElementById('timeline')", timeout=20)
            text = b.eval("document.body.innerText")
            self.assertIn("诉求已提交", text)
            self.assertIn("当前状态", text)
            self.assertTrue(b.eval("document.getElementById('secret-form').hidden"))
            self.assertLessEqual(b.eval("document.documentElement.scrollWidth"), 412)
            b.screenshot(self.shot("follow"))
        # the case has its photo
        st, view = self.it.track(code, secret)
        self.assertEqual(st, 200, view)
        self.assertEqual(len(view.get("media", [])), 1, view)
        # the secret is in no server log line (the fragment never leaves
        # the browser, the form POST body is not logged): every service's
        # log in the cluster directory (the browser's own log aside)
        logs = self.service_logs()
        self.assertIn("petition_accepted", logs)
        self.assertNotIn(secret, logs)


def tiny_png():
    """A real 8x8 PNG (zlib, no imaging library)."""
    import struct
    import zlib

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + bytes([200, 60, 40] * 8) for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
