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

from tests.harness.qf import Cluster
from tests.harness.svc_disclosure import Browser
from tests.harness.svc_intake import IntakeService, jpeg, multipart

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
        cls.it = IntakeService(cls.cluster, settings={
            "intake.max_media_bytes": 200000})
        cls.base = "http://127.0.0.1:%d" % cls.it.http_port

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.cluster.close()
        assert rc == 0, "qf-intake exited with %s (see its log)" % rc

    def shot(self, name):
        return self.cluster.path("screenshots", name + ".png")

    def logs(self):
        out = []
        for root, _, files in os.walk(self.cluster.dir):
            for f in files:
                if f.endswith(".log"):
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

    # -------------------------------------------------------- bad input
    def test_bad_input_shows_chinese_error_by_its_field(self):
        cases = [
            (dict(FORM, description="  "), (), 400, "description", "问题描述"),
            (dict(FORM, category="no_such"), (), 422, "category", "没有这个诉求类别"),
            (dict(FORM, phone="12"), (), 400, "phone", "电话号码格式不正确"),
            (FORM, [("photos", "big.jpg", "image/jpeg", jpeg(300000))], 413, "photos",
             "过大"),
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
