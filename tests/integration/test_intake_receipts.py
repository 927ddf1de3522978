"""The petitioner's receipts (issue 12): the 201 answer and the follow view
give, for each of the petitioner's events, its id (audit finds the leaf by
it) and the opening of the envelope's private commitment: the nonce and
the whole payload. A checker recomputes SHA-256("qingfeng-private-v1" || 0
|| nonce || payload) and finds the envelope's private_commitment, as
`qfctl watch` shows the envelope."""
import base64
import hashlib
import time
import unittest

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_intake import SAMPLE, IntakeService


def commitment(nonce_hex, private_b64):
    return hashlib.sha256(b"qingfeng-private-v1\x00" + bytes.fromhex(nonce_hex) +
                          base64.b64decode(private_b64)).hexdigest()


class ReceiptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-receipts")
        cls.router = Emitter(cls.c, "router")
        cls.it = IntakeService(cls.c, router=cls.router,
                               settings={"intake.action_wait_ms": 300})

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s" % rc

    def envelope(self, event_id):
        def find():
            evs = [e for e in self.it.watch() if e.get("event_id") == event_id]
            return evs[0] if evs else None
        return wait_until(find, timeout=10, what="event %s" % event_id)

    def check(self, r, case_id, type_):
        self.assertEqual((r["case_id"], r["producer"], r["type"]), (case_id, "intake", type_))
        env = self.envelope(r["event_id"])
        self.assertEqual((env["type"], env["case_id"], env["partition"], env["seq"]),
                         (type_, case_id, r["partition"], r["seq"]))
        self.assertEqual(len(r["nonce"]), 64)
        self.assertEqual(commitment(r["nonce"], r["private"]), env["private_commitment"])
        self.assertEqual(r["commitment"], env["private_commitment"])
        return env

    def test_petition_and_feedback_receipts(self):
        st, ans = self.it.petition(dict(SAMPLE))
        self.assertEqual(st, 201, ans)
        cid, code = ans["case_id"], ans["tracking_code"]
        r = ans["receipt"]
        env = self.check(r, cid, "PETITION_SUBMITTED")
        # what was committed is the whole petition, as written
        private = base64.b64decode(r["private"])
        self.assertIn(SAMPLE["description"].encode(), private)
        self.assertEqual(env["payload"]["text"], SAMPLE["description"])
        # the follow view gives the same receipt
        st, view = self.it.track(code, ans["secret"])
        self.assertEqual(st, 200, view)
        self.assertEqual(view["receipts"], [r])
        # feedback: a second receipt
        self.router.emit("CASE_RESOLVED", key="B03", case_id=cid, payload={
            "case_id": cid, "tracking_code": code, "from_state": "STATE_ACCEPTED",
            "to_state": "STATE_RESOLVED", "category": "facility_repair", "building": "B03",
            "at_ms": int(time.time() * 1000), "result": "已修好"})
        wait_until(lambda: self.it.track(code, ans["secret"])[1]["status"] == "resolved",
                   what="resolved")
        st, body = self.it.json("POST", "/v1/track/%s/feedback" % code,
                                {"rating": 4, "comment": "修得很快"},
                                {"X-Tracking-Secret": ans["secret"]})
        self.assertIn(st, (200, 202), body)
        st, view = self.it.track(code, ans["secret"])
        self.assertEqual([x["type"] for x in view["receipts"]],
                         ["PETITION_SUBMITTED", "FEEDBACK_GIVEN"])
        fb = view["receipts"][1]
        if "nonce" in fb:
            self.check(fb, cid, "FEEDBACK_GIVEN")
        else:  # everything in it was public: the leaf is the whole event
            self.assertNotIn("private_commitment", self.envelope(fb["event_id"]))

    def test_idempotent_retry_gives_the_same_receipt(self):
        h = {"Idempotency-Key": "receipt-retry-1"}
        st, a1 = self.it.petition(dict(SAMPLE), h)
        st2, a2 = self.it.petition(dict(SAMPLE), h)
        self.assertEqual((st, st2), (201, 201))
        self.assertEqual(a1, a2)
        self.check(a2["receipt"], a1["case_id"], "PETITION_SUBMITTED")

    def test_anonymous_petition_has_a_receipt(self):
        st, ans = self.it.petition({
            "category": "safety_hazard", "building": "Y01", "address": "东院车棚",
            "description": "车棚里有人私拉电线充电", "channel": "app", "anonymous": True})
        self.assertEqual(st, 201, ans)
        self.check(ans["receipt"], ans["case_id"], "PETITION_SUBMITTED")


if __name__ == "__main__":
    unittest.main()
