"""Following a case (or a building) by SMS from the resident's pages (issue
15, item 5): the resident gives a mobile number on /t/<code>/sms (or
/buildings/<id>/sms), the notifier (real,
with its SMS gateway at a test receiver) texts a 6-digit code, the resident
types it, and from then on each step of the case reaches the phone by SMS.
A wrong code is refused at its field and five wrong codes end that code;
code requests are rate-limited; the phone never appears in a log line.
Real intake, router and notifier processes."""
import re
import unittest

from tests.harness.qf import Cluster, wait_until
from tests.harness.svc_intake import IntakeService
from tests.harness.svc_notifier import Notifier, Receiver, SmtpSink
from tests.harness.svc_router import Router
from tests.integration.test_web_resident import FORM, field_error, get, post, receipt_of

PHONE = "13800138000"
CODE = re.compile(r"验证码 (\d{6})")


class SmsFollowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        c = cls.cluster = Cluster("web-resident-sms")
        cls.it = IntakeService(c, start=False, settings={"ratelimit.per_phone": 3,
                                                         "ratelimit.per_phone_window_s": 3600})
        cls.router = Router(c, [cls.it], start=False)
        cls.rx = Receiver()
        cls.smtp = SmtpSink()
        cls.n = Notifier(c, [cls.it, cls.router], cls.rx, cls.smtp, start=False,
                         seal_prefix=cls.it.seal_prefix)
        # the community offers following by SMS through its gateway
        with open(cls.n.config, encoding="utf-8") as f:
            text = f.read()
        text = text.replace('template = "follow_confirm"; };',
                            'template = "follow_confirm"; sms_channel = "sms"; };', 1)
        with open(cls.n.config, "w", encoding="utf-8") as f:
            f.write(text)
        cls.it.router = cls.router
        cls.it.settings["intake.notifier_url"] = "http://127.0.0.1:%d" % cls.n.http_port
        cls.it.write_config()
        cls.it.start(wait=False)
        cls.router.start()
        cls.n.start()
        cls.it.proc.wait_ready()
        cls.base = "http://127.0.0.1:%d" % cls.it.http_port

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        try:
            cls.n.stop_clean()
        finally:
            cls.cluster.close()
            cls.rx.stop()
            cls.smtp.stop()
        assert rc == 0, "qf-intake exited with %s (see its log)" % rc

    def sms_to(self, phone):
        return [r["json"]["content"] for r in self.rx.requests("/sms/")
                if r.get("json") and r["json"].get("to") == phone]

    def submit(self):
        st, _, html = post(self.base, "/", dict(FORM, anonymous="true", name="", phone=""),
                           [("photos", "", "application/octet-stream", b"")])
        self.assertEqual(st, 201, html[:1500])
        code, secret = receipt_of(html)
        # the notifier learns the case from intake's stream (an e-mail
        # follow is refused as case_unknown until then)
        wait_until(lambda: self.n.proc.json("POST", "/v1/follows", body={
            "target": "case:" + code, "channel": "email",
            "address": "probe@example.cn"})[0] in (200, 202),
            timeout=20, what="the notifier knows the case")
        return code, secret

    def ask(self, code, phone):
        st, _, html = post(self.base, "/t/%s/sms" % code, {"phone": phone})
        return st, html

    def test_follow_by_sms_with_a_code(self):
        code, secret = self.submit()
        # the follow page offers it
        st, _, html = post(self.base, "/t/" + code, {"secret": secret})
        self.assertIn('href="/t/%s/sms"' % code, html)
        st, _, html = get(self.base, "/t/%s/sms" % code)
        self.assertEqual(st, 200)
        self.assertIn('for="f-phone"', html)
        st, html = self.ask(code, PHONE)
        self.assertEqual(st, 200, html[:1500])
        self.assertIn('id="code-form"', html)
        fid = re.search(r'name="id" value="(F[0-9a-f]{24})"', html).group(1)
        sms = wait_until(lambda: [t for t in self.sms_to(PHONE) if CODE.search(t)],
                         timeout=20, what="the code by SMS")
        sent = CODE.search(sms[0]).group(1)
        self.assertNotIn("http", sms[0])  # a code, never a link
        # a wrong code: refused at its field
        wrong = "%06d" % ((int(sent) + 1) % 1000000)
        st, _, html = post(self.base, "/t/%s/sms/confirm" % code, {"id": fid, "code": wrong})
        self.assertEqual(st, 403, html[:1500])
        self.assertIn("验证码不正确", field_error(html, "code"))
        # not digits
        st, _, html = post(self.base, "/t/%s/sms/confirm" % code, {"id": fid, "code": "12ab"})
        self.assertEqual(st, 400, html[:1500])
        self.assertIn("6 位数字", field_error(html, "code"))
        st, _, html = post(self.base, "/t/%s/sms/confirm" % code, {"id": fid, "code": sent})
        self.assertEqual(st, 200, html[:1500])
        self.assertIn("已开通短信关注", html)
        # a step of the case now reaches the phone
        before = len(self.sms_to(PHONE))
        view = wait_until(lambda: (lambda v: v if v.get("handler") else None)(
            self.it.track(code, secret)[1]), timeout=20, what="the assignment")
        for act in ({"action": "accept"},
                    {"action": "progress", "progress": "已购买新开关，明天安装。"}):
            st, body = self.it.action(view["case_id"], "head1", act)
            self.assertEqual(st, 200, body)
        news = wait_until(lambda: self.sms_to(PHONE)[before:], timeout=20,
                          what="an SMS to the follower")
        self.assertIn(code, news[0])
        self.assertIn("/t/" + code, news[0])  # links.case: the follow page
        # the phone is in no service log line
        logs = "".join(p.output() for p in (self.it.proc, self.n.proc, self.router.proc))
        self.assertNotIn(PHONE, logs)
        self.assertNotIn(sent, logs)

    def test_follow_a_building_by_sms(self):
        st, _, html = get(self.base, "/")
        self.assertIn('href="/buildings/sms"', html)
        st, _, html = get(self.base, "/buildings/sms")
        self.assertEqual(st, 200)
        self.assertIn('<option value="B03">', html)
        st, _, html = get(self.base, "/buildings/sms?building=B03")
        self.assertEqual(st, 200, html[:1500])
        self.assertIn('action="/buildings/B03/sms"', html)
        st, _, html = get(self.base, "/buildings/B99/sms")
        self.assertEqual(st, 404)
        phone = "13500135111"
        st, _, html = post(self.base, "/buildings/B03/sms", {"phone": phone})
        self.assertEqual(st, 200, html[:1500])
        fid = re.search(r'name="id" value="(F[0-9a-f]{24})"', html).group(1)
        sms = wait_until(lambda: [t for t in self.sms_to(phone) if CODE.search(t)],
                         timeout=20, what="the code by SMS")
        self.assertIn("3栋", sms[0])
        st, _, html = post(self.base, "/buildings/B03/sms/confirm",
                           {"id": fid, "code": CODE.search(sms[0]).group(1)})
        self.assertEqual(st, 200, html[:1500])
        self.assertIn("已开通短信关注", html)

    def test_five_wrong_codes_end_the_code(self):
        code, _ = self.submit()
        phone = "13700137000"
        st, html = self.ask(code, phone)
        self.assertEqual(st, 200, html[:1500])
        fid = re.search(r'name="id" value="(F[0-9a-f]{24})"', html).group(1)
        sms = wait_until(lambda: [t for t in self.sms_to(phone) if CODE.search(t)],
                         timeout=20, what="the code by SMS")
        sent = CODE.search(sms[0]).group(1)
        wrong = "%06d" % ((int(sent) + 1) % 1000000)
        for _ in range(5):
            st, _, html = post(self.base, "/t/%s/sms/confirm" % code,
                               {"id": fid, "code": wrong})
            self.assertEqual(st, 403, html[:1500])
        st, _, html = post(self.base, "/t/%s/sms/confirm" % code, {"id": fid, "code": sent})
        self.assertEqual(st, 429, html[:1500])
        self.assertIn("错误次数过多", field_error(html, "code"))
        # asking again within ten minutes sends no second code
        st, html = self.ask(code, phone)
        self.assertEqual(st, 200, html[:1500])
        self.assertEqual(len([t for t in self.sms_to(phone) if CODE.search(t)]), 1)

    def test_bad_phone_and_rate_limit(self):
        code, _ = self.submit()
        st, html = self.ask(code, "12345")
        self.assertEqual(st, 400, html[:1500])
        self.assertIn("11 位手机号码", field_error(html, "phone"))
        # one phone asks at most ratelimit.per_phone times (3 here)
        phone = "13600136000"
        answers = [self.ask(code, phone)[0] for _ in range(4)]
        self.assertEqual(answers[:3], [200, 200, 200])
        self.assertEqual(answers[3], 429)
        # an unknown tracking code: the notifier's refusal, in Chinese
        st, html = self.ask("LSJ-ZZZZZZ", "13500135000")
        self.assertEqual(st, 404, html[:1500])
        self.assertIn("没有找到这个案件", field_error(html, "phone"))
