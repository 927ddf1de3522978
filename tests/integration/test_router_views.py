"""test_router_views: the staff views over HTTP: tokens, my queue (sorted by
the resolve deadline, filtered, paged), case search with every filter, case
detail, who may see integrity reports, and a 400 with the offending field
for every kind of bad parameter."""
import json
import unittest

from tests.harness import paging
from tests.harness.qf import Cluster
from tests.harness.svc_router import (DAY, HOUR, action, new_case_id, now_ms, petition,
                                      start)


class RouterViews(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("router-views")
        cls.intake, cls.r, cls.w = start(cls.c)
        t = now_ms()
        cls.t = t
        # s04's buildings: B01..B04, S01
        cls.safety = new_case_id()      # 24h to resolve: first in s04's queue
        cls.repair = new_case_id()      # 72h
        cls.dispute = new_case_id()     # 168h
        cls.old = new_case_id()         # submitted 10 days ago
        cls.other = new_case_id()       # s05's
        cls.report = new_case_id()      # integrity report about s04
        petition(cls.intake, cls.repair, "facility_repair", "B01", submitted_ms=t)
        petition(cls.intake, cls.dispute, "neighbor_dispute", "B02", submitted_ms=t)
        petition(cls.intake, cls.safety, "safety_hazard", "B03", submitted_ms=t)
        petition(cls.intake, cls.old, "facility_repair", "S01", submitted_ms=t - 10 * DAY)
        petition(cls.intake, cls.other, "facility_repair", "B05", submitted_ms=t)
        petition(cls.intake, cls.report, "integrity_report", "B03", concerns="s04",
                 submitted_ms=t)
        cls.w.wait_for("CASE_ASSIGNED", count=6)
        cmd = action(cls.intake, cls.repair, "B01", "ACTION_ACCEPT", "s04")
        assert cls.w.result(cmd)["status"] == 200

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def ids(self, path, token="qf-dev-s04"):
        st, body = self.r.get(path, token)
        self.assertEqual(st, 200, body)
        return [i["case_id"] for i in body["items"]]

    def bad(self, path, field, token="qf-dev-s04"):
        st, body = self.r.get(path, token)
        self.assertEqual(st, 400, path)
        self.assertEqual(body["code"], "bad_parameter")
        self.assertEqual(body["field"], field)
        self.assertTrue(body["detail"])

    def test_tokens(self):
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"},
                        {"Authorization": "Bearer "}):
            st, hd, data = self.r.proc.request("GET", "/v1/queue", headers=headers)
            self.assertEqual(st, 401)
            self.assertEqual(hd.get("www-authenticate"), 'Bearer realm="qingfeng"')
            self.assertTrue(b'"missing_token"' in data or b'"invalid_token"' in data)
        st, me = self.r.get("/v1/me", "qf-dev-s04")
        self.assertEqual((st, me["staff_id"], me["role"]), (200, "s04", "building_head"))
        st, _ = self.r.get("/v1/nothing", "qf-dev-s04")
        self.assertEqual(st, 404)
        st, _, _ = self.r.proc.request("POST", "/v1/queue", body={},
                                       headers={"Authorization": "Bearer qf-dev-s04"})
        self.assertEqual(st, 405)

    def test_queue(self):
        q = self.ids("/v1/queue")
        # by resolve deadline; the integrity report about s04 never shows
        self.assertEqual(q, [self.old, self.safety, self.repair, self.dispute])
        st, body = self.r.get("/v1/queue", "qf-dev-s04")
        item = [i for i in body["items"] if i["case_id"] == self.repair][0]
        self.assertEqual(item["state"], "accepted")
        self.assertEqual(item["state_label"], "已受理")
        self.assertEqual(item["assignee"]["name"], "李建国")
        self.assertEqual(item["building_name"], "1栋")
        self.assertEqual(item["category_name"], "设施报修")
        self.assertTrue(item["respond"]["met_at"])
        self.assertTrue(item["resolve"]["running"])
        self.assertEqual(self.ids("/v1/queue?state=assigned"),
                         [self.old, self.safety, self.dispute])
        self.assertEqual(self.ids("/v1/queue?category=facility_repair"), [self.old, self.repair])
        # paging: two by two, cursor until null
        seen, cursor = [], ""
        for _ in range(5):
            st, body = self.r.get("/v1/queue?limit=2" + ("&cursor=" + cursor if cursor else ""),
                                  "qf-dev-s04")
            self.assertEqual(st, 200)
            seen += [i["case_id"] for i in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, q)
        self.assertEqual(self.ids("/v1/queue", "qf-dev-s05"), [self.other])
        self.assertEqual(self.ids("/v1/queue", "qf-dev-s02"), [self.report])
        # someone else's queue: overseers only
        self.assertEqual(self.ids("/v1/queue?staff=s05", "qf-dev-s01"), [self.other])
        st, body = self.r.get("/v1/queue?staff=s05", "qf-dev-s04")
        self.assertEqual((st, body["code"]), (403, "forbidden_role"))
        self.bad("/v1/queue?staff=s99", "staff", "qf-dev-s01")

    def test_search(self):
        everything = self.ids("/v1/cases", "qf-dev-s02")
        self.assertEqual(len(everything), 6)
        # newest first (case ids sort by creation)
        self.assertEqual(everything[0], self.report)
        self.assertEqual(self.ids("/v1/cases?building=B03", "qf-dev-s02"),
                         [self.report, self.safety])
        self.assertEqual(self.ids("/v1/cases?state=accepted", "qf-dev-s02"), [self.repair])
        self.assertEqual(len(self.ids("/v1/cases?state=open", "qf-dev-s02")), 6)
        self.assertEqual(self.ids("/v1/cases?assignee=s05", "qf-dev-s02"), [self.other])
        day = lambda ms: __import__("time").strftime(
            "%Y-%m-%d", __import__("time").gmtime((ms + 8 * HOUR) / 1000))
        old_day = day(self.t - 10 * DAY)
        self.assertEqual(self.ids("/v1/cases?to=" + old_day, "qf-dev-s02"), [self.old])
        self.assertEqual(self.ids("/v1/cases?from=%s&to=%s" % (old_day, old_day), "qf-dev-s02"),
                         [self.old])
        self.assertNotIn(self.old, self.ids("/v1/cases?from=" + day(self.t), "qf-dev-s02"))
        # the reported staff member does not see the report anywhere, nor do
        # those who supervise them (s01, s03): the access policy's conflict
        # rule, answered as not found
        self.assertNotIn(self.report, self.ids("/v1/cases"))
        for boss in ("qf-dev-s01", "qf-dev-s03"):
            self.assertNotIn(self.report, self.ids("/v1/cases", boss))
            st, _ = self.r.get("/v1/cases/" + self.report, boss)
            self.assertEqual(st, 404, boss)
        # a building head reads the cases of their own buildings
        self.assertEqual(self.ids("/v1/cases", "qf-dev-s05"), [self.other])
        st, _ = self.r.get("/v1/cases/" + self.report, "qf-dev-s05")
        self.assertEqual(st, 404)
        st, body = self.r.get("/v1/cases/" + self.report, "qf-dev-s02")
        self.assertEqual(st, 200)
        self.assertEqual(body["concerns_staff"]["id"], "s04")
        st, body = self.r.get("/v1/cases/C-nope", "qf-dev-s02")
        self.assertEqual((st, body["code"]), (404, "not_found"))

    def test_pagination_convention(self):
        # docs/API.md: cursor + limit in, next_cursor + Link rel="next" out;
        # following Link returns every item once, for queue, search, alerts
        def get(path):
            st, hd, data = self.r.proc.request(
                "GET", path, headers={"Authorization": "Bearer qf-dev-s01"})
            return st, hd, json.loads(data)
        for base in ("/v1/cases?category=facility_repair", "/v1/cases", "/v1/queue?staff=s04",
                     "/v1/alerts?scope=all"):
            sep = "&" if "?" in base else "?"
            everything = self.ids(base + sep + "limit=200", "qf-dev-s01")
            for limit in (1, 2, 3):
                got = paging.walk(self, get, "%s%slimit=%d" % (base, sep, limit),
                                  "items", "case_id")
                self.assertEqual(got, everything, (base, limit))
        # the other filters ride along in the Link target
        st, hd, body = get("/v1/cases?category=facility_repair&limit=1")
        target = paging.next_link(hd)
        self.assertIn("category=facility_repair", target)
        self.assertIn("limit=1", target)
        # a cursor the router cannot place, or one outside the URL-safe set
        self.bad("/v1/queue?cursor=%3Cscript%3E", "cursor")
        self.bad("/v1/cases?limit=-1", "limit")

    def test_bad_parameters(self):
        self.bad("/v1/cases?state=sleeping", "state")
        self.bad("/v1/cases?category=weather", "category")
        self.bad("/v1/cases?building=Z99", "building")
        self.bad("/v1/cases?assignee=s99", "assignee")
        self.bad("/v1/cases?from=yesterday", "from")
        self.bad("/v1/cases?to=2026-13-01", "to")
        self.bad("/v1/cases?from=2026-05-02&to=2026-05-01", "to")
        self.bad("/v1/cases?limit=0", "limit")
        self.bad("/v1/cases?limit=201", "limit")
        self.bad("/v1/cases?limit=ten", "limit")
        self.bad("/v1/queue?cursor=zz", "cursor")
        self.bad("/v1/cases?cursor=" + "C" * 60, "cursor")
        self.bad("/v1/alerts?kind=late", "kind")
        self.bad("/v1/alerts?scope=everyone", "scope")
        self.bad("/v1/duties?month=2026-13", "month")
        self.bad("/v1/duties?month=March", "month")

    def test_metrics_and_ready(self):
        st, _, data = self.r.proc.request("GET", "/metrics")
        self.assertEqual(st, 200)
        text = data.decode()
        self.assertIn("qf_router_open_cases 6", text)
        self.assertIn("qf_router_cases_created_total 6", text)
        self.assertIn("qf_router_actions_ok_total 1", text)
        st, _, _ = self.r.proc.request("GET", "/readyz")
        self.assertEqual(st, 200)


if __name__ == "__main__":
    unittest.main()
