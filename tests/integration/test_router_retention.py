"""test_router_retention: retention of private data through the real router:
a case closed, then the router restarted "days later" (QF_CLOCK_OFFSET_MS)
with retention.days = 1, emits PRIVATE_EXPIRED exactly once, its staff view
no longer shows the petition's words, a string planted in the petition is
nowhere in the router's store, and the case can no longer be reopened; a
visit record expires under "visit:<id>"."""
import secrets
import time
import unittest
import urllib.request

from tests.harness.qf import Cluster
from tests.harness.svc_router import DAY, action, new_case_id, petition, start, visit


class RouterRetention(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("router-ret")
        self.addCleanup(self.c.close)
        self.intake, self.r, self.w = start(
            self.c, extra="retention = { days = 1; visit_days = 1; };")

    def later(self, offset_ms):
        self.r.stop()
        self.r.start(clock_offset_ms=offset_ms)

    def act(self, cid, kind, staff, **kw):
        return self.w.result(action(self.intake, cid, "B03", kind, staff, **kw))

    def store_bytes(self):
        with open(self.c.path("data", "router", "data.mdb"), "rb") as f:
            return f.read()

    def metric(self, name):
        url = "http://127.0.0.1:%d/metrics" % self.r.http_port
        with urllib.request.urlopen(url, timeout=10) as f:
            for line in f.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return None

    def test_closed_case_expires_once(self):
        plant = "QFPLANT" + secrets.token_hex(8)
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03",
                 description="楼道灯坏了 %s 晚上看不见路。" % plant)
        self.w.wait_for("CASE_ASSIGNED", cid)
        self.assertEqual(self.act(cid, "ACTION_ACCEPT", "s04")["status"], 200)
        self.assertEqual(self.act(cid, "ACTION_RESOLVE", "s04", result="已更换灯具")["status"], 200)
        self.assertEqual(self.act(cid, "ACTION_CLOSE", "s01")["status"], 200)
        self.w.wait_for("CASE_CLOSED", cid)
        # staff see the petition's words while it is retained
        detail = self.r.case(cid)
        self.assertFalse(detail["private_expired"])
        self.assertEqual(detail["timeline"][0]["type"], "PETITION_SUBMITTED")
        self.assertIn(plant, detail["timeline"][0]["event"]["description"])
        # sealed at rest: never in the file as written
        self.assertNotIn(plant.encode(), self.store_bytes())
        self.assertEqual(self.w.all("PRIVATE_EXPIRED", cid), [])

        self.later(2 * DAY)
        ev = self.w.wait_for("PRIVATE_EXPIRED", cid, timeout=20)[0]
        self.assertEqual(ev["subject"], cid)
        self.assertEqual(ev["case_id"], cid)
        self.assertEqual(ev["retention_days"], 1)
        closed = self.w.wait_for("CASE_CLOSED", cid)[0]
        self.assertEqual(int(ev["final_ms"]), int(closed["at_ms"]))
        env = self.w.all("PRIVATE_EXPIRED", cid)[0]
        self.assertEqual(env["partition_key"], "B03")
        self.assertEqual(self.metric("qf_router_private_expired_total"), 1)

        detail = self.r.case(cid)
        self.assertTrue(detail["private_expired"])
        self.assertEqual(detail["state"], "closed")
        types = [e["type"] for e in detail["timeline"]]
        self.assertNotIn("PETITION_SUBMITTED", types)
        self.assertEqual(types[-1], "PRIVATE_EXPIRED")
        self.assertNotIn(plant, str(detail))
        self.assertNotIn(plant.encode(), self.store_bytes())

        # once, whatever restarts and clock steps follow
        self.later(0)
        self.later(5 * DAY)
        res = self.act(cid, "ACTION_REOPEN", "s01", reason="居民再次反映")
        self.assertEqual((res["status"], res["code"]), (409, "private_expired"))
        time.sleep(1)  # the timers run once the backlog is applied
        self.assertEqual(len(self.w.all("PRIVATE_EXPIRED", cid)), 1)

    def test_reopened_case_does_not_expire(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03")
        self.w.wait_for("CASE_ASSIGNED", cid)
        self.assertEqual(self.act(cid, "ACTION_ACCEPT", "s04")["status"], 200)
        self.assertEqual(self.act(cid, "ACTION_RESOLVE", "s04", result="已处理")["status"], 200)
        self.assertEqual(self.act(cid, "ACTION_CLOSE", "s01")["status"], 200)
        self.assertEqual(self.act(cid, "ACTION_REOPEN", "s01", reason="问题复发")["status"], 200)
        other = new_case_id()
        petition(self.intake, other, "facility_repair", "B03")
        self.w.wait_for("CASE_ASSIGNED", other)
        self.assertEqual(self.act(other, "ACTION_REJECT", "s01",
                                  reject_reason="REJECT_NOT_OUR_RESPONSIBILITY")["status"], 200)
        self.later(2 * DAY)
        self.w.wait_for("PRIVATE_EXPIRED", other, timeout=20)
        self.assertEqual(self.w.all("PRIVATE_EXPIRED", cid), [])
        self.assertFalse(self.r.case(cid)["private_expired"])

    def test_visit_expires(self):
        vid = "V" + secrets.token_hex(6)
        visit(self.intake, vid, "s02", household=True)
        self.later(2 * DAY)
        ev = self.w.wait_for("PRIVATE_EXPIRED", pred=lambda p: p.get("subject") == "visit:" + vid,
                             timeout=20)[0]
        self.assertEqual(ev.get("case_id", ""), "")
        self.assertEqual(ev["retention_days"], 1)
        env = [e for e in self.w.all("PRIVATE_EXPIRED")
               if e["payload"].get("subject") == "visit:" + vid][0]
        self.assertEqual(env["partition_key"], "s02")


if __name__ == "__main__":
    unittest.main()
