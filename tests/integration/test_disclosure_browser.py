"""The pages in a real browser (Debian's chromium, headless): every page
renders with its content on a phone-sized screen, a script or an XSS payload
in a petition, a list or a notice is shown as text and never runs, the live
dashboard receives new cases, warnings and counters over Server-Sent Events
after the page has loaded, and the static export works from disk.
Screenshots go to the cluster directory (QF_KEEP=1 keeps it)."""
import pathlib
import os
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_disclosure import (Browser, Disclosure, Sources, chromium,
                                          fill_sample, new_case_id, new_record_id, now_ms)

XSS_SCRIPT = "<script>window.__xss=1;document.title='pwned'</script>"
XSS_IMG = "<img src=x onerror=\"window.__xss=2\">"
XSS_SVG = "<svg onload=\"window.__xss=3\"></svg>"


@unittest.skipUnless(os.path.exists("/usr/bin/chromium"), "chromium not installed")
class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("dbrowser")
        cls.src = Sources(cls.cluster)
        cls.d = Disclosure(cls.cluster, cls.src.all())
        cls.info = fill_sample(cls.src)
        cls.xss_case = new_case_id()
        cls.src.petition(cls.xss_case, "safety_hazard", "B03",
                         description="楼道堵塞" + XSS_SCRIPT + XSS_IMG + XSS_SVG,
                         address="3栋\"><script>window.__xss=4</script>")
        cls.xss_list = new_record_id()
        cls.src.disclosure(cls.xss_list, "DISCLOSURE_LIST",
                           list={"title": "名单" + XSS_IMG, "period": "2026Q3",
                                 "items": [{"name": XSS_SCRIPT, "building": "B01",
                                            "detail": XSS_SVG, "amount_fen": 100}]})
        cls.src.disclosure(new_record_id(), "DISCLOSURE_NOTICE",
                           notice={"affair": "party", "title": "通知" + XSS_SVG,
                                   "body": XSS_SCRIPT, "date": "2026-09-01"})
        cls.d.sync(cls.src)
        cls.base = "http://127.0.0.1:%d" % cls.d.http_port

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def shot(self, name):
        return self.cluster.path("screenshots", name + ".png")

    def test_pages_render_on_a_phone(self):
        pages = [
            ("board", "/", "群众诉求办理公开"),
            ("case", "/cases/" + self.info["cases"][3], "办理过程"),
            ("affairs", "/affairs", "党务、居务、财务公开"),
            ("ledger", "/affairs/ledger/2026Q3", "财务收支公开"),
            ("list", "/affairs/lists/" + self.info["records"]["list"], "更正前"),
            ("record", "/records/" + self.info["records"]["list"], "版本记录"),
            ("roster", "/roster", "社区干部名册"),
            ("stats", "/stats", "诉求办理统计"),
            ("verify", "/verify", "如何校验"),
            ("question", "/question?ref=ledger_quarter:2026Q3", "对公开事项提出质询"),
        ]
        with Browser(self.cluster) as b:
            for name, path, heading in pages:
                b.open(self.base + path)
                text = b.eval("document.body.innerText")
                self.assertIn(heading, text, path)
                # fits a phone: nothing wider than the screen but tables,
                # which scroll inside their own box
                self.assertLessEqual(b.eval("document.documentElement.scrollWidth"), 412,
                                     path)
                png = b.screenshot(self.shot(name))
                self.assertGreater(os.path.getsize(png), 2000, path)
            # the statistics page carries its charts as SVG
            b.open(self.base + "/stats")
            self.assertGreaterEqual(b.eval("document.querySelectorAll('figure.chart svg')"
                                           ".length"), 3)
        # and a one-shot render (no DevTools) agrees
        dom = chromium(self.cluster, self.base + "/affairs", dump_dom=True)
        self.assertIn("党务、居务、财务公开", dom)

    def test_xss_payloads_are_text(self):
        with Browser(self.cluster) as b:
            for path in ("/cases/" + self.xss_case, "/", "/affairs/lists/" + self.xss_list,
                         "/affairs", "/live"):
                b.open(self.base + path)
                self.assertEqual(b.eval("typeof window.__xss"), "undefined", path)
                self.assertNotEqual(b.eval("document.title"), "pwned", path)
                self.assertEqual(b.eval(
                    "Array.prototype.filter.call(document.querySelectorAll('script'),"
                    "function(s){return !/\\/static\\/(live|question)\\.js$/.test(s.src);})"
                    ".length"), 0, path)
                self.assertEqual(b.eval("document.querySelectorAll('main img').length"), 0,
                                 path)
            b.open(self.base + "/cases/" + self.xss_case)
            text = b.eval("document.querySelector('main').textContent")
            self.assertIn("<script>window.__xss=1;", text)
            self.assertIn("<img src=x onerror=", text)
            b.screenshot(self.shot("xss-case"))

    def test_live_dashboard_follows_events(self):
        with Browser(self.cluster) as b:
            b.open(self.base + "/live")
            b.wait_for("document.getElementById('live-status')"
                       ".getAttribute('data-live') === 'connected'")
            total = int(b.eval("document.querySelector('[data-k=total]').textContent"))
            # a new case, a warning and a breach arrive after the page loaded
            cid = new_case_id()
            self.src.petition(cid, "public_order", "S01",
                              description="夜间烧烤扰民" + XSS_IMG)
            self.src.warning(self.info["cases"][0], "B01", permille=800)
            self.src.warning(self.info["cases"][1], "B01", breached=True,
                             kind="DEADLINE_RESPOND")
            b.wait_for("document.querySelectorAll('#live-feed li.js.k-case').length >= 1")
            b.wait_for("document.querySelectorAll('#live-feed li.js.k-breach').length >= 1")
            b.wait_for("document.querySelectorAll('#live-feed li.js.k-warning').length >= 1")
            b.wait_for("parseInt(document.querySelector('[data-k=total]').textContent) === %d"
                       % (total + 1))
            self.assertEqual(b.eval("typeof window.__xss"), "undefined")
            item = b.eval("document.querySelector('#live-feed li.js.k-case').textContent")
            self.assertIn("夜间烧烤扰民<img src=x onerror=", item)
            href = b.eval("document.querySelector('#live-feed li.js.k-case a').getAttribute('href')")
            self.assertEqual(href, "/cases/" + cid)
            self.assertEqual(b.eval("document.getElementById('live')"
                                    ".getAttribute('data-counters')"), "live")
            b.screenshot(self.shot("live"))

    def test_static_export_opens_from_disk(self):
        out = os.path.dirname(self.cluster.path("site", "x"))
        r = self.d.export(out)
        self.assertEqual(r.returncode, 0, r.stderr)
        index = "file://" + os.path.join(out, "index.html")
        dom = chromium(self.cluster, index, dump_dom=True)
        self.assertIn("群众诉求办理公开", dom)
        self.assertIn("cases/%s/index.html" % self.info["cases"][0], dom)
        case_page = "file://" + os.path.join(out, "cases", self.info["cases"][3], "index.html")
        dom = chromium(self.cluster, case_page, dump_dom=True)
        self.assertIn("办理过程", dom)
        self.assertIn("../../static/site.css", dom)
        chromium(self.cluster, case_page, screenshot=self.shot("export-case"))
        ledger = os.path.join(out, "affairs", "ledger", "2026Q3", "index.html")
        self.assertTrue(os.path.exists(ledger))
        self.assertIn("../../../static/site.css", pathlib.Path(ledger).read_text(encoding="utf-8"))


if __name__ == "__main__":
    unittest.main()
