"""test_router_early: early warnings beyond deadlines through the bus:
hotspots, repeat petitions, and the integrity supervisor's monthly household
visits (pace and the month's final result, seen by starting the router in
the next month with QF_CLOCK_OFFSET_MS)."""
import time
import unittest

from tests.harness.qf import Cluster, wait_until
from tests.harness.svc_router import DAY, HOUR, new_case_id, now_ms, petition, start, visit

CST = 8 * HOUR


def local_date(ms):
    return time.strftime("%Y-%m-%d", time.gmtime((ms + CST) / 1000))


def local_month(ms):
    return local_date(ms)[:7]


class RouterEarly(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("router-early")
        self.addCleanup(self.c.close)
        self.intake, self.r, self.w = start(self.c)

    def test_hotspot(self):
        ids = [new_case_id() for _ in range(3)]
        t = now_ms()
        for i, cid in enumerate(ids):
            petition(self.intake, cid, "safety_hazard", "Y01", submitted_ms=t + i * HOUR)
        # another building and an old petition do not count
        petition(self.intake, new_case_id(), "safety_hazard", "B09", submitted_ms=t)
        h = self.w.wait_for("HOTSPOT_WARNING")[0]
        self.assertEqual((h["building"], h["category"], h["count"]), ("Y01", "safety_hazard", 3))
        self.assertEqual(h["case_ids"], ids)
        self.assertEqual(h["window_hours"], 24)
        ev = self.w.all("HOTSPOT_WARNING")[0]
        self.assertEqual(ev["partition_key"], "Y01")
        st, body = self.r.get("/v1/hotspots", token="qf-dev-s06")
        self.assertEqual(st, 200)
        self.assertEqual(len(body["items"]), 1)
        self.assertEqual(body["items"][0]["building_name"], "东院")
        self.assertEqual(body["items"][0]["category_name"], "安全隐患")
        self.assertTrue(self.r.case(ids[0])["hotspot"])
        # a fourth petition does not warn again
        petition(self.intake, new_case_id(), "safety_hazard", "Y01", submitted_ms=t + 4 * HOUR)
        self.w.wait_for("CASE_ASSIGNED", count=5)
        self.assertEqual(len(self.w.all("HOTSPOT_WARNING")), 1)

    def test_repeat(self):
        first, second, other = new_case_id(), new_case_id(), new_case_id()
        t = now_ms()
        pseudo = "9f" * 32
        petition(self.intake, first, "sanitation_hazard", "B06", pseudonym=pseudo,
                 submitted_ms=t - 3 * DAY)
        petition(self.intake, other, "sanitation_hazard", "B06", pseudonym="aa" * 32,
                 submitted_ms=t - DAY)
        petition(self.intake, second, "sanitation_hazard", "B06", pseudonym=pseudo,
                 submitted_ms=t)
        r = self.w.wait_for("REPEAT_LINKED", second)[0]
        self.assertEqual(r["earlier_case_id"], first)
        self.assertEqual(r["repeat_count"], 1)
        # the link is the petitioner's: private in REPEAT_LINKED, and not on
        # CASE_ASSIGNED (whose related_case is public)
        ev = [e for e in self.w.all("REPEAT_LINKED", second)][0]
        self.assertEqual(ev["public"]["case_id"], second)
        self.assertNotIn("earlier_case_id", ev["public"])
        self.assertNotIn("repeat_count", ev["public"])
        self.assertNotIn(first, str(ev["public"]))
        self.assertNotIn("related_case", self.w.wait_for("CASE_ASSIGNED", second)[0])
        self.assertEqual(self.w.all("REPEAT_LINKED", other), [])
        self.assertEqual(self.r.case(first)["repeats"], 1)
        detail = self.r.case(second)
        self.assertEqual(detail["repeat_of"], first)
        self.assertIn("REPEAT_LINKED", [e["type"] for e in detail["timeline"]])
        # the pseudonym is not kept on the record
        self.assertNotIn("petitioner_pseudonym", detail["timeline"][0]["event"])

    def test_duty_month(self):
        t = now_ms()
        month = local_month(t)
        for i in range(4):
            visit(self.intake, "V%d-%d" % (t, i), "s02", date=local_date(t))
        visit(self.intake, "V%d-x" % t, "s02", date=local_date(t), household=False)
        visit(self.intake, "V%d-0" % t, "s02", date=local_date(t))  # recorded twice

        def done():
            st, body = self.r.get("/v1/duties", token="qf-dev-s02")
            items = [i for i in body["items"] if i["staff_id"] == "s02"]
            return items[0] if items and items[0]["done"] == 4 else None
        d = wait_until(done, what="4 visits counted")
        self.assertEqual((d["month"], d["target"], d["duty"]), (month, 15, "household_visits"))
        self.assertFalse(d["final_recorded"])
        # start the router in the next month: the month's result is recorded
        # (and any pace check still due this month comes first)
        self.r.stop()
        self.r.start(clock_offset_ms=32 * DAY)
        final = self.w.wait_for("DUTY_QUOTA", pred=lambda p: p.get("final"), timeout=15)[0]
        self.assertEqual(final["staff_id"], "s02")
        self.assertEqual(final["month"], month)
        self.assertEqual(final["done"], 4)
        self.assertEqual(final["target"], 15)
        self.assertTrue(final["behind"])
        ev = [e for e in self.w.all("DUTY_QUOTA") if e["payload"].get("final")][0]
        self.assertEqual(ev["partition_key"], "s02")
        st, body = self.r.get("/v1/duties?month=" + month, token="qf-dev-s01")
        self.assertTrue([i for i in body["items"] if i["staff_id"] == "s02"][0]["final_recorded"])


if __name__ == "__main__":
    unittest.main()
