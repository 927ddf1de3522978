"""The secretary's pages (issue 15, item 4) with a real intake and router:
/staff/disclosures enters ledger entries, notices and lists through the
path of POST /v1/disclosures/<kind> (its errors shown next to their field),
/staff/extensions lists cases with a pending extension request and the
approval goes through the case action path; a building head sees neither
page nor its link; axe finds no serious violation at 412x915."""
import os
import unittest

from tests.harness.browser import Browser, assert_no_serious
from tests.harness.qf import wait_until
from tests.integration.test_web_staff import FORM, SystemPagesCase, csrf_of
from urllib.parse import urlencode

SEC, SEC_PW = "s01", "shu-ji-zhou-2026"
HEAD, HEAD_PW = "s04", "lou-zhang-2026!"
AXE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "js",
                   "node_modules", "axe-core", "axe.min.js")
HAVE_BROWSER = os.path.exists("/usr/bin/chromium") and os.path.exists(AXE)


class SecretaryPagesTest(SystemPagesCase):
    NAME = "web-secretary"
    ACCOUNTS = ((SEC, SEC_PW), (HEAD, HEAD_PW))

    def api(self, method, path, body=None, who=SEC):
        return self.it.json(method, path, body, headers={"Authorization": "Bearer qf-dev-" + who})

    def test_ledger_notice_list_entered(self):
        w = self.web(SEC, SEC_PW)
        st, _, body = w.get("/staff/disclosures")
        self.assertEqual(st, 200)
        page = body.decode("utf-8")
        self.assertIn('name="ledger.amount_fen"', page)
        self.assertIn('href="/staff/disclosures"', page)
        self.assertIn('href="/staff/extensions"', page)
        token = csrf_of(body)
        st, _, body = w.post("/staff/disclosures/ledger", {
            "csrf": token, "ledger.direction": "expense", "ledger.date": "2026-12-03",
            "ledger.amount_fen": "1250.50", "ledger.reason": "更换3栋楼道声控灯",
            "ledger.counterparty": "星河物业维修部", "ledger.voucher": ""})
        page = body.decode("utf-8")
        self.assertEqual(st, 201, page[:2000])
        rid = page.split("记录编号 ")[1].split("。")[0]
        self.assertIn("更换3栋楼道声控灯", page)
        self.assertIn("1250.50", page)  # the entry and the running sum
        self.assertIn("-1250.50", page)
        st, rec = self.api("GET", "/v1/disclosures/" + rid)
        self.assertEqual(st, 200, rec)
        led = rec["versions"][0]["ledger"]
        self.assertEqual((led["amount_fen"], led["income"]), (125050, False))
        self.assertEqual(rec["versions"][0]["actor"]["staff_id"], SEC)
        # a second entry, income: the running balance adds up
        st, _, body = w.post("/staff/disclosures/ledger", {
            "csrf": token, "ledger.direction": "income", "ledger.date": "2026-12-05",
            "ledger.amount_fen": "3000", "ledger.reason": "区民政拨付公益金",
            "ledger.counterparty": "区民政局"})
        self.assertEqual(st, 201)
        self.assertIn("1749.50", body.decode("utf-8"))
        # a notice
        st, _, body = w.post("/staff/disclosures/notice", {
            "csrf": token, "notice.affair": "residential", "notice.title": "停水通知",
            "notice.body": "12月10日上午9时至12时停水，请提前储水。",
            "notice.date": "2026-12-08"})
        page = body.decode("utf-8")
        self.assertEqual(st, 201, page[:2000])
        nid = page.split("记录编号 ")[1].split("。")[0]
        self.assertIn("公告：停水通知", page)
        st, rec = self.api("GET", "/v1/disclosures/" + nid)
        self.assertEqual(st, 200)
        self.assertEqual(rec["versions"][0]["notice"]["affair"], "residential")
        # a list with items, one a line
        st, _, body = w.post("/staff/disclosures/list", {
            "csrf": token, "list.title": "2026年第四季度医疗救助名单",
            "list.list_kind": "medical_aid", "list.period": "2026Q4",
            "list.items": "王某,B01,住院救助,800\r\n李某，B02"})
        page = body.decode("utf-8")
        self.assertEqual(st, 201, page[:2000])
        lid = page.split("记录编号 ")[1].split("。")[0]
        self.assertIn("名单：2026年第四季度医疗救助名单", page)
        items = self.api("GET", "/v1/disclosures/" + lid)[1]["versions"][0]["list"]["items"]
        self.assertEqual([(i["name"], i["building"]) for i in items],
                         [("王某", "B01"), ("李某", "B02")])
        self.assertEqual(items[0]["amount_fen"], 80000)

    def test_errors_next_to_their_field(self):
        w = self.web(SEC, SEC_PW)
        token = w.csrf("/staff/disclosures")
        cases = [
            ("ledger", {"ledger.direction": "expense", "ledger.date": "2026-13-40",
                        "ledger.amount_fen": "5", "ledger.reason": "x",
                        "ledger.counterparty": "y"}, 400, "ledger.date", "日期"),
            ("ledger", {"ledger.direction": "expense", "ledger.date": "2026-12-01",
                        "ledger.amount_fen": "很多", "ledger.reason": "x",
                        "ledger.counterparty": "y"}, 400, "ledger.amount_fen", None),
            ("ledger", {"ledger.direction": "income", "ledger.date": "2026-12-01",
                        "ledger.amount_fen": "12.345", "ledger.reason": "x",
                        "ledger.counterparty": "y"}, 400, "ledger.amount_fen", None),
            ("ledger", {"ledger.direction": "income", "ledger.date": "2026-12-01",
                        "ledger.amount_fen": "0", "ledger.reason": "x",
                        "ledger.counterparty": "y"}, 400, "ledger.amount_fen", None),
            ("ledger", {"ledger.direction": "sideways", "ledger.date": "2026-12-01",
                        "ledger.amount_fen": "5", "ledger.reason": "x",
                        "ledger.counterparty": "y"}, 400, "ledger.direction", "收入"),
            ("notice", {"notice.affair": "party", "notice.title": "",
                        "notice.body": "正文", "notice.date": "2026-12-01"},
             400, "notice.title", None),
            ("list", {"list.title": "名单", "list.list_kind": "medical_aid",
                      "list.period": "2026Q4", "list.items": "王某,B99"},
             422, "list.items", "没有这个楼栋"),
            ("roster", {"roster.staff_id": "s07", "roster.name": "",
                        "roster.post": "民政专干"}, 400, "roster.name", None),
            ("roster", {"roster.staff_id": "s07", "roster.name": "赵丽娟",
                        "roster.post": "民政专干", "roster.office_phone": "找我办公室"},
             400, "roster.office_phone", "电话号码"),
        ]
        for kind, fields, status, field, text in cases:
            with self.subTest(field=field):
                st, _, body = w.post("/staff/disclosures/" + kind, dict(fields, csrf=token))
                page = body.decode("utf-8")
                self.assertEqual(st, status, page[:1500])
                # the error is tied to its field (id e-<field>, aria-describedby)
                self.assertIn('id="e-%s"' % field, page)
                self.assertIn('aria-invalid="true"', page)
                err = page.split('id="e-%s"' % field)[1].split("</")[0]
                self.assertRegex(err, "[\u4e00-\u9fff]")
                if text:
                    self.assertIn(text, err)
                # what was typed stays
                for k, v in fields.items():
                    if v and k != "ledger.direction" and k != "notice.affair":
                        self.assertIn(v, page)
        # without the form's token: refused
        st, _, _ = w.post("/staff/disclosures/notice", {"notice.title": "x"})
        self.assertEqual(st, 403)

    def test_roster_entered_and_stats_linked(self):
        w = self.web(SEC, SEC_PW)
        st, _, body = w.get("/staff/disclosures")
        page = body.decode("utf-8")
        self.assertIn('action="/staff/disclosures/roster"', page)
        # the board's statistics, at the board's address in this system
        self.assertIn('href="http://127.0.0.1:%d/stats"' % self.s.port[8083], page)
        st, _, body = w.post("/staff/disclosures/roster", {
            "csrf": csrf_of(body), "roster.staff_id": "s07", "roster.name": "赵丽娟",
            "roster.post": "民政专干", "roster.responsibilities": "低保、医疗救助",
            "roster.duty": "周一至周五", "roster.office_phone": "0818-2100007"})
        page = body.decode("utf-8")
        self.assertEqual(st, 201, page[:2000])
        rid = page.split("记录编号 ")[1].split("。")[0]
        self.assertIn("名册：赵丽娟（民政专干）", page)
        st, rec = self.api("GET", "/v1/disclosures/" + rid)
        self.assertEqual(st, 200, rec)
        ro = rec["versions"][0]["roster"]
        self.assertEqual((ro["staff_id"], ro["name"], ro["post"]), ("s07", "赵丽娟", "民政专干"))
        self.assertEqual(rec["versions"][0]["actor"]["staff_id"], SEC)
        # the board shows it (the roster page lists the entry)
        board = self.s.procs["disclosure"]
        wait_until(lambda: "赵丽娟" in board.request("GET", "/roster")[2].decode("utf-8")
                   and "低保、医疗救助" in board.request("GET", "/roster")[2].decode("utf-8"),
                   timeout=15, what="the roster entry on the board")

    def test_extension_approved(self):
        body = {"category": "facility_repair", "building": "B01", "address": "1栋2单元",
                "description": "1栋屋顶防水层破损，需要报修", "channel": "app",
                "anonymous": True}
        st, ans = self.it.json("POST", "/v1/petitions", body)
        self.assertEqual(st, 201, ans)
        cid = ans["case_id"]
        view = lambda: self.api("GET", "/v1/cases/" + cid)[1]
        wait_until(lambda: view().get("status") == "assigned", timeout=15, what="assigned")
        self.assertIn(self.api("POST", "/v1/cases/%s/actions" % cid,
                               {"action": "accept"}, who=HEAD)[0], (200, 202))
        wait_until(lambda: view().get("status") == "accepted", timeout=15, what="accepted")
        due = view()["deadlines"]["resolve_due_at"]
        st, ans = self.api("POST", "/v1/cases/%s/actions" % cid,
                           {"action": "extend_request", "extension_hours": 48,
                            "reason": "需等待防水材料到货"}, who=HEAD)
        self.assertIn(st, (200, 202), ans)
        w = self.web(SEC, SEC_PW)
        wait_until(lambda: cid in w.get("/staff/extensions")[2].decode("utf-8"),
                   timeout=15, what="the request on the page")
        st, _, body = w.get("/staff/extensions")
        page = body.decode("utf-8")
        self.assertIn("需等待防水材料到货", page)
        self.assertIn("48 小时", page)
        self.assertIn('value="extend_approve"', page)
        if HAVE_BROWSER:
            # on a phone: the pending request passes axe; approve by a click
            with Browser(self.c) as b:
                self.sign_in(b, SEC, SEC_PW)
                b.open(self.base + "/staff/extensions")
                b.screenshot(self.c.path("screenshots", "secretary-extensions-pending.png"))
                assert_no_serious(self, b, "secretary-extensions-pending")
                self.assertLessEqual(b.eval("document.documentElement.scrollWidth"), 412)
                b.eval("document.querySelector('form[action=\"/staff/cases/%s/act\"] "
                       "input[value=extend_approve]').form.querySelector('button').click()"
                       % cid)
                b.wait_for("document.readyState === 'complete' && "
                           "location.pathname == '/staff/cases/%s'" % cid, timeout=20)
        else:
            st, hd, _ = w.post("/staff/cases/%s/act" % cid,
                               {"action": "extend_approve", "csrf": csrf_of(body)})
            self.assertEqual(st, 303)
        wait_until(lambda: view()["deadlines"]["resolve_due_at"] != due, timeout=15,
                   what="the deadline moved")
        self.assertGreater(view()["deadlines"]["resolve_due_at"], due)
        wait_until(lambda: cid not in w.get("/staff/extensions")[2].decode("utf-8"),
                   timeout=15, what="the request decided")

    def test_building_head_refused(self):
        w = self.web(HEAD, HEAD_PW)
        for path in ("/staff/disclosures", "/staff/extensions"):
            self.assertEqual(w.get(path)[0], 403, path)
        token = w.csrf()
        st, _, _ = w.post("/staff/disclosures/notice", {
            "csrf": token, "notice.affair": "party", "notice.title": "t",
            "notice.body": "b", "notice.date": "2026-12-01"})
        self.assertEqual(st, 403)
        page = w.get("/staff/")[2].decode("utf-8")
        self.assertNotIn("/staff/disclosures", page)
        self.assertNotIn("/staff/extensions", page)

    def test_staff_role_sees_only_its_forms(self):
        """s07 (role staff: notices and lists, not the books) gets the page
        without the ledger form; the ledger route is 403; no approvals."""
        st, _, body = self.it.request("POST", "/staff/accounts",
                                      urlencode({"staff": "s07", "password": "min-zheng-2026"}),
                                      dict(FORM, Authorization="Bearer qf-dev-s01"))
        self.assertEqual(st, 200, body[:300])
        w = self.web("s07", "min-zheng-2026")
        st, _, body = w.get("/staff/disclosures")
        page = body.decode("utf-8")
        self.assertEqual(st, 200)
        self.assertNotIn("ledger.amount_fen", page)
        self.assertIn('name="notice.title"', page)
        self.assertIn('name="list.items"', page)
        self.assertNotIn("/staff/extensions", page)
        self.assertEqual(w.get("/staff/extensions")[0], 403)
        st, _, _ = w.post("/staff/disclosures/ledger", {
            "csrf": csrf_of(body), "ledger.direction": "income", "ledger.date": "2026-12-01",
            "ledger.amount_fen": "1", "ledger.reason": "x", "ledger.counterparty": "y"})
        self.assertEqual(st, 403)

    @unittest.skipUnless(HAVE_BROWSER, "chromium or axe-core not installed (make deps-test)")
    def test_phone_axe(self):
        with Browser(self.c) as b:
            self.sign_in(b, SEC, SEC_PW)
            for name, path in (("disclosures", "/staff/disclosures"),
                               ("extensions", "/staff/extensions")):
                b.open(self.base + path)
                b.screenshot(self.c.path("screenshots", "secretary-%s.png" % name))
                assert_no_serious(self, b, "secretary-" + name)
                self.assertLessEqual(b.eval("document.documentElement.scrollWidth"), 412)
            # an error page too: the field's error
            b.open(self.base + "/staff/disclosures")
            b.eval("(function(){var f=document.querySelector("
                   "'form[action=\"/staff/disclosures/notice\"]');"
                   "f.querySelector('[name=\"notice.title\"]').value='停电通知';"
                   "f.querySelector('[name=\"notice.body\"]').value='周五停电';"
                   "f.querySelector('[name=\"notice.date\"]').type='text';"
                   "f.querySelector('[name=\"notice.date\"]').value='2026-02-30';"
                   "f.querySelector('button').click();return 1})()")
            b.wait_for("document.readyState === 'complete' && "
                       "!!document.getElementById('e-notice.date')", timeout=20)
            b.screenshot(self.c.path("screenshots", "secretary-error.png"))
            assert_no_serious(self, b, "secretary-error")


if __name__ == "__main__":
    unittest.main()
