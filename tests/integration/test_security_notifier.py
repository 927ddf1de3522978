"""Findings of the access-policy issue on the notifier, as regression tests:
s03, who supervises s04, read the deliveries of an integrity report about
s04 (subject and text); delivery texts showed followers' confirm and
unsubscribe tokens. Now deliveries are the case's, shown only to whom the
policy lets read it (never the person concerned nor anyone above them), and
tokens never appear on the operator endpoints."""
import re
import unittest

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_notifier import (Notifier, Receiver, SmtpSink, new_case_id,
                                        petition, transition)


class NotifierSecurityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("sec-notifier")
        cls.intake = Emitter(cls.c, "intake")
        cls.router = Emitter(cls.c, "router")
        cls.rx = Receiver()
        cls.smtp = SmtpSink()
        cls.n = Notifier(cls.c, [cls.intake, cls.router], cls.rx, cls.smtp)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.n.stop_clean()
        finally:
            cls.c.close()
        cls.rx.stop()
        cls.smtp.stop()

    def ids(self, token, path):
        st, body = self.n.api("GET", path, token=token)
        self.assertEqual(st, 200, body)
        return [d["case_id"] for d in body["items"] if d.get("case_id")]

    def test_report_deliveries_hidden_from_the_reported_and_their_supervisors(self):
        cid = new_case_id()
        petition(self.intake, cid, category="integrity_report", building="B03",
                 concerns="s04", description="楼长收取维修费不开收据。")
        transition(self.router, "CASE_ASSIGNED", cid, category="integrity_report",
                   assignee="s02", concerns_staff="s04")
        # until the notifier has consumed the case it does not know it: 404
        def known():
            st, body = self.n.api("GET", "/v1/cases/%s/deliveries" % cid, token="qf-dev-s02")
            return st == 200 and body["items"]
        wait_until(known, timeout=10, what="the report's deliveries")
        # s03 (above s04) now reads no deliveries at all: 403 for the role
        st, body = self.n.api("GET", "/v1/cases/%s/deliveries" % cid, token="qf-dev-s03")
        self.assertEqual((st, body["code"]), (403, "forbidden_role"))
        # the secretary (above s03, so above s04) reads deliveries, never this
        # report's: it does not exist for her
        st, body = self.n.api("GET", "/v1/cases/%s/deliveries" % cid, token="qf-dev-s01")
        self.assertEqual((st, body["code"]), (404, "not_found"))
        self.assertNotIn(cid, self.ids("qf-dev-s01", "/v1/deliveries"))
        self.assertIn(cid, self.ids("qf-dev-s02", "/v1/deliveries"))
        # the detail of one of its deliveries is as hidden as the list
        st, lst = self.n.api("GET", "/v1/cases/%s/deliveries" % cid, token="qf-dev-s02")
        one = lst["items"][0]["id"]
        st, body = self.n.api("GET", "/v1/deliveries/" + one, token="qf-dev-s01")
        self.assertEqual(st, 404)
        st, body = self.n.api("GET", "/v1/deliveries/" + one, token="qf-dev-s02")
        self.assertEqual(st, 200, body)

    def test_follow_tokens_never_shown(self):
        st, body = self.n.proc.json("POST", "/v1/follows", body={
            "target": "building:B06", "channel": "email", "address": "qiao.yun@example.cn"})
        self.assertEqual(st, 202, body)
        mail = wait_until(lambda: self.smtp.mails("qiao.yun@example.cn"), timeout=10)[0]
        self.assertRegex(mail["text"], r"token=[0-9a-f]{32}")  # the resident gets them
        st, body = self.n.api("GET", "/v1/deliveries?limit=1000", token="qf-dev-s02")
        self.assertEqual(st, 200, body)
        confirms = [d for d in body["items"] if d.get("confirm")]
        self.assertTrue(confirms)
        for d in confirms:
            for part in (d.get("subject", ""), d.get("text", ""), d.get("markdown", "")):
                self.assertIsNone(re.search(r"token=[0-9a-f]{16,}", part), part)
            self.assertIn("token=…", d["text"])


if __name__ == "__main__":
    unittest.main()
