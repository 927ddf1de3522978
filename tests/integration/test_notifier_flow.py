"""The notifier end to end: a case is submitted, assigned, warned about,
resolved and audited, with intake, router and audit played by real bus
producers (Emitter), and every message checked where it lands: a real SMTP
server (aiosmtpd) and a real HTTP receiver that verifies the webhook HMAC,
the WeCom JSON and DingTalk's signed URL. Outcomes come back as DELIVERY_*
events on the notifier's own stream."""
import unittest

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_notifier import (Notifier, Receiver, SmtpSink, Watch, audit_alert,
                                        deadline_warning, new_case_id, petition, transition)


class NotifierFlowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("notifier-flow")
        cls.intake = Emitter(cls.c, "intake")
        cls.router = Emitter(cls.c, "router")
        cls.audit = Emitter(cls.c, "audit")
        cls.rx = Receiver()
        cls.smtp = SmtpSink()
        cls.n = Notifier(cls.c, [cls.intake, cls.router, cls.audit], cls.rx, cls.smtp)
        cls.watch = Watch(cls.c, cls.n)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.n.stop_clean()
        finally:
            cls.c.close()
        cls.rx.stop()
        cls.smtp.stop()

    def tearDown(self):
        self.assertEqual(self.rx.problems(), [], "a receiver found a malformed request")

    def delivered(self, case_id, count):
        def done():
            ds = self.n.deliveries(case_id)
            return ds if len(ds) >= count and all(d["state"] == "delivered" for d in ds) else None
        return wait_until(done, timeout=15, what="%d deliveries of %s delivered" % (count, case_id))

    def test_petitioner_gets_tracking_code_by_sms_and_mail(self):
        cid = new_case_id()
        tc = "LSJ-" + cid[-6:]
        petition(self.intake, cid, contact={"phone": "13812345678", "email": "zhang@example.cn"},
                 pk=self.n.seal_pk)
        ds = self.delivered(cid, 2)
        self.assertEqual(sorted(d["format"] for d in ds), ["email", "sms"])
        mails = self.smtp.mails("zhang@example.cn")
        self.assertEqual(len(mails), 1)
        m = mails[0]
        self.assertIn(tc, m["subject"])          # RFC 2047 decoded by the client
        self.assertIn("已受理", m["subject"])
        self.assertIn(tc, m["text"])
        self.assertIn("https://lsj.example.cn/t/" + tc, m["text"])
        mail_d = [d for d in ds if d["format"] == "email"][0]
        self.assertEqual(m["message_id"], "<%s@lsj.example.cn>" % mail_d["id"])
        self.assertEqual(m["delivery"], mail_d["id"])
        sms = [r for r in self.rx.requests("/sms/") if r["json"]["request_id"] ==
               [d for d in ds if d["format"] == "sms"][0]["id"]]
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms[0]["json"]["to"], "13812345678")
        self.assertIn(tc, sms[0]["json"]["content"])
        # the outcome says who was told, masked
        outs = wait_until(lambda: len(self.watch.payloads("DELIVERY_DELIVERED", cid)) >= 2 and
                          self.watch.payloads("DELIVERY_DELIVERED", cid), timeout=10)
        recips = sorted(o["recipient"] for o in outs)
        self.assertEqual(recips, ["138****5678", "z***@example.cn"])
        self.assertTrue(all(o["recipient_kind"] == "petitioner" for o in outs))
        # never the clear contact in the notifier's log
        log = self.n.output()
        self.assertNotIn("13812345678", log)
        self.assertNotIn("zhang@example.cn", log)

    def test_assignee_gets_mail_and_wecom_mention(self):
        cid = new_case_id()
        petition(self.intake, cid, building="B05", contact={"phone": "13900001111"},
                 pk=self.n.seal_pk)
        transition(self.router, "CASE_ASSIGNED", cid, building="B05", assignee="s05")
        wait_until(lambda: self.smtp.mails("s05@lsj.example.cn"), timeout=15)
        mail = [m for m in self.smtp.mails("s05@lsj.example.cn") if cid[-6:] in m["subject"]]
        self.assertEqual(len(mail), 1)
        self.assertIn("新派单", mail[0]["subject"])
        self.assertIn("5栋", mail[0]["text"])
        wecom = wait_until(lambda: [r for r in self.rx.requests("/wecom/")
                                    if cid[-6:] in r["json"]["text"]["content"]], timeout=10)
        self.assertEqual(len(wecom), 1)
        self.assertEqual(wecom[0]["json"]["text"]["mentioned_mobile_list"], ["13900000005"])
        self.assertEqual(wecom[0]["query"]["key"], "k1")

    def test_breach_goes_to_supervisor_and_secretary_over_signed_dingtalk(self):
        cid = new_case_id()
        transition(self.router, "CASE_ASSIGNED", cid, building="B09", assignee="s06")
        deadline_warning(self.router, cid, building="B09", breached=True, assignee="s06",
                         escalated_to="s03")
        ding = wait_until(lambda: [r for r in self.rx.requests("/dingtalk/")
                                   if cid[-6:] in r["json"]["markdown"]["text"]], timeout=15)
        self.assertEqual(len(ding), 1)
        # one message into the group, mentioning assignee, escalation target,
        # supervisor and secretary by their phones
        self.assertEqual(sorted(ding[0]["json"]["at"]["atMobiles"]),
                         sorted(["13900000006", "0818-2100003", "0818-2100002", "0818-2100001"]))
        self.assertIn("超时", ding[0]["json"]["markdown"]["title"])
        for who in ("s01", "s02", "s03", "s06"):
            wait_until(lambda: [m for m in self.smtp.mails("%s@lsj.example.cn" % who)
                                if cid[-6:] in m["subject"] and "超时" in m["subject"]],
                       timeout=10, what="breach mail to " + who)

    def test_resolved_asks_petitioner_for_a_rating(self):
        cid = new_case_id()
        petition(self.intake, cid, contact={"email": "li@example.cn"}, pk=self.n.seal_pk)
        transition(self.router, "CASE_PROGRESS", cid, to_state="STATE_IN_PROGRESS",
                   progress="已联系物业更换灯泡。")
        transition(self.router, "CASE_RESOLVED", cid, to_state="STATE_RESOLVED",
                   result="灯已修好。")
        mails = wait_until(lambda: len(self.smtp.mails("li@example.cn")) >= 3 and
                           self.smtp.mails("li@example.cn"), timeout=15)
        subjects = [m["subject"] for m in mails]
        self.assertTrue(any("新进展" in s for s in subjects), subjects)
        resolved = [m for m in mails if "请评价" in m["subject"]]
        self.assertEqual(len(resolved), 1)
        self.assertIn("灯已修好", resolved[0]["text"])
        self.assertIn("打分", resolved[0]["text"])
        # no phone in the contact: the sms deliveries end skipped, not retried
        ds = wait_until(lambda: [d for d in self.n.deliveries(cid) if d["format"] == "sms"
                                 and d["state"] == "skipped"], timeout=10)
        self.assertEqual(len(ds), 3)
        self.assertTrue(all(d["attempts"] == 1 for d in ds))

    def test_audit_alert_reaches_supervisor_and_secretary(self):
        cid = new_case_id()
        transition(self.router, "CASE_ASSIGNED", cid, building="B02", assignee="s04")
        audit_alert(self.audit, cid, staff="s04")
        for who in ("s01", "s02"):
            m = wait_until(lambda: [m for m in self.smtp.mails("%s@lsj.example.cn" % who)
                                    if "审计提示" in m["subject"] and cid in m["text"]],
                           timeout=15, what="alert mail to " + who)
            self.assertIn("未经群众评价即结案", m[0]["subject"])
        self.assertEqual([m for m in self.smtp.mails("s04@lsj.example.cn")
                          if "审计提示" in m["subject"] and cid in m["text"]], [])

    def test_integrity_report_never_reaches_the_staff_it_is_about(self):
        cid = new_case_id()
        petition(self.intake, cid, category="integrity_report", building="B01",
                 contact={"email": "wang@example.cn"}, pk=self.n.seal_pk, concerns="s04")
        # a (wrong) assignment to the subject himself must not tell him
        transition(self.router, "CASE_ASSIGNED", cid, building="B01", assignee="s04",
                   category="integrity_report", concerns_staff="s04")
        transition(self.router, "CASE_TRANSFERRED", cid, building="B01", assignee="s02",
                   previous_assignee="s04", category="integrity_report", to_state="STATE_ASSIGNED")
        wait_until(lambda: [m for m in self.smtp.mails("s02@lsj.example.cn") if cid[-6:] in m["subject"]],
                   timeout=15)
        self.assertEqual([m for m in self.smtp.mails("s04@lsj.example.cn") if cid[-6:] in m["subject"]], [])
        self.assertEqual([d for d in self.n.deliveries(cid) if d.get("recipient_id") == "s04"], [])


if __name__ == "__main__":
    unittest.main()
