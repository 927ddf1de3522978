"""What intake's own public answers show (issue 12, item 7): Open311's
GET service_requests (JSON and XML) follow the events' rules. An anonymous
petition shows no masked phone and no pseudonym; an integrity report shows
nothing that identifies the reporter or the person concerned (no building,
no handler, no notes, no text), so an anonymous report filed with the same
phone as a named petition shares no value with it. Names are invented."""
import json
import time
import unittest

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_intake import IntakeService

PHONE = "13600071234"
NAME = "闵晓霏"
# values every request has whatever the case: not identifying
GENERIC = {"open", "closed", "", None, "facility_repair"}


def public_part(e):
    return e["public"] if e.get("whole") else e["payload"]


def values(obj):
    """Every scalar value in a JSON document, as strings."""
    out = set()
    if isinstance(obj, dict):
        for v in obj.values():
            out |= values(v)
    elif isinstance(obj, list):
        for v in obj:
            out |= values(v)
    elif obj is not None and obj != "":
        out.add(str(obj))
    return out


class PublicOutputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-public")
        cls.router = Emitter(cls.c, "router")
        cls.it = IntakeService(cls.c, router=cls.router,
                               settings={"intake.action_wait_ms": 200})

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s" % rc

    def submit(self, **kw):
        st, ans = self.it.petition(kw)
        self.assertEqual(st, 201, ans)
        return ans

    def o311(self, rid, fmt="json"):
        st, hd, raw = self.it.request("GET", "/open311/v2/requests/%s.%s" % (rid, fmt))
        self.assertEqual(st, 200, raw)
        return raw.decode("utf-8")

    def test_anonymous_report_shares_nothing_with_a_named_petition(self):
        named = self.submit(category="facility_repair", building="B03", address="3栋2单元",
                            description="楼道灯坏了", name=NAME, phone=PHONE, channel="app",
                            anonymous=False, consent_public=True)
        report = self.submit(category="integrity_report", building="B03",
                             address="3栋2单元402室", description="楼长收了好处费",
                             phone=PHONE, channel="app", anonymous=True,
                             concerns_staff="s04", consent_public=True)
        # the handler and a note, as the router tells them
        for a in (named, report):
            self.router.emit("CASE_ASSIGNED", key="B03", case_id=a["case_id"], payload={
                "case_id": a["case_id"], "tracking_code": a["tracking_code"],
                "from_state": "STATE_SUBMITTED", "to_state": "STATE_ASSIGNED",
                "category": "facility_repair" if a is named else "integrity_report",
                "building": "B03", "assignee": "s02", "assignee_name": "陈立伟",
                "assignee_post": "廉勤监督员", "reason": "请%s配合核实" % NAME,
                "at_ms": int(time.time() * 1000)})

        def assigned():
            got = json.loads(self.o311(report["case_id"]))[0]
            return got if got["status"] == "open" and json.loads(
                self.o311(named["case_id"]))[0]["agency_responsible"] else None
        wait_until(assigned, what="assignments applied")
        n = json.loads(self.o311(named["case_id"]))[0]
        r = json.loads(self.o311(report["case_id"]))[0]
        # the integrity report: nothing that places or names anyone
        self.assertEqual((r["address"], r["address_id"], r["agency_responsible"],
                          r["description"], r["media_url"], r["lat"], r["long"]),
                         ("", "", "", "", None, None, None))
        self.assertNotIn("陈立伟", r["status_notes"])
        self.assertNotIn(NAME, r["status_notes"])
        shared = (values(n) & values(r)) - GENERIC
        # only times can coincide (to the second); nothing else
        shared = {v for v in shared if not v.startswith("20")}
        self.assertEqual(shared, set())
        # no phone, masked phone or pseudonym in any public answer of intake
        events = self.it.watch(types=["PETITION_SUBMITTED"])
        pseudo = [e["payload"]["petitioner_pseudonym"] for e in events
                  if e["case_id"] == named["case_id"]][0]
        for fmt in ("json", "xml"):
            for doc in (self.o311(named["case_id"], fmt), self.o311(report["case_id"], fmt)):
                for v in (PHONE, "136****1234", pseudo, "闵**", NAME):
                    self.assertNotIn(v, doc)
        st, hd, lst = self.it.request("GET", "/open311/v2/requests.json")
        for v in (PHONE, "136****1234", pseudo, NAME):
            self.assertNotIn(v, lst.decode("utf-8"))
        # the events' public parts agree: the report shares no value with the
        # petition but its category-free generic ones
        pub = {e["case_id"]: e for e in events}
        pn, pr = public_part(pub[named["case_id"]]), public_part(pub[report["case_id"]])
        self.assertNotIn("phone_masked", pr)
        self.assertNotIn("petitioner_pseudonym", pr)
        self.assertNotIn("building", pr)
        self.assertEqual(pub[report["case_id"]]["partition_key"], "sensitive")
        shared = (values(pn) & values(pr)) - {"app", "True", "native", "facility_repair"}
        self.assertEqual({v for v in shared if not v.isdigit()}, set())

    def test_anonymous_petition_has_no_phone_or_pseudonym_in_public(self):
        a = self.submit(category="facility_repair", building="B05", address="5栋",
                        description="5栋门口积水", phone=PHONE, channel="app",
                        anonymous=True, consent_public=True)
        ev = [e for e in self.it.watch(types=["PETITION_SUBMITTED"])
              if e["case_id"] == a["case_id"]][0]
        p = public_part(ev)
        self.assertNotIn("phone_masked", p)
        self.assertNotIn("petitioner_pseudonym", p)
        self.assertEqual(p.get("name_masked"), "匿名")
        for fmt in ("json", "xml"):
            doc = self.o311(a["case_id"], fmt)
            self.assertNotIn("136****1234", doc)
            self.assertNotIn(PHONE, doc)
        # the description is shown (consent), masked
        self.assertIn("5栋门口积水", self.o311(a["case_id"]))

    def test_withheld_petition_shows_only_public_facts(self):
        a = self.submit(category="facility_repair", building="B05", address="5栋2单元402室",
                        description="家里漏水", name=NAME, phone=PHONE, channel="app",
                        anonymous=False, consent_public=False, lat=30.1, lng=104.2)
        self.router.emit("CASE_PROGRESS", key="B05", case_id=a["case_id"], payload={
            "case_id": a["case_id"], "tracking_code": a["tracking_code"],
            "from_state": "STATE_ACCEPTED", "to_state": "STATE_IN_PROGRESS",
            "category": "facility_repair", "building": "B05",
            "progress": "已联系%s上门查看402室" % NAME, "at_ms": int(time.time() * 1000)})

        def noted():
            st, v = self.it.track(a["tracking_code"], a["secret"])
            return v["status"] == "in_progress"
        wait_until(noted, what="progress applied")
        got = json.loads(self.o311(a["case_id"]))[0]
        self.assertEqual((got["description"], got["lat"], got["media_url"]), ("", None, None))
        self.assertNotIn("402", got["address"])
        self.assertNotIn("402", got["status_notes"])
        self.assertNotIn(NAME, json.dumps(got, ensure_ascii=False))
        # the petitioner's own view has the note as the router wrote it
        st, v = self.it.track(a["tracking_code"], a["secret"])
        self.assertIn("402", v["status_notes"])


if __name__ == "__main__":
    unittest.main()
