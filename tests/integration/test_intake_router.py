"""intake with the router's stream (a test emitter stands in for the router):
staff actions wait for the router's verdict (200/403/404/409, or 202 and a
command to poll), the follow view shows the whole handling timeline,
feedback reaches the router, cases from other replicas are learned, and
Open311 shows status_notes, agency_responsible and expected_datetime."""
import threading
import time
import unittest

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_intake import SAMPLE, IntakeService, bearer, events_of

HOUR = 3600 * 1000


def transition(case_id, code, frm, to, **kw):
    p = {"case_id": case_id, "tracking_code": code, "from_state": frm, "to_state": to,
         "category": "facility_repair", "building": "B03", "at_ms": int(time.time() * 1000)}
    p.update(kw)
    return p


class RouterFlowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-router")
        cls.router = Emitter(cls.c, "router")
        cls.it = IntakeService(cls.c, router=cls.router,
                               settings={"intake.action_wait_ms": 8000})

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s (see its log)" % rc

    def submit(self, **kw):
        st, ans = self.it.petition(dict(SAMPLE, **kw))
        self.assertEqual(st, 201, ans)
        return ans

    def assign(self, ans, building="B03", who=("s04", "李建国", "1-4栋楼长")):
        due = int(time.time() * 1000) + 72 * HOUR
        self.router.emit("CASE_ASSIGNED", key=building, case_id=ans["case_id"],
                         payload=transition(ans["case_id"], ans["tracking_code"],
                                            "STATE_SUBMITTED", "STATE_ASSIGNED",
                                            building=building, assignee=who[0],
                                            assignee_name=who[1], assignee_post=who[2],
                                            respond_due_ms=due - 48 * HOUR,
                                            resolve_due_ms=due,
                                            actor={"role": "system"}))
        return due

    def wait_status(self, ans, status):
        def ok():
            st, v = self.it.track(ans["tracking_code"], ans["secret"])
            return v if st == 200 and v["status"] == status else None
        return wait_until(ok, timeout=10, what="status %s" % status)

    def command_of(self, case_id, action, seen=0):
        """The STAFF_ACTION_REQUESTED intake emitted for (case, action)."""
        def find():
            evs = [e for e in self.it.watch(types=["STAFF_ACTION_REQUESTED"])
                   if e["case_id"] == case_id and
                   e["payload"].get("action") == action]
            return evs if len(evs) > seen else None
        return wait_until(find, timeout=10, what="%s requested" % action)[-1]

    def act_and_answer(self, case_id, who, body, result, transition_ev=None, seen=0):
        """Post an action; answer it as the router would; return the reply."""
        out = {}

        def post():
            out["r"] = self.it.action(case_id, who, body)
        t = threading.Thread(target=post)
        t.start()
        ev = self.command_of(case_id, body["action_kind"] if "action_kind" in body
                             else "ACTION_" + body["action"].upper(), seen)
        cmd = ev["payload"]["command_id"]
        self.assertEqual(ev["correlation_id"], cmd)
        if transition_ev:
            typ, key, payload = transition_ev
            payload = dict(payload, command_id=cmd)
            self.router.emit(typ, key=key, case_id=case_id, payload=payload,
                             correlation_id=cmd)
        res = dict(result, command_id=cmd, case_id=case_id)
        self.router.emit("ACTION_RESULT", key=ev["partition_key"], case_id=case_id,
                         payload=res, correlation_id=cmd)
        t.join(30)
        return out["r"], ev

    # ------------------------------------------------------------ flow
    def test_whole_flow_with_timeline_and_feedback(self):
        ans = self.submit()
        cid, code = ans["case_id"], ans["tracking_code"]
        due = self.assign(ans)
        v = self.wait_status(ans, "assigned")
        self.assertEqual(v["handler"], {"name": "李建国", "post": "1-4栋楼长"})
        self.assertIn("resolve_due_at", v["deadlines"])
        # accept: 200 with the new state
        (st, body), ev = self.act_and_answer(
            cid, "head1", {"action": "accept"},
            {"ok": True, "status": 200, "code": "ok", "message": "已受理",
             "state": "STATE_ACCEPTED", "assignee": "s04"},
            ("CASE_ACCEPTED", "B03",
             transition(cid, code, "STATE_ASSIGNED", "STATE_ACCEPTED", assignee="s04",
                        assignee_name="李建国", assignee_post="1-4栋楼长", owner="s04",
                        actor={"staff_id": "s04", "role": "building_head", "name": "李建国"})))
        self.assertEqual(st, 200, body)
        self.assertEqual(body["state"], "accepted")
        self.assertEqual(ev["partition_key"], "B03")
        self.assertEqual(ev["payload"]["actor"]["staff_id"], "s04")
        # a progress note with cause, progress and result
        (st, body), _ = self.act_and_answer(
            cid, "head1", {"action": "progress", "cause": "声控开关老化", "progress": "已购买新开关",
                           "result": "明天安装"},
            {"ok": True, "status": 200, "message": "已记录", "state": "STATE_IN_PROGRESS"},
            ("CASE_PROGRESS", "B03",
             transition(cid, code, "STATE_ACCEPTED", "STATE_IN_PROGRESS", cause="声控开关老化",
                        progress="已购买新开关", result="明天安装", assignee="s04",
                        assignee_name="李建国", assignee_post="1-4栋楼长")))
        self.assertEqual(st, 200, body)
        # feedback before resolution: refused
        st, fb = self.it.json("POST", "/v1/track/%s/feedback" % code, {"rating": 5},
                              {"X-Tracking-Secret": ans["secret"]})
        self.assertEqual((st, fb["code"]), (409, "not_resolved"))
        self.router.emit("CASE_RESOLVED", key="B03", case_id=cid,
                         payload=transition(cid, code, "STATE_IN_PROGRESS", "STATE_RESOLVED",
                                            result="已更换声控开关，灯已恢复", assignee="s04",
                                            assignee_name="李建国", assignee_post="1-4栋楼长",
                                            resolve_due_ms=due))
        v = self.wait_status(ans, "resolved")
        self.assertTrue(v["can_give_feedback"])
        events = [e["event"] for e in v["timeline"]]
        self.assertEqual(events, ["submitted", "assigned", "accepted", "progress", "resolved"])
        prog = v["timeline"][3]
        self.assertEqual((prog["cause"], prog["progress"], prog["result"]),
                         ("声控开关老化", "已购买新开关", "明天安装"))
        self.assertIn("已派单给李建国", v["timeline"][1]["note"])
        # feedback: a poor rating; the router answers with CASE_RATED
        out = {}

        def give():
            out["r"] = self.it.json("POST", "/v1/track/%s/feedback" % code,
                                    {"rating": 2, "comment": "灯又不亮了"},
                                    {"X-Tracking-Secret": ans["secret"]})
        t = threading.Thread(target=give)
        t.start()
        fev = wait_until(lambda: [e for e in self.it.watch(types=["FEEDBACK_GIVEN"])
                                  if e["case_id"] == cid], timeout=10)[0]
        self.assertEqual(fev["payload"]["rating"], 2)
        cmd = fev["payload"]["command_id"]
        self.assertEqual(fev["correlation_id"], cmd)
        self.router.emit("CASE_RATED", key="B03", case_id=cid, correlation_id=cmd,
                         payload=transition(cid, code, "STATE_RESOLVED", "STATE_RESOLVED",
                                            rating=2, comment="灯又不亮了", command_id=cmd))
        t.join(30)
        st, body = out["r"]
        self.assertEqual(st, 200, body)
        self.assertEqual(body["command_id"], cmd)
        st, again = self.it.json("POST", "/v1/track/%s/feedback" % code, {"rating": 4},
                                 {"X-Tracking-Secret": ans["secret"]})
        self.assertEqual((st, again["code"]), (409, "already_rated"))
        st, bad = self.it.json("POST", "/v1/track/%s/feedback" % code, {"rating": 4},
                               {"X-Tracking-Secret": "0" * 20})
        self.assertEqual(st, 404)

    def test_router_refusals(self):
        ans = self.submit(building="B04")
        cid = ans["case_id"]
        self.assign(ans, building="B04")
        self.wait_status(ans, "assigned")
        (st, body), _ = self.act_and_answer(
            cid, "head1", {"action": "resolve", "result": "已处理"},
            {"ok": False, "status": 409, "code": "not_owner",
             "message": "首问负责制：该案件由李建国受理，您不能办结", "state": "STATE_ASSIGNED"})
        self.assertEqual(st, 409, body)
        self.assertEqual(body["code"], "not_owner")
        self.assertIn("首问负责制", body["detail"])
        self.assertIsNone(body["field"])
        (st, body), _ = self.act_and_answer(
            cid, "head1", {"action": "extend_approve"},
            {"ok": False, "status": 403, "code": "role", "message": "只有书记可以批准延期",
             "state": "STATE_ASSIGNED"})
        self.assertEqual((st, body["code"]), (403, "role"))

    def test_unknown_case(self):
        st, body = self.it.action("C" + "0" * 26, "head1", {"action": "accept"})
        self.assertEqual((st, body["code"]), (404, "not_found"))

    def test_action_validation(self):
        ans = self.submit()
        cid = ans["case_id"]
        self.assign(ans)  # to head1: the case is theirs to act on
        self.wait_status(ans, "assigned")
        cases = [({"action": "fly"}, 400, "action"),
                 ({}, 400, "action"),
                 ({"action": "assign"}, 400, "target_staff"),
                 ({"action": "transfer", "target_staff": "s05"}, 400, "reason"),
                 ({"action": "assign", "target_staff": "s99"}, 422, "target_staff"),
                 ({"action": "reject", "reason": "重复"}, 400, "reject_reason"),
                 ({"action": "reject", "reason": "x", "reject_reason": "bored"}, 400,
                  "reject_reason"),
                 ({"action": "reject", "reason": "x", "reject_reason": "duplicate"}, 400,
                  "related_case"),
                 ({"action": "merge", "related_case": cid}, 422, "related_case"),
                 ({"action": "merge", "related_case": "nonsense"}, 422, "related_case"),
                 ({"action": "extend_request", "reason": "等配件"}, 400, "extension_hours"),
                 ({"action": "extend_request", "reason": "x", "extension_hours": 9999}, 400,
                  "extension_hours"),
                 ({"action": "progress"}, 400, "progress"),
                 ({"action": "resolve"}, 400, "result")]
        for body, status, field in cases:
            with self.subTest(body=body):
                st, ans2 = self.it.action(cid, "head1", body)
                self.assertEqual((st, ans2.get("field")), (status, field), ans2)
        st, _ = self.it.json("POST", "/v1/cases/%s/actions" % cid, {"action": "accept"})
        self.assertEqual(st, 401)

    def test_case_from_another_replica(self):
        cid = "C01JZ000000000000000000REMT"
        self.router.emit("CASE_ASSIGNED", key="B07", case_id=cid,
                         payload=transition(cid, "LSJ-R00001", "STATE_SUBMITTED",
                                            "STATE_ASSIGNED", building="B07",
                                            category="safety_hazard", assignee="s05",
                                            assignee_name="张秀英", assignee_post="5-8栋楼长",
                                            submitted_ms=int(time.time() * 1000)))
        wait_until(lambda: self.it.json("GET", "/v1/cases/%s" % cid,
                                        headers=bearer("head2"))[0] == 200, timeout=10)
        (st, body), ev = self.act_and_answer(
            cid, "head2", {"action": "accept"},
            {"ok": True, "status": 200, "state": "STATE_ACCEPTED", "assignee": "s05"})
        self.assertEqual(st, 200, body)
        self.assertEqual(ev["partition_key"], "B07")
        st, o = self.it.json("GET", "/open311/v2/requests/%s.json" % cid)
        self.assertEqual(st, 200)
        self.assertEqual(o[0]["address_id"], "B07")
        self.assertEqual(o[0]["agency_responsible"], "张秀英（5-8栋楼长）")

    def test_idempotent_action(self):
        ans = self.submit()
        cid = ans["case_id"]
        self.assign(ans)
        self.wait_status(ans, "assigned")
        h = {"Idempotency-Key": "act-1"}
        out = {}

        def post():
            out["r"] = self.it.action(cid, "head1", {"action": "accept"}, h)
        t = threading.Thread(target=post)
        t.start()
        ev = self.command_of(cid, "ACTION_ACCEPT")
        cmd = ev["payload"]["command_id"]
        self.router.emit("ACTION_RESULT", key="B03", case_id=cid, correlation_id=cmd,
                         payload={"command_id": cmd, "case_id": cid, "ok": True,
                                  "status": 200, "state": "STATE_ACCEPTED"})
        t.join(30)
        self.assertEqual(out["r"][0], 200)
        st, again = self.it.action(cid, "head1", {"action": "accept"}, h)
        self.assertEqual((st, again["command_id"]), (200, cmd))
        evs = [e for e in self.it.watch(types=["STAFF_ACTION_REQUESTED"])
               if e["case_id"] == cid]
        self.assertEqual(len(evs), 1)
        st, other = self.it.action(cid, "head1", {"action": "resolve", "result": "x"}, h)
        self.assertEqual(st, 422)

    def test_open311_follows_the_router(self):
        ans = self.submit(consent_public=True)
        due = self.assign(ans)
        self.wait_status(ans, "assigned")
        st, o = self.it.json("GET", "/open311/v2/requests/%s.json" % ans["case_id"])
        self.assertEqual(st, 200)
        r = o[0]
        self.assertEqual(r["agency_responsible"], "李建国（1-4栋楼长）")
        self.assertIn("已派单给李建国", r["status_notes"])
        self.assertEqual(r["status"], "open")
        self.assertTrue(r["expected_datetime"].endswith("+08:00"))
        exp = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(due / 1000 + 8 * 3600))
        self.assertTrue(r["expected_datetime"].startswith(exp))


class RouterSilentTest(unittest.TestCase):
    """The router does not answer in time: 202 and a command to poll."""

    def test_202_then_poll(self):
        with Cluster("intake-router-slow") as c:
            router = Emitter(c, "router")
            it = IntakeService(c, router=router, settings={"intake.action_wait_ms": 300})
            st, ans = it.petition(dict(SAMPLE))
            cid = ans["case_id"]
            st, body = it.action(cid, "secretary", {"action": "accept"})
            self.assertEqual(st, 202, body)
            cmd = body["command_id"]
            self.assertEqual(body["poll"], "/v1/commands/%s" % cmd)
            st, p = it.json("GET", body["poll"], headers=bearer("secretary"))
            self.assertEqual((st, p["status"]), (200, "pending"))
            router.emit("ACTION_RESULT", key="B03", case_id=cid, correlation_id=cmd,
                        payload={"command_id": cmd, "case_id": cid, "ok": False,
                                 "status": 409, "code": "state",
                                 "message": "案件尚未派单", "state": "STATE_SUBMITTED"})
            p = wait_until(lambda: (lambda r: r[1] if r[1]["status"] == "done" else None)(
                it.json("GET", "/v1/commands/%s" % cmd, headers=bearer("secretary"))), timeout=10)
            self.assertEqual(p["result"]["status"], 409)
            self.assertEqual(p["result"]["message"], "案件尚未派单")
            self.assertEqual(it.json("GET", "/v1/commands/Knope",
                                     headers=bearer("secretary"))[0], 404)

    def test_timeline_survives_restart_without_double_apply(self):
        with Cluster("intake-router-restart") as c:
            router = Emitter(c, "router")
            it = IntakeService(c, router=router)
            st, ans = it.petition(dict(SAMPLE))
            cid = ans["case_id"]
            router.emit("CASE_ASSIGNED", key="B03", case_id=cid,
                        payload=transition(cid, ans["tracking_code"], "STATE_SUBMITTED",
                                           "STATE_ASSIGNED", assignee="s04",
                                           assignee_name="李建国", assignee_post="1-4栋楼长"))
            wait_until(lambda: it.track(ans["tracking_code"], ans["secret"])[1]["status"] ==
                       "assigned", timeout=10)
            it.restart()
            router.emit("CASE_ACCEPTED", key="B03", case_id=cid,
                        payload=transition(cid, ans["tracking_code"], "STATE_ASSIGNED",
                                           "STATE_ACCEPTED"))
            v = wait_until(lambda: (lambda r: r if r["status"] == "accepted" else None)(
                it.track(ans["tracking_code"], ans["secret"])[1]), timeout=10)
            self.assertEqual([e["event"] for e in v["timeline"]],
                             ["submitted", "assigned", "accepted"])
            # events of unknown types and other producers' noise are skipped
            router.emit("HOTSPOT_WARNING", key="B03", payload={"category": "x", "count": 3})
            router.emit("DEADLINE_WARNING", key="B03", case_id=cid,
                        payload={"case_id": cid, "permille": 800})
            time.sleep(0.3)
            self.assertTrue(it.proc.alive())
            self.assertEqual(len(it.track(ans["tracking_code"], ans["secret"])[1]["timeline"]), 3)


if __name__ == "__main__":
    unittest.main()
