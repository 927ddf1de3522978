"""test_router_workflow: staff actions through the real bus: a case from
assignment to closure, refusals with 403/404/409 and a Chinese reason,
exactly one ACTION_RESULT per command, feedback closing or reopening, and
the routing rules (special routes, the integrity report's exclusions)."""
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_router import (action, feedback, new_case_id, new_command_id,
                                      petition, start)


class RouterWorkflow(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("router-wf")
        self.intake, self.r, self.w = start(self.c)

        self.addCleanup(self.c.close)

    def act(self, cid, kind, staff, building="B03", **kw):
        cmd = action(self.intake, cid, building, kind, staff, **kw)
        return self.w.result(cmd)

    def test_full_lifecycle(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03")
        self.w.wait_for("CASE_ASSIGNED", cid)
        self.assertEqual(self.act(cid, "ACTION_ACCEPT", "s04")["status"], 200)
        res = self.act(cid, "ACTION_TRANSFER", "s04", target_staff="s03", reason="需要居委会协调")
        self.assertEqual(res["status"], 200)
        self.assertEqual(res["assignee"], "s03")
        tr = self.w.wait_for("CASE_TRANSFERRED", cid)[0]
        self.assertEqual(tr["transfer_count"], 1)
        self.assertEqual(tr["previous_assignee"], "s04")
        self.assertEqual(tr["owner"], "s03")
        res = self.act(cid, "ACTION_PROGRESS", "s03", cause="线路老化", progress="已联系电工",
                       media=[{"sha256": "ab" * 32, "content_type": "image/jpeg", "size": 1000}])
        self.assertEqual(res["state"], "STATE_IN_PROGRESS")
        pg = self.w.wait_for("CASE_PROGRESS", cid)[0]
        self.assertEqual(pg["media"][0]["sha256"], "ab" * 32)
        self.assertEqual(self.act(cid, "ACTION_RESOLVE", "s03", result="已更换灯具")["status"], 200)
        cmd = new_command_id()
        feedback(self.intake, cid, "B03", 5, "很满意", command_id=cmd)
        self.assertEqual(self.w.result(cmd)["state"], "STATE_CLOSED")
        rated = self.w.wait_for("CASE_RATED", cid)[0]
        self.assertEqual(rated["rating"], 5)
        self.assertEqual(rated["comment"], "很满意")
        closed = self.w.wait_for("CASE_CLOSED", cid)[0]
        self.assertFalse(closed.get("closed_without_feedback", False))
        types = [e["type"] for e in self.w.all(case_id=cid) if e["type"] != "ACTION_RESULT"]
        self.assertEqual(types, ["CASE_ASSIGNED", "CASE_ACCEPTED", "CASE_TRANSFERRED",
                                 "CASE_PROGRESS", "CASE_RESOLVED", "CASE_RATED", "CASE_CLOSED"])
        # every CaseTransition carries the case's facts and due times
        for e in self.w.all(case_id=cid):
            if e["type"].startswith("CASE_"):
                p = e["payload"]
                self.assertEqual(p["building"], "B03")
                self.assertEqual(p["category"], "facility_repair")
                self.assertIn("respond_due_ms", p)
                self.assertIn("resolve_due_ms", p)
                self.assertIn("at_ms", p)
                self.assertEqual(e["partition_key"], "B03")
        detail = self.r.case(cid)
        self.assertEqual(detail["state"], "closed")
        self.assertEqual(detail["rating"], 5)
        self.assertEqual(len(detail["timeline"]), 8)

    def test_refusals_say_why(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03")
        self.w.wait_for("CASE_ASSIGNED", cid)
        res = self.act(cid, "ACTION_ACCEPT", "s05")
        self.assertEqual(res["status"], 403)
        self.assertFalse(res.get("ok", False))
        self.assertEqual(res["code"], "not_assignee")
        self.assertIn("李建国", res["message"])
        self.assertEqual(res["state"], "STATE_ASSIGNED")
        res = self.act(cid, "ACTION_RESOLVE", "s04", result="x")
        self.assertEqual(res["status"], 409)
        self.assertEqual(res["code"], "state_forbids")
        self.assertIn("已派单", res["message"])
        res = self.act(cid, "ACTION_EXTEND_APPROVE", "s04")
        self.assertEqual(res["status"], 409)
        res = self.act(new_case_id(), "ACTION_ACCEPT", "s04")
        self.assertEqual(res["status"], 404)
        self.assertEqual(res["code"], "case_unknown")
        self.assertIn("找不到案件", res["message"])
        self.assertEqual(self.act(cid, "ACTION_ACCEPT", "s04")["status"], 200)
        res = self.act(cid, "ACTION_TRANSFER", "s04", target_staff="s03")
        self.assertEqual((res["status"], res["code"]), (409, "reason_required"))
        self.assertIn("理由", res["message"])
        res = self.act(cid, "ACTION_TRANSFER", "s06", target_staff="s03", reason="x")
        self.assertEqual((res["status"], res["code"]), (403, "not_owner"))
        res = self.act(cid, "ACTION_ACCEPT", "s06")
        self.assertEqual((res["status"], res["code"]), (409, "state_forbids"))
        self.assertIn("已受理", res["message"])
        # refusals change nothing on the record
        detail = self.r.case(cid)
        self.assertEqual(detail["state"], "accepted")
        self.assertEqual(detail["transfer_count"], 0)
        self.assertEqual(len(self.w.all("CASE_TRANSFERRED", cid)), 0)

    def test_one_result_per_command(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03")
        cmds = [action(self.intake, cid, "B03", "ACTION_ACCEPT", s)
                for s in ("s05", "s04", "s04", "s01", "s06")]
        for cmd in cmds:
            self.w.result(cmd)
        self.w.wait_for("ACTION_RESULT", count=len(cmds))
        statuses = [self.w.result(c)["status"] for c in cmds]
        # once accepted, the state refuses every further accept (409)
        self.assertEqual(statuses, [403, 200, 409, 409, 409])
        for cmd in cmds:
            self.assertEqual(len(self.w.results(cmd)), 1)
        self.assertEqual(len(self.w.all("CASE_ACCEPTED", cid)), 1)

    def test_poor_rating_reopens(self):
        cid = new_case_id()
        petition(self.intake, cid, "neighbor_dispute", "B05")
        self.assertEqual(self.w.wait_for("CASE_ASSIGNED", cid)[0]["assignee"], "s05")
        self.assertEqual(self.act(cid, "ACTION_ACCEPT", "s05", "B05")["status"], 200)
        self.assertEqual(self.act(cid, "ACTION_RESOLVE", "s05", "B05", result="已调解")["status"],
                         200)
        feedback(self.intake, cid, "B05", 1, "没有解决")
        ro = self.w.wait_for("CASE_REOPENED", cid)[0]
        self.assertEqual(ro["from_state"], "STATE_RESOLVED")
        self.assertEqual(ro["owner"], "s05")
        rated = self.w.wait_for("CASE_RATED", cid)[0]
        self.assertEqual(rated["rating"], 1)
        # the first responder still owns it and takes it up again
        self.assertEqual(self.act(cid, "ACTION_ACCEPT", "s06", "B05")["status"], 403)
        self.assertEqual(self.act(cid, "ACTION_ACCEPT", "s05", "B05")["status"], 200)
        self.assertEqual(self.r.case(cid)["reopen_count"], 1)

    def test_routes(self):
        rental, integrity, party = new_case_id(), new_case_id(), new_case_id()
        petition(self.intake, rental, "rental_dispute", "B09")
        petition(self.intake, integrity, "integrity_report", "B03", concerns="s04")
        petition(self.intake, party, "neighbor_dispute", "B03", parties=["s04"])
        self.assertEqual(self.w.wait_for("CASE_ASSIGNED", rental)[0]["assignee"], "s08")
        a = self.w.wait_for("CASE_ASSIGNED", integrity)[0]
        self.assertEqual(a["assignee"], "s02")
        self.assertEqual(a["concerns_staff"], "s04")
        self.assertEqual(a["priority"], "sensitive")
        self.assertEqual(self.w.wait_for("CASE_ASSIGNED", party)[0]["assignee"], "s03")
        res = self.act(integrity, "ACTION_ACCEPT", "s04")
        self.assertEqual((res["status"], res["code"]), (403, "conflict_of_interest"))
        self.assertIn("回避", res["message"])
        # the reported staff member cannot even see it
        st, _ = self.r.get("/v1/cases/" + integrity, token="qf-dev-s04")
        self.assertEqual(st, 404)
        st, body = self.r.get("/v1/cases/" + integrity, token="qf-dev-s02")
        self.assertEqual(st, 200)
        self.assertTrue(body["integrity_report"])


if __name__ == "__main__":
    unittest.main()
