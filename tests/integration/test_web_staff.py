"""Staff workbench pages served by intake (issue 15, staff part): sign-in
with a password (Argon2id), a session cookie (HttpOnly, SameSite=Strict),
CSRF tokens on every form, lockout after repeated failures with one generic
answer, my queue, a case page whose actions go through the same path as
POST /v1/cases/:id/actions (a real router decides), and the secretary's
accounts page."""
import hashlib
import json
import re
import time
import unittest
from urllib.parse import urlencode

from tests.harness.qf import Cluster, Emitter, binary, wait_until
from tests.harness.browser import Browser, assert_no_serious
from tests.harness.svc_intake import SAMPLE, IntakeService, jpeg, multipart
from tests.harness.system import System

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
GENERIC = "工号或密码不正确，或尝试次数过多已暂时锁定。"


def cookie_of(headers):
    m = re.match(r"qf_staff=([0-9a-f]{64});", headers.get("set-cookie", ""))
    return m.group(1) if m else None


def csrf_of(body):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', body.decode("utf-8"))
    return m.group(1) if m else None


class Web:
    """A browser's part over plain HTTP: a cookie and forms."""

    def __init__(self, proc):
        self.p = proc
        self.sid = None

    def h(self, extra=None):
        h = {"Cookie": "qf_staff=" + self.sid} if self.sid else {}
        h.update(extra or {})
        return h

    def get(self, path):
        st, hd, body = self.p.request("GET", path, headers=self.h())
        return st, hd, body

    def post(self, path, fields, extra=None):
        return self.p.request("POST", path, urlencode(fields), self.h(dict(FORM, **(extra or {}))))

    def login(self, staff, pw):
        st, hd, body = self.post("/staff/login", {"staff": staff, "password": pw})
        if st == 303:
            self.sid = cookie_of(hd)
        return st, hd, body

    def csrf(self, path="/staff/"):
        st, _, body = self.get(path)
        assert st == 200, (st, body[:300])
        return csrf_of(body)


class SystemPagesCase(unittest.TestCase):
    """The whole system (System) with web accounts for ACCOUNTS, (staff,
    password) pairs set by the secretary's token; web() signs one in."""
    NAME = "web"
    ACCOUNTS = ()

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(cls.NAME)
        cls.s = System(cls.c)
        cls.it = cls.s.procs["intake"]
        cls.base = "http://127.0.0.1:%d" % cls.it.http_port
        for staff, pw in cls.ACCOUNTS:
            st, _, body = cls.it.request("POST", "/staff/accounts",
                                         urlencode({"staff": staff, "password": pw}),
                                         dict(FORM, Authorization="Bearer qf-dev-s01"))
            assert st == 200, body[:300]

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.c.close()

    def web(self, staff, pw):
        w = Web(self.it)
        self.assertEqual(w.login(staff, pw)[0], 303)
        return w

    def sign_in(self, b, staff, pw):
        """Sign staff in through the login form in browser b."""
        b.open(self.base + "/staff/login")
        b.wait_for("!!document.getElementById('staff')")
        b.eval("document.getElementById('staff').value=%r;"
               "document.getElementById('password').value=%r;"
               "document.querySelector('form[action=\"/staff/login\"] button').click()"
               % (staff, pw))
        b.wait_for("location.pathname == '/staff/' && document.readyState == 'complete'",
                   timeout=20)


def hash_password(c, pw):
    r = c.run([binary("qf-intake"), "--hash-password"], input=pw + "\n", check=True)
    return r.stdout.strip()


class WorkbenchTest(unittest.TestCase):
    """The whole system: the real router decides the actions."""

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("web-staff")
        cls.s = System(cls.c)
        cls.it = cls.s.procs["intake"]

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.c.close()

    def set_password(self, staff, pw, who="s01"):
        st, _, body = self.it.request("POST", "/staff/accounts",
                                      urlencode({"staff": staff, "password": pw}),
                                      dict(FORM, Authorization="Bearer qf-dev-" + who))
        return st, body.decode("utf-8")

    def petition(self, building="B01", **kw):
        body = {"category": "facility_repair", "building": building, "address": "1栋2单元",
                "description": "楼道灯坏了一个星期", "channel": "app", "anonymous": True}
        body.update(kw)
        st, ans = self.it.json("POST", "/v1/petitions", body)
        self.assertEqual(st, 201, ans)
        self.last = ans
        cid = ans["case_id"]
        wait_until(lambda: self.it.json("GET", "/v1/cases/" + cid, headers={
            "Authorization": "Bearer qf-dev-s01"})[1].get("status") == "assigned",
                   timeout=15, what="the router's assignment")
        return cid

    def status(self, cid):
        return self.it.json("GET", "/v1/cases/" + cid,
                            headers={"Authorization": "Bearer qf-dev-s01"})[1]["status"]

    def act(self, w, cid, fields):
        token = w.csrf("/staff/cases/" + cid)
        st, hd, _ = w.post("/staff/cases/%s/act" % cid, dict(fields, csrf=token))
        self.assertEqual(st, 303)
        st, _, body = w.get(hd["location"])
        self.assertEqual(st, 200)
        return body.decode("utf-8")

    def test_head_handles_a_case(self):
        st, body = self.set_password("s04", "lou-zhang-2026!")
        self.assertEqual(st, 200, body)
        self.assertIn("已为 s04 设置新密码", body)
        cid = self.petition("B01")
        w = Web(self.it)
        st, hd, _ = w.login("s04", "lou-zhang-2026!")
        self.assertEqual(st, 303)
        self.assertEqual(hd["location"], "/staff/")
        attrs = [a.strip() for a in hd["set-cookie"].split(";")]
        self.assertIn("HttpOnly", attrs)
        self.assertIn("SameSite=Strict", attrs)
        self.assertIn("Path=/", attrs)
        self.assertNotIn("Secure", attrs)  # served over plain HTTP in the test
        st, hd, body = w.get("/staff/")
        self.assertEqual(st, 200)
        page = body.decode("utf-8")
        self.assertIn('lang="zh-CN"', page)
        self.assertIn("/staff/cases/" + cid, page)
        self.assertIn("script-src 'self'", hd["content-security-policy"])
        # the case page: the actions the policy allows s04 (the assignee)
        st, _, body = w.get("/staff/cases/" + cid)
        page = body.decode("utf-8")
        self.assertEqual(st, 200)
        self.assertIn('value="accept"', page)
        self.assertIn("楼道灯坏了一个星期", page)
        page = self.act(w, cid, {"action": "accept"})
        self.assertIn("操作成功", page)
        self.assertEqual(self.status(cid), "accepted")
        # a progress note with a photo from the phone's camera (multipart)
        token = w.csrf("/staff/cases/" + cid)
        body, ctype = multipart({"action": "progress", "progress": "已联系电工明天上午更换",
                                 "csrf": token},
                                [("photo", "site.jpg", "image/jpeg", jpeg(2000, seed=9))])
        st, hd, _ = self.it.request("POST", "/staff/cases/%s/act" % cid, body,
                                    w.h({"Content-Type": ctype}))
        self.assertEqual(st, 303)
        page = w.get(hd["location"])[2].decode("utf-8")
        self.assertIn("操作成功", page)
        self.assertIn("已联系电工明天上午更换", page)
        st, v = self.it.json("GET", "/v1/cases/" + cid,
                             headers={"Authorization": "Bearer qf-dev-s01"})
        self.assertIn(hashlib.sha256(jpeg(2000, seed=9)).hexdigest(),
                      json.dumps(v))
        page = self.act(w, cid, {"action": "resolve", "result": "灯已更换"})
        self.assertIn("操作成功", page)
        self.assertEqual(self.status(cid), "resolved")
        # resolved: the state admits no accept (qf_case_admits, the router's
        # table) so none is shown; posted anyway, the router refuses and the
        # page says so
        st, _, body = w.get("/staff/cases/" + cid)
        page = body.decode("utf-8")
        self.assertNotIn('value="accept"', page)
        self.assertNotIn('value="resolve"', page)
        self.assertIn('value="reopen"', page)
        page = self.act(w, cid, {"action": "accept"})
        self.assertIn("操作未成功", page)
        self.assertEqual(self.status(cid), "resolved")

    def test_phone_browser_happy_path(self):
        """The building head on a phone (412 px wide chromium): signs in,
        opens the case from the queue, accepts, notes progress, resolves;
        screenshots of each page under the cluster directory."""
        self.set_password("s04", "lou-zhang-phone-1")
        cid = self.petition("B02")
        base = "http://127.0.0.1:%d" % self.it.http_port
        shot = lambda name: b.screenshot(self.c.path("staff-%s.png" % name))

        def act(action, field=None, text=None):
            js = ("(function(){var f=document.querySelector("
                  "'input[name=action][value=%s]').form;" % action)
            if field:
                js += "f.querySelector('[name=%s]').value=%s;" % (field, json.dumps(text))
            js += "f.querySelector('button').click();return 1})()"
            before = b.eval("location.href")
            b.eval(js)
            b.wait_for("location.href != %s && location.search.indexOf('cmd=') >= 0 && "
                       "document.readyState == 'complete' && document.body && "
                       "document.body.innerText.indexOf('操作') >= 0" % json.dumps(before),
                       timeout=15)
            return b.eval("document.body.innerText")

        with Browser(self.c) as b:
            b.open(base + "/staff/login")
            shot("login")
            b.eval("document.getElementById('staff').value='s04';"
                   "document.getElementById('password').value='lou-zhang-phone-1';"
                   "document.querySelector('form[action=\"/staff/login\"] button').click()")
            b.wait_for("location.pathname == '/staff/' && document.readyState == 'complete'")
            shot("queue")
            self.assertIn(cid, b.eval("document.body.innerHTML"))
            b.eval("document.querySelector('a[href=\"/staff/cases/%s\"]').click()" % cid)
            b.wait_for("location.pathname == '/staff/cases/%s' && "
                       "document.readyState == 'complete'" % cid)
            self.assertEqual(b.eval("document.documentElement.lang"), "zh-CN")
            # every input has its label
            self.assertEqual(b.eval(
                "Array.from(document.querySelectorAll('textarea,input:not([type=hidden]),"
                "select')).filter(function(e){return !e.labels || !e.labels.length}).length"),
                0)
            shot("case")
            self.assertIn("操作成功", act("accept"))
            self.assertIn("操作成功", act("progress", "progress", "电工已到场检查线路"))
            text = act("resolve", "result", "已更换灯泡并测试")
            self.assertIn("操作成功", text)
            self.assertIn("电工已到场检查线路", text)
            shot("resolved")
            # counter entry: the paper receipt for the resident
            b.open(base + "/staff/new")
            b.eval("document.getElementById('f-channel').value='counter';"
                   "document.getElementById('f-building').value='B02';"
                   "document.getElementById('f-address').value='2栋3单元';"
                   "document.getElementById('f-description').value='三楼扶手松动';"
                   "document.getElementById('f-name').value='郑桂兰';"
                   "document.getElementById('f-phone').value='13700002222';"
                   "document.querySelector('form[action=\"/staff/new\"] button').click()")
            b.wait_for("document.readyState == 'complete' && "
                       "/LSJ-/.test(document.body.innerText)", timeout=15)
            shot("receipt")
        self.assertEqual(self.status(cid), "resolved")

    def test_secretary_pages_accessible(self):
        """The secretary's workbench pages on a phone (412x915 chromium):
        axe-core finds no serious or critical violation on the queue, the
        counter entry form, the accounts page, spam review, a case with its
        actions and the paper receipt; screenshots staff-sec-*.png."""
        self.set_password("s01", "shu-ji-phone-2026")
        cid = self.petition("B05")
        base = "http://127.0.0.1:%d" % self.it.http_port
        with Browser(self.c) as b:
            b.open(base + "/staff/login")
            b.eval("document.getElementById('staff').value='s01';"
                   "document.getElementById('password').value='shu-ji-phone-2026';"
                   "document.querySelector('form[action=\"/staff/login\"] button').click()")
            b.wait_for("location.pathname == '/staff/' && document.readyState == 'complete'")
            for name, path in (("queue", "/staff/"), ("new", "/staff/new"),
                               ("accounts", "/staff/accounts"), ("spam", "/staff/spam"),
                               ("case", "/staff/cases/" + cid)):
                b.open(base + path)
                b.wait_for("document.readyState == 'complete' && !!document.querySelector('main')")
                self.assertLessEqual(b.eval("document.documentElement.scrollWidth"), 412, path)
                b.screenshot(self.c.path("staff-sec-%s.png" % name))
                assert_no_serious(self, b, "staff-" + name)
            # the counter entry's paper receipt
            b.open(base + "/staff/new")
            b.eval("document.getElementById('f-channel').value='phone';"
                   "document.getElementById('f-building').value='B05';"
                   "document.getElementById('f-address').value='5栋1单元';"
                   "document.getElementById('f-description').value='单元门禁坏了';"
                   "document.getElementById('f-name').value='钱玉珍';"
                   "document.getElementById('f-phone').value='13700003333';"
                   "document.querySelector('form[action=\"/staff/new\"] button').click()")
            b.wait_for("document.readyState == 'complete' && "
                       "/LSJ-/.test(document.body.innerText)", timeout=15)
            b.screenshot(self.c.path("staff-sec-receipt.png"))
            assert_no_serious(self, b, "staff-receipt")

    def test_contact_on_request(self):
        self.set_password("s04", "lou-zhang-contact")
        cid = self.petition("B04", anonymous=False, name="冯建设", phone="13855556666")
        ans = self.last
        w = Web(self.it)
        self.assertEqual(w.login("s04", "lou-zhang-contact")[0], 303)
        token = w.csrf("/staff/cases/" + cid)
        st, _, body = w.get("/staff/cases/" + cid)
        self.assertIn('action="/staff/cases/%s/contact"' % cid, body.decode("utf-8"))
        self.assertNotIn("13855556666", body.decode("utf-8"))
        # a reason is required: the error is on the case page
        st, _, body = w.post("/staff/cases/%s/contact" % cid, {"csrf": token, "reason": ""})
        self.assertEqual(st, 400)
        st, hd, body = w.post("/staff/cases/%s/contact" % cid,
                              {"csrf": token, "reason": "上门维修前电话确认"})
        self.assertEqual(st, 200, body[:300])
        page = body.decode("utf-8")
        self.assertIn("13855556666", page)
        self.assertIn("冯建设", page)
        self.assertEqual(hd["cache-control"], "no-store")
        # the view is recorded as the API's are: the petitioner sees who, why
        st, v = self.it.json("GET", "/v1/track/" + ans["tracking_code"],
                             headers={"X-Tracking-Secret": ans["secret"]})
        self.assertEqual(st, 200, v)
        self.assertEqual([(x["actor"]["staff_id"], x["reason"]) for x in v["contact_views"]],
                         [("s04", "上门维修前电话确认")])

    def test_counter_entry_ends_on_a_receipt(self):
        self.set_password("s04", "lou-zhang-counter")
        w = Web(self.it)
        self.assertEqual(w.login("s04", "lou-zhang-counter")[0], 303)
        token = w.csrf("/staff/new")
        entry = {"channel": "counter", "category": "facility_repair", "building": "B02",
                 "address": "2栋1单元", "description": "单元门禁坏了，老人进出不便",
                 "name": "郑桂兰", "phone": "13700001111"}
        # without the token: refused, nothing entered
        self.assertEqual(w.post("/staff/new", entry)[0], 403)
        # bad input: the form again, the error tied to its field
        st, _, body = w.post("/staff/new", dict(entry, description="", csrf=token))
        self.assertIn(st, (400, 422))
        self.assertIn('aria-invalid="true"', body.decode("utf-8"))
        st, hd, body = w.post("/staff/new", dict(entry, csrf=token))
        self.assertEqual(st, 201, body[:400])
        page = body.decode("utf-8")
        code = re.search(r"LSJ-[0-9A-Z]{4,}", page).group(0)
        self.assertIn("no-store", hd["cache-control"])
        st, cases = self.it.json("GET", "/v1/cases?limit=50",
                                 headers={"Authorization": "Bearer qf-dev-s01"})
        mine = [c for c in cases["cases"] if c.get("tracking_code") == code]
        self.assertEqual(len(mine), 1)
        st, c = self.it.json("GET", "/v1/cases/" + mine[0]["case_id"],
                             headers={"Authorization": "Bearer qf-dev-s01"})
        self.assertEqual(c["entered_by"]["staff_id"], "s04")
        self.assertEqual(c["channel"], "counter")
        # the same form sent twice (its key): one petition, the same receipt
        st, _, form = w.get("/staff/new")
        key = re.search(r'name="form_key" value="([0-9a-f]{32})"', form.decode()).group(1)
        twice = dict(entry, description="电梯按钮失灵", csrf=token, form_key=key)
        st1, _, b1 = w.post("/staff/new", twice)
        st2, hd2, b2 = w.post("/staff/new", twice)
        self.assertEqual((st1, st2), (201, 201), b2[:400])
        c1 = re.search(r"LSJ-[0-9A-Z]{4,}", b1.decode()).group(0)
        self.assertEqual(re.search(r"LSJ-[0-9A-Z]{4,}", b2.decode()).group(0), c1)
        self.assertEqual(hd2.get("idempotent-replayed"), "true")

    def test_csrf_and_origin(self):
        self.set_password("s05", "zhang-xiu-ying-5")
        cid = self.petition("B05")
        w = Web(self.it)
        self.assertEqual(w.login("s05", "zhang-xiu-ying-5")[0], 303)
        token = w.csrf("/staff/cases/" + cid)
        self.assertTrue(token)
        for fields in ({"action": "accept"}, {"action": "accept", "csrf": "0" * 64}):
            st, _, body = w.post("/staff/cases/%s/act" % cid, fields)
            self.assertEqual(st, 403, body[:200])
        st, _, _ = w.post("/staff/cases/%s/act" % cid, {"action": "accept", "csrf": token},
                          {"Origin": "https://evil.example"})
        self.assertEqual(st, 403)
        st, _, _ = w.post("/staff/logout", {"csrf": token}, {"Sec-Fetch-Site": "cross-site"})
        self.assertEqual(st, 403)
        time.sleep(0.5)
        self.assertEqual(self.status(cid), "assigned")  # nothing changed
        # the API with the cookie: only with the token in a header
        st, _ = self.it.json("POST", "/v1/cases/%s/actions" % cid, {"action": "accept"},
                             w.h())
        self.assertEqual(st, 401)
        st, ans = self.it.json("POST", "/v1/cases/%s/actions" % cid, {"action": "accept"},
                               w.h({"X-CSRF-Token": token}))
        self.assertEqual(st, 200, ans)
        self.assertEqual(self.status(cid), "accepted")
        # sign out: the cookie is cleared and the session gone
        st, hd, _ = w.post("/staff/logout", {"csrf": token})
        self.assertEqual(st, 303)
        self.assertIn("Max-Age=0", hd["set-cookie"])
        st, _, body = w.get("/staff/")
        self.assertEqual(st, 401)
        self.assertIn("请先登录", body.decode("utf-8"))

    def test_only_what_the_policy_allows(self):
        self.set_password("s06", "liu-zhi-gang-66")
        other = self.petition("B05")  # s05's building
        w = Web(self.it)
        self.assertEqual(w.login("s06", "liu-zhi-gang-66")[0], 303)
        st, hd, body = w.get("/staff/cases/" + other)
        self.assertEqual(st, 404)
        self.assertIn("text/html", hd["content-type"])
        self.assertIn("没有这个案件", body.decode("utf-8"))
        self.assertEqual(self.it.json("GET", "/v1/cases/" + other,
                                      headers={"Authorization": "Bearer qf-dev-s06"})[0], 404)
        token = w.csrf()
        st, _, _ = w.post("/staff/cases/%s/act" % other, {"action": "accept", "csrf": token})
        self.assertEqual(st, 404)
        # not the secretary: no accounts page
        self.assertEqual(w.get("/staff/accounts")[0], 403)
        self.assertNotIn("/staff/accounts", w.get("/staff/")[2].decode("utf-8"))
        # the secretary (s01) reads the case but does not handle it: the
        # router has the last word on the state machine and who acts
        self.assertEqual(self.status(other), "assigned")

    def test_accounts_page_errors(self):
        st, body = self.set_password("s99", "whatever-long-1")
        self.assertEqual(st, 422)
        self.assertIn('aria-describedby="acc-err"', body)
        st, body = self.set_password("s04", "short")
        self.assertEqual(st, 422)
        self.assertIn("密码长度", body)


class LockoutTest(unittest.TestCase):
    """Bootstrap account, lockout and its window, session expiry: intake
    alone (a test emitter stands in for the router), its clock moved with
    QF_CLOCK_OFFSET_MS across restarts."""

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("web-staff-lock")
        cls.router = Emitter(cls.c, "router")
        cls.pw = "shu-ji-zhou-2026"
        cls.it = IntakeService(cls.c, router=cls.router, settings={
            "staff.bootstrap_staff": "s01",
            "staff.bootstrap_hash": hash_password(cls.c, cls.pw)})

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s" % rc

    def restart_at(self, minutes):
        self.it.env = {"QF_CLOCK_OFFSET_MS": str(minutes * 60000)}
        self.it.restart()

    def test_lockout_generic_and_expiry(self):
        w = Web(self.it)
        st, hd, _ = w.login("s01", self.pw)
        self.assertEqual(st, 303)
        self.assertEqual(w.get("/staff/accounts")[0], 200)
        bodies = set()
        for who, pw in (("s01", "wrong-password-1"), ("nobody", "wrong-password-1"),
                        ("s04", "no-account-here"), ("s01", "")):
            st, _, body = Web(self.it).login(who, pw)
            self.assertEqual(st, 401)
            text = body.decode("utf-8")
            self.assertIn(GENERIC, text)
            bodies.add(text.replace('value="%s"' % who, ""))
        self.assertEqual(len(bodies), 1)
        for _ in range(3):
            self.assertEqual(Web(self.it).login("s01", "wrong-again-22")[0], 401)
        # five failures: locked, the right password too gets the same answer
        st, _, body = Web(self.it).login("s01", self.pw)
        self.assertEqual(st, 401)
        self.assertIn(GENERIC, body.decode("utf-8"))
        # the session made before is still good (and after 31 idle minutes not)
        self.assertEqual(w.get("/staff/")[0], 200)
        self.restart_at(16)
        st, _, _ = Web(self.it).login("s01", self.pw)
        self.assertEqual(st, 303)
        self.restart_at(16 + 31)
        st, _, body = w.get("/staff/")
        self.assertEqual(st, 401)
        self.assertIn("请先登录", body.decode("utf-8"))
        self.restart_at(0)

    def test_queue_by_deadline_with_marks(self):
        """Four cases assigned to s01 with deadlines seen 70 minutes after
        submission: 10% (no mark), 55% (half), 83% (80%), overdue; the queue
        lists them by deadline, the marks in words."""
        t0 = int(time.time() * 1000)
        want = {}
        for minutes, mark in ((700, None), (127, "【时限已过半】"), (84, "【时限已过80%】"),
                              (60, "【已超期】")):
            st, ans = self.it.petition(dict(SAMPLE, anonymous=True))
            self.assertEqual(st, 201, ans)
            cid = ans["case_id"]
            self.router.emit("CASE_ASSIGNED", key="B03", case_id=cid, payload={
                "case_id": cid, "tracking_code": ans["tracking_code"],
                "from_state": "STATE_SUBMITTED", "to_state": "STATE_ASSIGNED",
                "category": "facility_repair", "building": "B03", "assignee": "s01",
                "respond_due_ms": t0 + minutes * 60000,
                "resolve_due_ms": t0 + minutes * 60000 + 3600000, "actor": {"role": "system"}})
            want[cid] = (minutes, mark)
        wait_until(lambda: all(self.it.json("GET", "/v1/cases/" + c, headers={
            "Authorization": "Bearer qf-dev-s01"})[1].get("assignee") == "s01" for c in want),
                   timeout=10, what="the assignments")
        self.restart_at(70)
        w = Web(self.it)
        self.assertEqual(w.login("s01", self.pw)[0], 303)
        page = w.get("/staff/")[2].decode("utf-8")
        items = re.findall(r"<li>(.*?)</li>", page, re.S)
        order = [c for it in items for c in want if c in it]
        self.assertEqual(order, sorted(want, key=lambda c: want[c][0]))
        for it in items:
            for c, (_, mark) in want.items():
                if c in it:
                    if mark:
                        self.assertIn(mark, it)
                    else:
                        self.assertNotIn("【", it)

    def test_secretary_creates_and_resets(self):
        self.restart_at(60)  # any lock the lockout test left has run out
        sec = Web(self.it)
        self.assertEqual(sec.login("s01", self.pw)[0], 303)
        token = sec.csrf("/staff/accounts")
        st, _, body = sec.post("/staff/accounts", {"staff": "s07", "password": "wang-first-77",
                                                   "csrf": token})
        self.assertEqual(st, 200)
        self.assertIn("已为 s07 设置新密码", body.decode("utf-8"))
        self.assertIn("已开通", sec.get("/staff/accounts")[2].decode("utf-8"))
        w = Web(self.it)
        self.assertEqual(w.login("s07", "wang-first-77")[0], 303)
        self.assertEqual(w.get("/staff/")[0], 200)
        # the reset ends s07's sessions and the old password
        st, _, _ = sec.post("/staff/accounts", {"staff": "s07", "password": "wang-second-77",
                                                "csrf": token})
        self.assertEqual(st, 200)
        self.assertEqual(w.get("/staff/")[0], 401)
        self.assertEqual(Web(self.it).login("s07", "wang-first-77")[0], 401)
        self.assertEqual(Web(self.it).login("s07", "wang-second-77")[0], 303)
        # without the token nothing is set
        st, _, _ = sec.post("/staff/accounts", {"staff": "s07", "password": "wang-third-777"})
        self.assertEqual(st, 403)
        self.assertEqual(Web(self.it).login("s07", "wang-third-777")[0], 401)

    def test_spam_review_page(self):
        self.restart_at(60)
        held = []
        for text in ("低息贷款找我们，无抵押，当天放款。", "无抵押低息贷款，当天放款，快来找我们。"):
            st, ans = self.it.petition(dict(SAMPLE, description=text, anonymous=True))
            self.assertEqual(st, 422, ans)
            held.append(ans)
        st, lst = self.it.json("GET", "/v1/spam", headers={"Authorization": "Bearer qf-dev-s01"})
        ids = {h["petition"]["description"]: h["hold_id"] for h in lst["holds"]}
        w = Web(self.it)
        self.assertEqual(w.login("s01", self.pw)[0], 303)
        st, _, body = w.get("/staff/spam")
        page = body.decode("utf-8")
        self.assertEqual(st, 200)
        self.assertIn("低息贷款找我们", page)
        self.assertIn('href="/staff/spam"', page)
        token = csrf_of(body)
        rel, dis = ids["低息贷款找我们，无抵押，当天放款。"], ids["无抵押低息贷款，当天放款，快来找我们。"]
        self.assertEqual(w.post("/staff/spam/%s/dismiss" % dis, {"note": "广告"})[0], 403)
        st, _, body = w.post("/staff/spam/%s/dismiss" % dis, {"note": "广告", "csrf": token})
        self.assertEqual(st, 200)
        self.assertIn("已确认为垃圾信息", body.decode("utf-8"))
        st, _, body = w.post("/staff/spam/%s/release" % rel, {"csrf": token})
        self.assertEqual(st, 200, body[:300])
        self.assertIn("已放行", body.decode("utf-8"))
        # twice: the same refusal as the API's
        st, _, body = w.post("/staff/spam/%s/release" % rel, {"csrf": token})
        self.assertEqual(st, 409)
        st, lst = self.it.json("GET", "/v1/spam?status=all",
                               headers={"Authorization": "Bearer qf-dev-s01"})
        status = {h["hold_id"]: h["status"] for h in lst["holds"]}
        self.assertEqual((status[rel], status[dis]), ("released", "dismissed"))
        # a building head may not review
        self.assertEqual(self.it.request("GET", "/staff/spam", headers={
            "Authorization": "Bearer qf-dev-s04"})[0], 403)

    def test_bad_forms(self):
        st, _, _ = self.it.request("POST", "/staff/login", b"\xff\xfe=\xff", FORM)
        self.assertIn(st, (400, 401))
        st, _, _ = self.it.request("POST", "/staff/login", urlencode(
            {"staff": "s01", "password": "x" * 500}), FORM)
        self.assertEqual(st, 401)
        st, _, _ = self.it.request("POST", "/staff/login", urlencode(
            {"staff": "s01", "password": self.pw}), dict(FORM, Origin="https://evil.example"))
        self.assertEqual(st, 403)
        # a cookie that is not a session: not signed in
        st, _, _ = self.it.request("GET", "/staff/", headers={"Cookie": "qf_staff=" + "a" * 64})
        self.assertEqual(st, 401)


if __name__ == "__main__":
    unittest.main()


class SignInLimitTest(unittest.TestCase):
    """Sign-in attempts per client address share the follow limit: a guess
    across many accounts meets it as one account meets its lock."""

    def test_attempts_per_address_are_limited(self):
        with Cluster("web-staff-limit") as c:
            it = IntakeService(c, settings={"ratelimit.follow_per_ip": 3,
                                            "ratelimit.follow_window_s": 3600})
            self.addCleanup(it.stop)
            for who in ("s02", "s03", "s05"):
                self.assertEqual(Web(it).login(who, "guess-guess-1")[0], 401)
            st, hd, body = Web(it).login("s06", "guess-guess-1")
            self.assertEqual(st, 429)
            self.assertIn("retry-after", hd)
            self.assertIn('lang="zh-CN"', body.decode("utf-8"))


class SecureCookieTest(unittest.TestCase):
    """Behind a TLS proxy (the public URL is https): the cookie is Secure,
    and the public origin counts as this site."""

    def test_secure_behind_https(self):
        with Cluster("web-staff-tls") as c:
            pw = "shu-ji-tls-2026"
            it = IntakeService(c, settings={"staff.bootstrap_staff": "s01",
                                            "staff.bootstrap_hash": hash_password(c, pw)},
                               sections={"open311": 'enabled = false; '
                                                    'base_url = "https://lsj.example.cn";'})
            self.addCleanup(it.stop)
            w = Web(it)
            st, hd, _ = w.post("/staff/login", {"staff": "s01", "password": pw},
                               {"Origin": "https://lsj.example.cn"})
            self.assertEqual(st, 303)
            attrs = [a.strip() for a in hd["set-cookie"].split(";")]
            self.assertIn("Secure", attrs)
            self.assertIn("HttpOnly", attrs)
            st, _, _ = w.post("/staff/login", {"staff": "s01", "password": pw},
                              {"Origin": "https://lsj.example.cn.evil.example"})
            self.assertEqual(st, 403)


class BootstrapConfigTest(unittest.TestCase):
    """A bootstrap account that cannot be: the start stops with a clear
    line; --hash-password refuses a password out of bounds."""

    def test_bad_bootstrap_settings(self):
        with Cluster("web-staff-boot") as c:
            good = hash_password(c, "good-password-1")
            for staff, h in (("s99", good), ("s01", "plain-text-password")):
                it = IntakeService(c, name="intake-" + staff + str(len(h)), start=False,
                                   settings={"staff.bootstrap_staff": staff,
                                             "staff.bootstrap_hash": h})
                r = c.run([binary("qf-intake"), "--config", it.config], timeout=30)
                self.assertEqual(r.returncode, 1, r.stderr[-500:])
                self.assertIn("staff.bootstrap_staff", r.stdout + r.stderr)
            r = c.run([binary("qf-intake"), "--hash-password"], input="short\n")
            self.assertEqual(r.returncode, 2)
            self.assertEqual(r.stdout, "")
