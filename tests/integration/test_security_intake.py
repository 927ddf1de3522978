"""Findings of the access-policy issue on intake, as regression tests:

- an anonymous integrity report about the supervisor that mentions a phone
  number was held in the general spam queue, where the supervisor listed it
  (full text) and dismissed it: integrity reports never enter that queue;
- with trusted_proxies set, an X-Forwarded-For over 511 bytes was cut and
  the attacker's own token became the rate-limit key (33 accepted where 30
  was the limit): the header is read whole from the right, the address must
  be one, an over-long header is a 400;
- a staff member changed the secretary's roster entry and posted a ledger
  entry: separation of duties (test_intake_staff covers the kinds).
"""
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_intake import SAMPLE, IntakeService, bearer


class IntakeSecurityTest(unittest.TestCase):
    def test_integrity_report_never_in_the_spam_queue(self):
        with Cluster("sec-spam") as c:
            it = IntakeService(c)
            st, ans = it.petition(dict(SAMPLE, category="integrity_report",
                                       concerns_staff="s02", anonymous=True, name="",
                                       phone="", description="监督员陈立伟收钱办事，知情人"
                                       "电话13712345678可作证，加微信ab12345详谈。"))
            self.assertEqual(st, 201, ans)  # not 422 rejected_as_spam
            for who in ("supervisor", "secretary"):
                st, held = it.json("GET", "/v1/spam?status=all", headers=bearer(who))
                self.assertEqual(st, 200, held)
                self.assertEqual(held["holds"], [], who)
            # the reported supervisor cannot see it anywhere
            st, _ = it.json("GET", "/v1/cases/" + ans["case_id"], headers=bearer("supervisor"))
            self.assertEqual(st, 404)
            # an ordinary petition with the same advertising is still held
            st, held = it.petition(dict(SAMPLE, description="加微信ab12345领取贷款优惠，"
                                        "日赚500元兼职打字，联系13712345678"))
            self.assertEqual((st, held["code"]), (422, "rejected_as_spam"), held)

    def test_forwarded_for_read_whole(self):
        with Cluster("sec-xff") as c:
            it = IntakeService(c, settings={"ratelimit.per_ip": 30,
                                            "ratelimit.trusted_proxies": ["127.0.0.1"]})
            client = "198.51.100.23"
            # the attacker varies what it writes on the left, past the old
            # 511-byte cut; the proxy appends the address it saw: the key is
            # that address, so the limit holds at 30
            statuses = []
            for i in range(33):
                xff = "%s, %s" % ("203.0.113.%d, " % i * 40, client)
                self.assertGreater(len(xff), 511)
                statuses.append(it.petition(dict(SAMPLE), {"X-Forwarded-For": xff})[0])
            self.assertEqual(statuses.count(201), 30, statuses)
            self.assertEqual(statuses[30:], [429, 429, 429])
            st, err = it.petition(dict(SAMPLE), {"X-Forwarded-For": "1.2.3.4, " * 400})
            self.assertEqual((st, err["code"]), (400, "header_too_long"))
            st, err = it.petition(dict(SAMPLE), {"X-Forwarded-For": "evil-token"})
            self.assertEqual((st, err["code"], err["field"]),
                             (400, "invalid_forwarded_for", "X-Forwarded-For"))


if __name__ == "__main__":
    unittest.main()
