"""Free text that intake puts into events is masked with the case's known
names (issue 12): the petitioner's surname and full name (from the sealed
contact) and the names learned from the case's own texts, in staff notes,
feedback comments and visit findings made into petitions, in the whole
event as in its public part. Staff still read the notes as written from
intake. Names are invented."""
import json
import time
import unittest

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_intake import IntakeService, bearer

NAME = "欧阳霁岚"          # the petitioner
NEIGHBOUR = "卞小川"       # named once after a cue in the description


def public_part(e):
    return e["public"] if e.get("whole") else e["payload"]


def transition(case_id, code, frm, to, **kw):
    p = {"case_id": case_id, "tracking_code": code, "from_state": frm, "to_state": to,
         "category": "facility_repair", "building": "B03", "at_ms": int(time.time() * 1000)}
    p.update(kw)
    return p


class KnownNamesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-names")
        cls.router = Emitter(cls.c, "router")
        cls.it = IntakeService(cls.c, router=cls.router,
                               settings={"intake.action_wait_ms": 300})

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s" % rc

    def submit(self, **kw):
        body = {"category": "facility_repair", "building": "B03", "address": "3栋2单元",
                "description": "楼道灯坏了，联系人%s也反映过" % NEIGHBOUR, "name": NAME,
                "phone": "13912340007", "channel": "app", "anonymous": False,
                "consent_public": True}
        body.update(kw)
        st, r = self.it.petition(body)
        self.assertEqual(st, 201, r)
        return r

    def events_of(self, case_id, types, n):
        def got():
            evs = [e for e in self.it.watch(types=types) if e["case_id"] == case_id]
            return evs if len(evs) >= n else None
        return wait_until(got, timeout=10, what="%d events" % n)

    def assertNoName(self, obj, *names):
        text = json.dumps(obj, ensure_ascii=False)
        for n in names:
            self.assertNotIn(n, text)

    def test_staff_notes_and_feedback_masked_with_the_case_names(self):
        ans = self.submit()
        cid, code = ans["case_id"], ans["tracking_code"]
        # the note, a name without a cue, and a learned name
        note = {"action": "progress", "progress": "已电话联系%s" % NAME,
                "cause": "昨天%s来电说灯又坏了" % NAME,
                "result": "%s家的灯也一并修好" % NEIGHBOUR}
        self.it.assign(cid, "s04")
        st, body = self.it.action(cid, "head1", note)
        self.assertIn(st, (200, 202), body)
        evs = self.events_of(cid, ["PETITION_SUBMITTED", "STAFF_ACTION_REQUESTED"], 2)
        for e in evs:
            # the whole event (what the router and notifier get; `text` is the
            # petition exactly as written, [private]) and the public part
            whole = {k: v for k, v in e["payload"].items() if k != "text"}
            self.assertNoName(whole, NAME, "霁岚", NEIGHBOUR, "小川")
            self.assertNoName(public_part(e), NAME, "霁岚", NEIGHBOUR, "小川")
        act = [e for e in evs if e["type"] == "STAFF_ACTION_REQUESTED"][0]
        self.assertIn("欧阳**", public_part(act)["progress"])
        self.assertIn("卞**", public_part(act)["result"])
        pet = [e for e in evs if e["type"] == "PETITION_SUBMITTED"][0]
        self.assertIn("卞**", public_part(pet)["description"])
        # the exact words stay private: `text` of the petition
        self.assertIn(NEIGHBOUR, pet["payload"]["text"])
        self.assertNotIn("text", public_part(pet))
        # staff read the note as written, from intake (the router's
        # transition names the command)
        cmd = act["payload"]["command_id"]
        self.router.emit("CASE_PROGRESS", key="B03", case_id=cid, correlation_id=cmd,
                         payload=transition(cid, code, "STATE_ACCEPTED", "STATE_IN_PROGRESS",
                                            command_id=cmd, progress=act["payload"]["progress"],
                                            cause=act["payload"]["cause"],
                                            result=act["payload"]["result"]))

        def noted():
            st, v = self.it.json("GET", "/v1/cases/" + cid, headers=bearer("secretary"))
            ok = [e for e in v.get("timeline", []) if e.get("staff_notes")]
            return ok[0] if st == 200 and ok else None
        entry = wait_until(noted, timeout=10, what="staff notes")
        self.assertEqual(entry["staff_notes"]["progress"], "已电话联系%s" % NAME)
        self.assertEqual(entry["staff_notes"]["result"], "%s家的灯也一并修好" % NEIGHBOUR)
        # the petitioner's follow view shows the masked note
        st, view = self.it.track(code, ans["secret"])
        self.assertNoName(view["timeline"], "霁岚", "小川")
        # feedback once resolved: masked in the event, as written for staff
        self.router.emit("CASE_RESOLVED", key="B03", case_id=cid,
                         payload=transition(cid, code, "STATE_IN_PROGRESS", "STATE_RESOLVED",
                                            result="已修好"))
        wait_until(lambda: self.it.track(code, ans["secret"])[1]["status"] == "resolved",
                   what="resolved")
        comment = "%s全家感谢，%s也说好" % (NAME, NEIGHBOUR)
        st, body = self.it.json("POST", "/v1/track/%s/feedback" % code,
                                {"rating": 5, "comment": comment},
                                {"X-Tracking-Secret": ans["secret"]})
        self.assertIn(st, (200, 202), body)
        fb = self.events_of(cid, ["FEEDBACK_GIVEN"], 1)[0]
        self.assertNoName(fb["payload"], "霁岚", "小川")
        self.assertNoName(public_part(fb), "霁岚", "小川")
        self.assertIn("欧阳**", public_part(fb)["comment"])
        st, v = self.it.json("GET", "/v1/cases/" + cid, headers=bearer("secretary"))
        self.assertEqual(v["feedback"][0]["comment"], comment)

    def test_visit_finding_made_petition_is_masked(self):
        findings = "户主%s家中漏水，联系人%s称已持续一周" % (NAME, NEIGHBOUR)
        st, ans = self.it.json("POST", "/v1/visits", {
            "date": "2026-03-03", "place": "3栋2单元402室", "building": "B03",
            "household": True, "findings": findings,
            "petition": {"category": "facility_repair", "name": NAME,
                         "phone": "13912340008", "anonymous": False,
                         "consent_public": True}}, bearer("supervisor"))
        self.assertEqual(st, 201, ans)
        cid = ans["case_id"]
        pet = self.events_of(cid, ["PETITION_SUBMITTED"], 1)[0]
        self.assertNoName(pet["payload"]["description"], "霁岚", "岚", "小川")
        self.assertNoName(public_part(pet), "霁岚", "小川")
        vis = [e for e in self.it.watch(types=["VISIT_RECORDED"])
               if e["payload"].get("visit_id") == ans["visit_id"]][0]
        self.assertNoName(vis["payload"], "霁岚", "小川")
        self.assertNotIn("findings", public_part(vis))
        # the supervisor's own record keeps the finding as written
        st, lst = self.it.json("GET", "/v1/visits?month=2026-03", headers=bearer("supervisor"))
        mine = [v for v in lst["visits"] if v["visit_id"] == ans["visit_id"]][0]
        self.assertEqual(mine["findings"], findings)


if __name__ == "__main__":
    unittest.main()
