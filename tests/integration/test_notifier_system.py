"""The running system, not stand-ins: real qf-intake, qf-router and
qf-notifier on loopback. A resident submits a petition over intake's HTTP
API (the contact sealed by intake to the notifier's key), the router
assigns it, staff accept and resolve it through intake; the petitioner's
tracking code, the assignee's notice and the request for a rating arrive at
a real SMTP server and a real SMS gateway receiver, and the notifier's
outcome events prove it. Skipped when intake or router is not built."""
import os
import unittest

from tests.harness.qf import BIN, Cluster, wait_until
from tests.harness.svc_notifier import Notifier, Receiver, SmtpSink, Watch


def _have(*names):
    return all(os.path.exists(os.path.join(BIN, n)) for n in names)


@unittest.skipUnless(_have("qf-intake", "qf-router"), "qf-intake and qf-router not built")
class NotifierSystemTest(unittest.TestCase):
    def setUp(self):
        from tests.harness.svc_intake import SAMPLE, IntakeService
        from tests.harness.svc_router import Router
        self.sample = SAMPLE
        self.c = Cluster("notifier-system")
        self.addCleanup(self.c.close)
        self.rx = Receiver()
        self.addCleanup(self.rx.stop)
        self.smtp = SmtpSink()
        self.addCleanup(self.smtp.stop)
        # intake and router consume each other: configure both, then start
        self.it = IntakeService(self.c, start=False, settings={"intake.action_wait_ms": 8000})
        self.router = Router(self.c, [self.it], start=False)
        self.it.router = self.router
        self.it.write_config()
        self.router.start(wait=False)
        self.it.start()
        self.router.proc.wait_ready()
        self.n = Notifier(self.c, [self.it, self.router], self.rx, self.smtp,
                          seal_prefix=self.it.seal_prefix)
        self.watch = Watch(self.c, self.n)

    def test_petition_to_rating_request(self):
        st, ans = self.it.petition(dict(self.sample, email="wu.xm@example.cn"))
        self.assertEqual(st, 201, ans)
        cid, tc = ans["case_id"], ans["tracking_code"]
        # the petitioner: tracking code by mail and by SMS
        mail = wait_until(lambda: [m for m in self.smtp.mails("wu.xm@example.cn")
                                   if tc in m["subject"]], timeout=20)
        self.assertIn("已受理", mail[0]["subject"])
        sms = wait_until(lambda: [r for r in self.rx.requests("/sms/") if tc in r["json"]["content"]],
                         timeout=20)
        self.assertEqual(sms[0]["json"]["to"], self.sample["phone"])
        # the router assigned it to building 3's head: he is told by mail
        # and in the WeCom group
        head = wait_until(lambda: [m for m in self.smtp.mails("s04@lsj.example.cn")
                                   if tc in m["subject"]], timeout=20)
        self.assertIn("新派单", head[0]["subject"])
        wait_until(lambda: [r for r in self.rx.requests("/wecom/")
                            if tc in r["json"]["text"]["content"]], timeout=20)
        # staff accept and resolve through intake
        st, body = self.it.action(cid, "head1", {"action": "accept"})
        self.assertEqual(st, 200, body)
        st, body = self.it.action(cid, "head1", {"action": "resolve", "result": "声控灯已更换。"})
        self.assertEqual(st, 200, body)
        ask = wait_until(lambda: [m for m in self.smtp.mails("wu.xm@example.cn")
                                  if "请评价" in m["subject"]], timeout=20)
        self.assertIn("声控灯已更换", ask[0]["text"])
        # outcomes prove the petitioner was told, masked
        told = wait_until(lambda: [p for p in self.watch.payloads("DELIVERY_DELIVERED", cid)
                                   if p["recipient_kind"] == "petitioner"] if len(
            [p for p in self.watch.payloads("DELIVERY_DELIVERED", cid)
             if p["recipient_kind"] == "petitioner"]) >= 4 else None, timeout=20)
        self.assertEqual({p["recipient"] for p in told}, {"139****5678", "w***@example.cn"})
        self.assertEqual(self.rx.problems(), [])
        self.assertNotIn(self.sample["phone"], self.n.output())
        self.n.stop_clean()


if __name__ == "__main__":
    unittest.main()
