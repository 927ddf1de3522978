"""Accessibility of every public page, checked by axe-core (tests/js, pinned)
in Debian's chromium: each HTML page the disclosure service serves (read from
its route table in services/disclosure-publisher/web.c, plus its 404 page)
and the audit service's receipt page, at a phone viewport (412x915) and a
desktop one (1280x800), has no serious or critical violation of WCAG 2.0 /
2.1 A and AA or of axe's best practices. Each page's screenshot goes to
<cluster>/screenshots and axe's full result to <cluster>/axe (QF_KEEP=1
keeps them); one line per page gives the violations by impact, the numbers
quoted in docs/ACCESSIBILITY.md.

    QF_BUILD=build python3 -m unittest -v tests.integration.test_a11y_public
"""
import os
import unittest

from tests.harness.browser import AXE_JS, assert_no_serious
from tests.harness.qf import BIN, Cluster
from tests.harness.svc_audit import Audit, PrivEmitter
from tests.harness.svc_disclosure import Browser, Disclosure, Sources, fill_sample

VIEWPORTS = {"phone": (412, 915), "desktop": (1280, 800)}


@unittest.skipUnless(os.path.exists("/usr/bin/chromium"), "chromium not installed")
@unittest.skipUnless(os.path.exists(AXE_JS), "axe-core not installed (make deps-test)")
@unittest.skipUnless(os.path.exists(os.path.join(BIN, "qf-audit")), "qf-audit not built")
class PublicPagesA11yTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("a11y-public")
        cls.src = Sources(cls.cluster)
        cls.d = Disclosure(cls.cluster, cls.src.all())
        cls.info = fill_sample(cls.src)
        cls.d.sync(cls.src)
        cls.intake = PrivEmitter(cls.cluster, "intake-priv")
        cls.a = Audit(cls.cluster, [cls.intake])
        base = "http://127.0.0.1:%d" % cls.d.http_port
        recs = cls.info["records"]
        cases = cls.info["cases"]
        # (name, url): a case in each kind of state the sample has (waiting,
        # in progress, resolved, closed, reopened), every affairs page
        cls.pages = [
            ("board", base + "/"),
            ("board-filtered", base + "/?state=closed&category=facility_repair"),
            ("case-waiting", base + "/cases/" + cases[5]),
            ("case-progress", base + "/cases/" + cases[1]),
            ("case-closed", base + "/cases/" + cases[3]),
            ("case-reopened", base + "/cases/" + cases[4]),
            ("affairs", base + "/affairs"),
            ("ledger", base + "/affairs/ledger/2026Q3"),
            ("list", base + "/affairs/lists/" + recs["list"]),
            ("record", base + "/records/" + recs["list"]),
            ("record-ledger", base + "/records/" + recs["ledger"][2]),
            ("roster", base + "/roster"),
            ("stats", base + "/stats"),
            ("verify", base + "/verify"),
            ("question", base + "/question?ref=ledger_quarter:2026Q3"),
            ("live", base + "/live"),
            ("not-found", base + "/cases/C00000000000000000000000000"),
            ("receipt", cls.a.url + "/receipt"),
        ]

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def check_viewport(self, viewport):
        width, height = VIEWPORTS[viewport]
        with Browser(self.cluster, width, height) as b:
            for name, url in self.pages:
                with self.subTest(page=name, viewport=viewport):
                    b.open(url)
                    if name == "live":
                        b.wait_for("document.getElementById('live-status')"
                                   ".getAttribute('data-live') === 'connected'")
                    b.screenshot(self.cluster.path("screenshots",
                                                   "%s-%s.png" % (name, viewport)))
                    assert_no_serious(self, b, "%s-%s" % (name, viewport))

    def test_phone(self):
        self.check_viewport("phone")

    def test_desktop(self):
        self.check_viewport("desktop")

    def test_axe_runs_under_a_strict_csp(self):
        """The receipt page sends script-src 'self' with no inline script;
        axe still runs there (evaluated through DevTools) and finds a rule
        broken on purpose."""
        st, hd, _ = self.a.get("/receipt")
        self.assertIn("script-src 'self'", hd.get("content-security-policy", ""))
        with Browser(self.cluster) as b:
            b.open(self.a.url + "/receipt")
            self.assertEqual(b.eval("typeof window.axe"), "undefined")
            b.eval("document.documentElement.removeAttribute('lang')")
            ids = [v["id"] for v in b.axe()["violations"]]
            self.assertIn("html-has-lang", ids)


if __name__ == "__main__":
    unittest.main()
