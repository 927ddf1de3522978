"""Accessibility of every public page, checked by axe-core (tests/js, pinned)
in Debian's chromium: each HTML page the disclosure service serves (read from
its route table in services/disclosure-publisher/web.c, plus its 404 page
and its static export opened from disk) and the audit service's receipt
page, at a phone viewport (412x915) and a desktop one (1280x800), has no
serious or critical violation of WCAG 2.0 / 2.1 A and AA or of axe's best
practices. Each page's screenshot goes to
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
from tests.harness.svc_disclosure import (Browser, Disclosure, Sources, fill_sample,
                                          new_case_id)

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
        # the two states the sample lacks: rejected and merged
        cls.rejected, cls.merged = new_case_id(), new_case_id()
        for cid in (cls.rejected, cls.merged):
            cls.src.petition(cid, "policy_inquiry", "B02", description="咨询低保申请条件")
            cls.src.transition("CASE_ASSIGNED", cid, "B02", to="assigned", frm="submitted",
                               assignee="s07", actor="system")
        cls.src.transition("CASE_REJECTED", cls.rejected, "B02", to="rejected",
                           frm="assigned", actor="s07", reason="不属于社区受理范围，已告知向街道反映")
        cls.src.transition("CASE_MERGED", cls.merged, "B02", to="merged", frm="assigned",
                           actor="s07", related_case=cls.info["cases"][0])
        cls.d.sync(cls.src)
        cls.intake = PrivEmitter(cls.cluster, "intake-priv")
        cls.a = Audit(cls.cluster, [cls.intake])
        base = "http://127.0.0.1:%d" % cls.d.http_port
        recs = cls.info["records"]
        cases = cls.info["cases"]
        # (name, url): a case in every state, every affairs page
        cls.pages = [
            ("board", base + "/"),
            ("board-filtered", base + "/?state=closed&category=facility_repair"),
            ("case-waiting", base + "/cases/" + cases[5]),
            ("case-progress", base + "/cases/" + cases[1]),
            ("case-resolved", base + "/cases/" + cases[2]),
            ("case-closed", base + "/cases/" + cases[3]),
            ("case-reopened", base + "/cases/" + cases[4]),
            ("case-rejected", base + "/cases/" + cls.rejected),
            ("case-merged", base + "/cases/" + cls.merged),
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
            ("receipt-checked", cls.a.url + "/receipt"),
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
                    prepare = self.PREPARE.get(name)
                    if prepare:
                        prepare(self, b)
                    b.screenshot(self.cluster.path("screenshots",
                                                   "%s-%s.png" % (name, viewport)))
                    assert_no_serious(self, b, "%s-%s" % (name, viewport))

    def live_event(self, b):
        """The dashboard connected, with a case and a breach its script
        inserted after the page loaded."""
        b.wait_for("document.getElementById('live-status')"
                   ".getAttribute('data-live') === 'connected'")
        cid = new_case_id()
        self.src.petition(cid, "public_order", "S01", description="夜间广场舞音响过大")
        self.src.warning(self.info["cases"][1], "B01", breached=True, kind="DEADLINE_RESPOND")
        b.wait_for("document.querySelectorAll('#live-feed li.js.k-case').length >= 1")
        b.wait_for("document.querySelectorAll('#live-feed li.js.k-breach').length >= 1")

    def receipt_checked(self, b):
        """The receipt page showing its verdict on a receipt that is not
        one (the failed steps, in their colours)."""
        b.eval("document.getElementById('receipt').value = '{\"hello\": 1}'")
        b.eval("document.getElementById('check').click()")
        b.wait_for("document.getElementById('result').hasAttribute('data-ok')", timeout=20)

    PREPARE = {"live": live_event, "receipt-checked": receipt_checked}

    def test_phone(self):
        self.check_viewport("phone")

    def test_desktop(self):
        self.check_viewport("desktop")

    def test_static_export(self):
        """The static site (qf-disclosure --export) opened from disk."""
        out = os.path.dirname(self.cluster.path("site", "x"))
        r = self.d.export(out)
        self.assertEqual(r.returncode, 0, r.stderr)
        pages = [("export-board", "index.html"),
                 ("export-case", "cases/%s/index.html" % self.info["cases"][3]),
                 ("export-affairs", "affairs/index.html"),
                 ("export-ledger", "affairs/ledger/2026Q3/index.html")]
        for viewport, (width, height) in VIEWPORTS.items():
            with Browser(self.cluster, width, height) as b:
                for name, rel in pages:
                    with self.subTest(page=name, viewport=viewport):
                        path = os.path.join(out, rel)
                        self.assertTrue(os.path.exists(path), path)
                        b.open("file://" + path)
                        b.screenshot(self.cluster.path("screenshots",
                                                       "%s-%s.png" % (name, viewport)))
                        assert_no_serious(self, b, "%s-%s" % (name, viewport))

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
