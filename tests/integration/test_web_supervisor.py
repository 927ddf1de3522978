"""The integrity supervisor's pages (issue 15, item 3), real intake and
router: /staff/visits (the visit log, a form through POST /v1/visits' path,
the month's households counted once per building and unit, a warning in
words when behind the quota's pace) and /staff/integrity (the integrity
reports the policy lets the person read). A building head sees neither link
and gets 403. On a phone (412x915 chromium) axe finds no serious or critical
violation; screenshots and axe results under the cluster directory
(screenshots/sup-*.png, axe/sup-*.json)."""
import os
import re
import time
import unittest

from tests.harness.browser import Browser, assert_no_serious
from tests.harness.qf import wait_until
from tests.integration.test_web_staff import SystemPagesCase

SUP, SUP_PW = "s02", "jian-du-yuan-2026"  # 陈立伟, role supervisor
HEAD, HEAD_PW = "s04", "lou-zhang-sup-2026"  # building head of B01-B04
AXE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "js",
                   "node_modules", "axe-core", "axe.min.js")
PAST = "2026-01"  # a month over: the whole quota was due


class SupervisorPagesTest(SystemPagesCase):
    NAME = "web-sup"
    ACCOUNTS = ((SUP, SUP_PW), (HEAD, HEAD_PW))

    def links(self, w):
        """The supervisor's links in w's nav."""
        page = w.get("/staff/")[2].decode("utf-8")
        return [p for p in ("/staff/visits", "/staff/integrity") if 'href="%s"' % p in page]

    def visit(self, w, **fields):
        token = w.csrf("/staff/visits")
        st, _, body = w.post("/staff/visits", dict(fields, csrf=token))
        return st, body.decode("utf-8")

    def test_visits_households_and_pace(self):
        w = self.web(SUP, SUP_PW)
        self.assertEqual(self.links(w), ["/staff/visits", "/staff/integrity"])
        home = {"place": "住户走访", "building": "B03", "household": "1"}
        for date, unit in (("2026-01-05", "2单元301"), ("2026-01-12", "2单元301"),
                           ("2026-01-20", "1单元102")):
            st, page = self.visit(w, date=date, unit=unit, findings="了解用水情况", **home)
            self.assertEqual(st, 201, page[:500])
            self.assertIn("走访记录已保存", page)
        st, _, body = w.get("/staff/visits?month=" + PAST)
        page = body.decode("utf-8")
        self.assertEqual(st, 200)
        # three visits, two households (the same unit twice counts once)
        self.assertIn("已走访 <strong>2</strong> 户", page)
        self.assertEqual(page.count("了解用水情况"), 3)
        self.assertIn("【未完成】", page)
        self.assertIn("少于每月任务 15 户", page)
        # the API says the same
        st, ans = self.it.json("GET", "/v1/visits?month=" + PAST,
                               headers={"Authorization": "Bearer qf-dev-s02"})
        self.assertEqual((st, ans["count"], ans["households"], ans["distinct_households"]),
                         (200, 3, 3, 2))
        self.assertEqual(sorted(v["unit"] for v in ans["visits"]),
                         ["1单元102", "2单元301", "2单元301"])
        # the router's duty (its DUTY_QUOTA and the public duty figures)
        # counts the same distinct households, from the visits' private
        # household key, never the address
        router = self.s.procs["router"]

        def duty():
            st, body = router.json("GET", "/v1/duties?month=" + PAST,
                                   headers={"Authorization": "Bearer qf-dev-s02"})
            items = [i for i in body.get("items", []) if i["staff_id"] == "s02"]
            return items[0] if items and items[0]["done"] >= 2 else None
        d = wait_until(duty, timeout=15, what="the router's household count")
        time.sleep(0.5)  # a third count, if one were coming, lands by now
        d = duty()
        self.assertEqual((d["done"], d["target"]), (2, 15), d)
        # a month still to come: nothing due yet, no warning
        st, _, body = w.get("/staff/visits?month=2099-12")
        self.assertNotIn("【", body.decode("utf-8").split("<main", 1)[-1])

    def test_bad_input_next_to_its_field(self):
        w = self.web(SUP, SUP_PW)
        cases = [({"date": "2026-13-45", "place": "住户"}, "date"),
                 ({"date": "2026-01-05", "place": ""}, "place"),
                 ({"date": "2026-01-05", "place": "住户", "building": "B99"}, "building"),
                 ({"date": "2026-01-05", "place": "住户", "unit": "单" * 40}, "unit")]
        for fields, field in cases:
            st, page = self.visit(w, **fields)
            self.assertIn(st, (400, 422), (field, page[:300]))
            m = re.search(r'<[^>]*id="e-%s"[^>]*>([^<]+)<' % field, page)
            self.assertTrue(m, (field, page[:2000]))
            self.assertTrue(re.search("[\u4e00-\u9fff]", m.group(1)), m.group(1))
            self.assertNotIn(field, m.group(1))  # in the form's words, not the API's
            self.assertRegex(page, r'name="%s"[^>]*aria-invalid="true"|aria-invalid="true"'
                             r'[^>]*name="%s"' % (field, field))
            self.assertIn("走访记录没有保存", page)
        # the API's own answers for the new member
        for unit, code in (("单" * 40, "too_long"), (12, "invalid_type"),
                           ("2单元\u0007", "invalid_text")):
            st, ans = self.it.json("POST", "/v1/visits",
                                   {"date": "2026-01-05", "place": "住户", "unit": unit,
                                    "household": True},
                                   headers={"Authorization": "Bearer qf-dev-s02"})
            self.assertEqual((st, ans.get("code"), ans.get("field")), (400, code, "unit"), ans)
        # the CSRF token is required
        st, _, _ = w.post("/staff/visits", {"date": "2026-01-05", "place": "住户"})
        self.assertEqual(st, 403)

    def test_building_head_has_neither(self):
        w = self.web(HEAD, HEAD_PW)
        self.assertEqual(self.links(w), [])
        for path in ("/staff/visits", "/staff/integrity"):
            st, _, _ = w.get(path)
            self.assertEqual(st, 403, path)
        st, _, _ = w.post("/staff/visits", {"csrf": w.csrf(), "date": "2026-01-05",
                                            "place": "住户"})
        self.assertEqual(st, 403)

    def test_integrity_list(self):
        body = {"category": "integrity_report", "building": "B01", "address": "1栋",
                "description": "楼长收取好处费", "channel": "app", "anonymous": True,
                "concerns_staff": HEAD}
        st, ans = self.it.json("POST", "/v1/petitions", body)
        self.assertEqual(st, 201, ans)
        cid = ans["case_id"]
        st, ans = self.it.json("POST", "/v1/petitions", dict(
            body, category="facility_repair", description="路灯坏了", concerns_staff=None))
        self.assertEqual(st, 201, ans)
        plain = ans["case_id"]
        # routed straight to the supervisor (the secretary supervises s04:
        # the policy hides the report from her)
        wait_until(lambda: self.it.json("GET", "/v1/cases/" + cid, headers={
            "Authorization": "Bearer qf-dev-s02"})[1].get("status") == "assigned",
                   timeout=15, what="the router's assignment")
        w = self.web(SUP, SUP_PW)
        st, _, page = w.get("/staff/integrity")
        page = page.decode("utf-8")
        self.assertEqual(st, 200)
        self.assertIn('href="/staff/cases/%s"' % cid, page)
        self.assertNotIn(plain, page)
        st, _, _ = w.get("/staff/cases/" + cid)
        self.assertEqual(st, 200)
        # the building head it concerns: no list, and the case stays hidden
        h = self.web(HEAD, HEAD_PW)
        self.assertEqual(h.get("/staff/integrity")[0], 403)
        self.assertNotIn(cid, h.get("/staff/")[2].decode("utf-8"))
        self.assertIn(h.get("/staff/cases/" + cid)[0], (403, 404))

    @unittest.skipUnless(os.path.exists("/usr/bin/chromium"), "chromium not installed")
    @unittest.skipUnless(os.path.exists(AXE), "axe-core not installed (make deps-test)")
    def test_phone_pages_accessible(self):
        def look(name):
            b.wait_for("document.readyState === 'complete'", timeout=15)
            b.screenshot(self.c.path("screenshots", "sup-%s.png" % name))
            assert_no_serious(self, b, "sup-" + name)
            self.assertLessEqual(b.eval("document.documentElement.scrollWidth"), 412, name)
            self.assertEqual(b.eval(
                "Array.from(document.querySelectorAll('textarea,input:not([type=hidden]),"
                "select')).filter(function(e){return !e.labels || !e.labels.length}).length"),
                0, name)

        with Browser(self.c) as b:
            self.sign_in(b, SUP, SUP_PW)
            b.open(self.base + "/staff/visits?month=" + PAST)
            look("visits")
            # a bad date: the error next to its field
            b.eval("document.getElementById('f-date').value='2026-02-30';"
                   "document.getElementById('f-place').value='住户';"
                   "document.querySelector('form[action=\"/staff/visits\"] button').click()")
            b.wait_for("document.readyState === 'complete' && "
                       "!!document.getElementById('e-date')", timeout=15)
            look("visits-error")
            b.open(self.base + "/staff/integrity")
            look("integrity")


if __name__ == "__main__":
    unittest.main()
