"""With the real intake and router (when built): a petition submitted
through intake's API appears on the public board and the live stream with
personal data masked, and its timeline grows as staff act through intake
and the router decides."""
import json
import os
import unittest

from tests.harness.qf import BIN, Cluster, wait_until
from tests.harness.svc_disclosure import Disclosure, sse_read

HAVE = all(os.path.exists(os.path.join(BIN, b)) for b in ("qf-intake", "qf-router"))
if HAVE:
    from tests.harness.svc_intake import IntakeService
    from tests.harness.svc_router import Router


@unittest.skipUnless(HAVE, "qf-intake and qf-router not built")
class SystemTest(unittest.TestCase):
    def test_petition_through_intake_and_router(self):
        with Cluster("dsystem") as c:
            it = IntakeService(c, start=False)
            r = Router(c, [it], start=False)
            r.start(wait=False)
            it.router = r
            it.write_config()
            it.start()
            r.proc.wait_ready()
            d = Disclosure(c, [it, r])
            seen = {}

            def until(events):
                if not seen.get("sent") and any(e[1] == "counters" for e in events):
                    seen["sent"] = True
                    st, ans = it.petition({
                        "category": "facility_repair", "building": "B03",
                        "address": "3栋2单元楼道",
                        "description": "我叫包文斌，3栋2单元楼道的声控灯坏了，晚上看不见",
                        "name": "包文斌", "phone": "13698761234", "channel": "app",
                        "anonymous": False, "consent_public": True})
                    self.assertEqual(st, 201, ans)
                    seen["ans"] = ans
                return any(e[1] == "case" for e in events)

            events = sse_read(d.http_port, until=until, timeout=20)
            ans = seen["ans"]
            rec = json.loads([e for e in events if e[1] == "case"][0][2])
            self.assertEqual(rec["data"]["case_id"], ans["case_id"])
            self.assertNotIn("包文斌", json.dumps(rec, ensure_ascii=False))
            case = d.wait_case(ans["case_id"], lambda x: x["state"] == "assigned", timeout=20)
            self.assertEqual(case["name"], "包**")
            # a masked phone links one petitioner's cases: never public
            self.assertFalse(case.get("phone"))
            self.assertIn("包**", case["description"])
            self.assertEqual(case["handler"]["staff_id"], "s04")
            self.assertEqual(case["tracking_code"], ans["tracking_code"])
            # staff act through intake; the router decides; the board follows
            st, res = it.action(ans["case_id"], "head1", {"action": "accept"})
            self.assertEqual(st, 200, res)
            st, res = it.action(ans["case_id"], "head1",
                                {"action": "progress", "cause": "声控开关老化",
                                 "progress": "已联系包文斌，更换开关"})
            self.assertEqual(st, 200, res)
            case = d.wait_case(ans["case_id"], lambda x: x["state"] == "in_progress",
                               timeout=20)
            types = [e["type"] for e in case["timeline"]]
            self.assertEqual(types[:2], ["PETITION_SUBMITTED", "CASE_ASSIGNED"])
            self.assertIn("CASE_ACCEPTED", types)
            note = [e for e in case["timeline"] if e["type"] == "CASE_PROGRESS"][0]
            self.assertEqual(note["progress"], "已联系包**，更换开关")
            for path in ("/cases/" + ans["case_id"], "/", "/v1/public/cases",
                         "/feeds/cases.atom", "/v1/public/cases.csv"):
                body = d.get(path)[2].decode("utf-8")
                self.assertNotIn("包文斌", body, path)
                self.assertNotIn("13698761234", body, path)


if __name__ == "__main__":
    unittest.main()
