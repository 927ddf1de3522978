"""Audit alerts on the staff pages (issue 15, item 3): the whole system with
the default configuration, in which intake consumes the audit's stream for
its AUDIT_ALERT events only. A case transferred four times (the default
alerts.max_transfers is 3) makes the real audit raise too_many_transfers
naming the last handler; intake keeps it and /staff/alerts shows it to the
supervisor (kind in Chinese, time, case link, detail). The policy decides
who sees it: the secretary supervises the handler named, so the alert is
not shown to her; a building head may not open the page (403, no link). On
a phone (412x915 chromium) axe finds no serious or critical violation
(screenshots/alerts.png, axe/alerts.json under the cluster directory)."""
import os
import unittest

from tests.harness.browser import Browser, assert_no_serious
from tests.harness.qf import wait_until
from tests.integration.test_web_staff import SystemPagesCase

SUP, SUP_PW = "s02", "jian-du-yuan-2026"  # 陈立伟, supervisor, supervises nobody
SEC, SEC_PW = "s01", "shu-ji-mi-ma-2026"  # 周明霞, secretary, supervises s03-s08
HEAD, HEAD_PW = "s04", "lou-zhang-al-2026"  # building head of B01-B04
AXE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "js",
                   "node_modules", "axe-core", "axe.min.js")


class AlertsPageTest(SystemPagesCase):
    NAME = "web-alerts"
    ACCOUNTS = ((SUP, SUP_PW), (SEC, SEC_PW), (HEAD, HEAD_PW))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.case = cls.transferred_four_times()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def transferred_four_times(cls):
        st, r = cls.it.json("POST", "/v1/petitions", {
            "category": "facility_repair", "building": "B03", "address": "3栋1单元",
            "description": "3栋1单元门禁坏了，老人进出不方便。", "channel": "app",
            "anonymous": True})
        assert st == 201, r
        case = r["case_id"]

        def handler():
            st, v = cls.it.json("GET", "/v1/cases/" + case,
                                headers={"Authorization": "Bearer qf-dev-s01"})
            if st != 200 or v.get("status") != "assigned":
                return None
            return (v.get("assignee") or {}).get("id") if isinstance(
                v.get("assignee"), dict) else v.get("assignee")
        who = wait_until(handler, timeout=15, what="the case assigned")
        for target in ("s05", "s06", "s04", "s05"):
            st, a = cls.it.json("POST", "/v1/cases/%s/actions" % case,
                                {"action": "transfer", "target_staff": target,
                                 "reason": "转给负责的同事"},
                                {"Authorization": "Bearer qf-dev-" + who})
            assert st == 200, (who, target, st, a)
            who = target
        return case

    def test_supervisor_sees_the_alert(self):
        w = self.web(SUP, SUP_PW)
        self.assertIn('href="/staff/alerts"', w.get("/staff/")[2].decode("utf-8"))

        def page():
            st, _, body = w.get("/staff/alerts")
            text = body.decode("utf-8")
            return text if st == 200 and "多次转办" in text else None
        text = wait_until(page, timeout=30, what="the alert on /staff/alerts")
        self.assertIn('href="/staff/cases/%s"' % self.case, text)
        self.assertIn("案件已被转办 4 次，超过上限 3 次", text)
        # the time as people read it, in the community's zone
        self.assertRegex(text, r"多次转办</strong> · 20\d\d-\d\d-\d\d \d\d:\d\d")

    def test_hidden_from_whoever_supervises_the_person_named(self):
        # the audit has raised it (the supervisor's page shows it) ...
        sup = self.web(SUP, SUP_PW)
        wait_until(lambda: "多次转办" in sup.get("/staff/alerts")[2].decode("utf-8"),
                   timeout=30, what="the alert")
        # ... but it names s05, whom the secretary supervises
        st, _, body = self.web(SEC, SEC_PW).get("/staff/alerts")
        self.assertEqual(st, 200)
        self.assertNotIn("多次转办", body.decode("utf-8"))
        self.assertNotIn(self.case, body.decode("utf-8"))

    def test_building_head_may_not(self):
        h = self.web(HEAD, HEAD_PW)
        self.assertEqual(h.get("/staff/alerts")[0], 403)
        self.assertNotIn('href="/staff/alerts"', h.get("/staff/")[2].decode("utf-8"))
        # nor without a session
        self.assertIn(self.it.request("GET", "/staff/alerts")[0], (303, 401))

    @unittest.skipUnless(os.path.exists("/usr/bin/chromium"), "chromium not installed")
    @unittest.skipUnless(os.path.exists(AXE), "axe-core not installed (make deps-test)")
    def test_phone_page_accessible(self):
        sup = self.web(SUP, SUP_PW)
        wait_until(lambda: "多次转办" in sup.get("/staff/alerts")[2].decode("utf-8"),
                   timeout=30, what="the alert")
        with Browser(self.c) as b:
            self.sign_in(b, SUP, SUP_PW)
            b.open(self.base + "/staff/alerts")
            b.wait_for("document.readyState === 'complete'", timeout=15)
            b.screenshot(self.c.path("screenshots", "alerts.png"))
            assert_no_serious(self, b, "alerts")
            self.assertLessEqual(b.eval("document.documentElement.scrollWidth"), 412)
            self.assertIn("多次转办", b.eval("document.body.innerText"))


if __name__ == "__main__":
    unittest.main()
