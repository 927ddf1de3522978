"""intake: a petition's building from where the resident says it is
(issue 16, item 1). Coordinates inside a building's footprint, or near its
point (intake.locate_within_m), give that building; an address gives the
building whose name or alias it contains (full-width digits and Chinese
numbers included); otherwise the petition is accepted (201, a tracking code)
into the dispatcher's queue, and becomes a case (PETITION_SUBMITTED) only
when a dispatcher assigns the building. Every kind of bad dispatch input has
its own answer. The whole way with the real router is in
test_intake_locate_system below."""
import json
import os
import unittest

from tests.harness.qf import Cluster, wait_until
from tests.harness.svc_intake import SAMPLE, IntakeService, bearer, events_of
from tests.harness.system import System

# config/community.cfg: B07's footprint is around (30.6506, 104.0516); S01's
# point is (30.6494, 104.0512) with no footprint; nothing is near (30.70, 104.10)
IN_B07 = (30.65065, 104.05165)
NEAR_S01 = (30.64915, 104.05120)   # about 28 m south of S01's point
FAR = (30.70000, 104.10000)


def unplaced(**kw):
    p = dict(SAMPLE)
    del p["building"]
    p.update(kw)
    return p


class LocateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-locate")
        cls.it = IntakeService(cls.c)

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s (see its log)" % rc

    def building_of(self, ans):
        st, v = self.it.json("GET", "/v1/cases/" + ans["case_id"], headers=bearer("secretary"))
        self.assertEqual(st, 200, v)
        return v["building"]

    def submit(self, body):
        st, ans = self.it.petition(body)
        self.assertEqual(st, 201, ans)
        return ans

    # ------------------------------------------------------------ resolved
    def test_coordinates_in_a_footprint(self):
        ans = self.submit(unplaced(lat=IN_B07[0], lng=IN_B07[1], address="楼下"))
        self.assertEqual(self.building_of(ans), "B07")

    def test_coordinates_near_a_point(self):
        ans = self.submit(unplaced(lat=NEAR_S01[0], lng=NEAR_S01[1], address="门口"))
        self.assertEqual(self.building_of(ans), "S01")

    def test_address_aliases(self):
        for addr, bld in [("三号楼2单元楼道", "B03"), ("３栋２单元", "B03"),
                          ("十一栋门口", "B11"), ("12幢楼下", "B12"),
                          ("东边院子的水管", "Y01"), ("平安街门面前", "S01")]:
            with self.subTest(address=addr):
                ans = self.submit(unplaced(address=addr))
                self.assertEqual(self.building_of(ans), bld)

    def test_coordinates_win_over_address(self):
        ans = self.submit(unplaced(lat=IN_B07[0], lng=IN_B07[1], address="3栋"))
        self.assertEqual(self.building_of(ans), "B07")

    def test_named_building_is_kept(self):
        ans = self.submit(dict(SAMPLE, building="B05", lat=IN_B07[0], lng=IN_B07[1]))
        self.assertEqual(self.building_of(ans), "B05")

    # ------------------------------------------------------------ unlocated
    def test_nothing_found_waits_for_dispatch(self):
        # "13栋" is no building here, and not 3栋 either
        for body in (unplaced(address="小区大门口"), unplaced(address="13栋"),
                     unplaced(lat=FAR[0], lng=FAR[1], address="不知道几栋")):
            with self.subTest(address=body["address"]):
                st, ans = self.it.petition(body)
                self.assertEqual(st, 201, ans)
                self.assertEqual(ans["status"], "awaiting_dispatch")
                self.assertIsNone(ans["building"])
                self.assertNotIn("case_id", ans)
                self.assertTrue(ans["dispatch_id"].startswith("H"))
                st, v = self.it.track(ans["tracking_code"], ans["secret"])
                self.assertEqual((st, v["status"]), (200, "awaiting_dispatch"))
                self.assertTrue(v["status_text"])

    def test_dispatch_queue_and_assignment(self):
        body = unplaced(address="小区大门口", description="大门口的路灯不亮了，晚上很黑。")
        ans = self.submit(body)
        did = ans["dispatch_id"]
        # no event until the building is known
        code = ans["tracking_code"]
        self.assertEqual([e for e in events_of(self.it.watch(), "PETITION_SUBMITTED")
                          if e["payload"].get("tracking_code") == code], [])
        st, q = self.it.json("GET", "/v1/dispatch", headers=bearer("secretary"))
        self.assertEqual(st, 200, q)
        item = [x for x in q["dispatch"] if x["dispatch_id"] == did]
        self.assertEqual(len(item), 1)
        self.assertEqual(item[0]["address"], "小区大门口")
        self.assertEqual(item[0]["tracking_code"], ans["tracking_code"])
        self.assertNotIn("phone", item[0])
        self.assertNotIn("name", item[0])
        # a building head may not dispatch; no token is 401
        st, _ = self.it.json("GET", "/v1/dispatch", headers=bearer("head1"))
        self.assertEqual(st, 403)
        st, _ = self.it.json("GET", "/v1/dispatch")
        self.assertEqual(st, 401)
        # assigned: a case in that building, the same tracking code and secret
        st, case = self.it.json("POST", "/v1/dispatch/" + did, {"building": "B09"},
                                bearer("secretary"))
        self.assertEqual(st, 201, case)
        self.assertEqual(case["tracking_code"], ans["tracking_code"])
        self.assertEqual(case["dispatch_id"], did)
        # deadlines count from when the resident sent it, not from dispatch
        self.assertEqual(case["submitted_at"], item[0]["received_at"])
        self.assertEqual(self.building_of(case), "B09")
        st, v = self.it.track(ans["tracking_code"], ans["secret"])
        self.assertEqual((st, v["status"]), (200, "submitted"))
        evs = [e for e in events_of(self.it.watch(), "PETITION_SUBMITTED")
               if e.get("case_id") == case["case_id"]]
        self.assertEqual(len(evs), 1)
        self.assertEqual(evs[0]["payload"]["dispatched_from_id"], did)
        self.assertEqual(evs[0]["payload"]["building"], "B09")
        self.assertLess(int(evs[0]["payload"]["submitted_ms"]), int(evs[0]["time_ms"]))
        # gone from the queue; a second assignment is refused
        st, q = self.it.json("GET", "/v1/dispatch", headers=bearer("staff"))
        self.assertEqual(st, 200)
        self.assertNotIn(did, [x["dispatch_id"] for x in q["dispatch"]])
        st, err = self.it.json("POST", "/v1/dispatch/" + did, {"building": "B09"},
                               bearer("secretary"))
        self.assertEqual((st, err["code"]), (409, "already_dispatched"))

    def test_dispatch_bad_input(self):
        ans = self.submit(unplaced(address="小区大门口"))
        did = ans["dispatch_id"]
        sec = bearer("secretary")
        cases = [({"building": "B99"}, 422, "unknown_building", "building"),
                 ({}, 400, "missing_field", "building"),
                 ({"building": 7}, 400, None, "building"),
                 ({"building": "B01", "note": "x" * 600}, 400, None, "note")]
        for body, status, code, field in cases:
            with self.subTest(body=body):
                st, err = self.it.json("POST", "/v1/dispatch/" + did, body, sec)
                self.assertEqual(st, status, err)
                if code:
                    self.assertEqual(err["code"], code)
                self.assertEqual(err["field"], field)
        st, _, data = self.it.request("POST", "/v1/dispatch/" + did, "{not json",
                                      dict(sec, **{"Content-Type": "application/json"}))
        self.assertEqual(st, 400, data)
        st, err = self.it.json("POST", "/v1/dispatch/HNOSUCH", {"building": "B01"}, sec)
        self.assertEqual((st, err["code"]), (404, "dispatch_not_found"))
        # a spam hold is not a dispatch entry
        st, held = self.it.petition(dict(SAMPLE, description="低息贷款，加微信 abc12345"))
        self.assertEqual(st, 422, held)
        st, err = self.it.json("POST", "/v1/dispatch/" + held["hold_id"], {"building": "B01"},
                               sec)
        self.assertEqual(st, 404, err)
        # the spam review does not see, release or dismiss the queue's entries
        sup = bearer("supervisor")
        st, lst = self.it.json("GET", "/v1/spam?status=all", headers=sup)
        self.assertNotIn(did, [h["hold_id"] for h in lst["holds"]])
        for verb in ("release", "dismiss"):
            st, err = self.it.json("POST", "/v1/spam/%s/%s" % (did, verb), {}, sup)
            self.assertEqual((st, err["code"]), (404, "hold_not_found"))
        # still waiting after all that
        st, v = self.it.track(ans["tracking_code"], ans["secret"])
        self.assertEqual(v["status"], "awaiting_dispatch")

    def test_released_spam_without_building_needs_one(self):
        st, held = self.it.petition(unplaced(address="小区大门口",
                                             description="低息贷款，加微信 abc12345"))
        self.assertEqual(st, 422, held)
        sup = bearer("supervisor")
        st, err = self.it.json("POST", "/v1/spam/%s/release" % held["hold_id"], {}, sup)
        self.assertEqual((st, err["code"], err["field"]), (422, "building_required", "building"))
        st, case = self.it.json("POST", "/v1/spam/%s/release" % held["hold_id"],
                                {"building": "B02"}, sup)
        self.assertEqual(st, 201, case)
        self.assertEqual(self.building_of(case), "B02")

    def test_export_while_waiting(self):
        ans = self.submit(unplaced(address="小区大门口"))
        st, doc = self.it.json("GET", "/v1/track/%s/export" % ans["tracking_code"],
                               headers={"X-Tracking-Secret": ans["secret"]})
        self.assertEqual(st, 200, doc)
        self.assertIn("小区大门口", json.dumps(doc, ensure_ascii=False))

    def test_visit_petition_needs_a_building(self):
        st, err = self.it.json("POST", "/v1/visits", {
            "date": "2026-03-02", "household": True, "place": "小区大门口",
            "findings": "路灯不亮", "petition": {"category": "facility_repair",
                                                "description": "大门口路灯不亮"}},
            bearer("supervisor"))
        self.assertEqual(st, 422, err)
        self.assertEqual((err["code"], err["field"]), ("building_required", "petition.building"))


class LocateConfigTest(unittest.TestCase):
    """A bad place in the community file names file, line and setting."""

    def check(self, building_line):
        c = Cluster("intake-locate-cfg")
        self.addCleanup(c.close)
        it = IntakeService(c, start=False)
        path = os.path.join(it.cfg_dir, "community.cfg")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        start = text.index('  { id = "B01"')
        end = text.index('  { id = "B02"')
        with open(path, "w", encoding="utf-8") as f:
            f.write(text[:start] + building_line + ",\n" + text[end:])
        line = text[:start].count("\n") + 1
        r = it.check_config()
        self.assertNotEqual(r.returncode, 0)
        return r.stdout + r.stderr, line

    def test_bad_places(self):
        for bad, word in [
                ('{ id = "B01"; name = "1栋"; head = "s04"; lat = 30.65; }', "lng"),
                ('{ id = "B01"; name = "1栋"; head = "s04"; lat = 95.0; lng = 104.0; }', "lat"),
                ('{ id = "B01"; name = "1栋"; head = "s04"; footprint = [ 30.1, 104.1, 30.2 ]; }',
                 "footprint"),
                ('{ id = "B01"; name = "1栋"; head = "s04"; footprint = [ 30.1, 104.1, 30.2, '
                 '104.2, 30.3, 999.0 ]; }', "footprint"),
                ('{ id = "B01"; name = "1栋"; head = "s04"; aliases = [ "" ]; }', "aliases"),
                ('{ id = "B01"; name = "1栋"; head = "s04"; aliases = "一栋"; }', "aliases")]:
            with self.subTest(bad=bad):
                out, line = self.check(bad)
                self.assertIn("community.cfg:%d" % line, out)
                self.assertIn(word, out)


class LocateSystemTest(unittest.TestCase):
    """The whole way with the real router: a petition without a building is
    held by intake (the router sees nothing), and once the secretary assigns
    the building it is routed to that building's head like any other."""

    def test_dispatched_petition_reaches_the_building_head(self):
        with Cluster("intake-locate-system") as c:
            s = System(c)
            self.addCleanup(s.stop)
            intake = s.procs["intake"]
            st, ans = intake.json("POST", "/v1/petitions", unplaced(
                address="小区大门口", description="大门口的路灯不亮了，晚上很黑。"))
            self.assertEqual(st, 201, ans)
            st, case = intake.json("POST", "/v1/dispatch/" + ans["dispatch_id"],
                                   {"building": "B10"},
                                   {"Authorization": "Bearer qf-dev-s01"})
            self.assertEqual(st, 201, case)

            def assigned():
                st, v = intake.json("GET", "/v1/track/" + ans["tracking_code"],
                                    headers={"X-Tracking-Secret": ans["secret"]})
                return v if st == 200 and v.get("status") == "assigned" else None
            v = wait_until(assigned, timeout=15, what="the dispatched case assigned")
            self.assertEqual(v["handler"]["name"], "刘志刚")   # head of B10 (s06)
            st, rv = s.procs["router"].json("GET", "/v1/cases/" + case["case_id"], None,
                                            {"Authorization": "Bearer qf-dev-s01"})
            self.assertEqual(st, 200, rv)
            self.assertEqual(rv["building"], "B10")


if __name__ == "__main__":
    unittest.main()
