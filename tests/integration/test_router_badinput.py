"""test_router_badinput: every kind of bad input the router can receive on
its stream gets its own test. A bad event is logged and skipped (or, for a
command, answered with a refusal); it never stops the router, never blocks
the events behind it, and never changes a case."""
import unittest

from tests.harness.qf import Cluster, wait_until
from tests.harness.svc_router import (action, actor, feedback, new_case_id, new_command_id,
                                      now_ms, petition, start, visit)


class RouterBadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("router-bad")
        cls.intake, cls.r, cls.w = start(cls.c)

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def still_works(self):
        """A valid petition after the bad input is handled normally."""
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B05")
        self.assertEqual(self.w.wait_for("CASE_ASSIGNED", cid)[0]["assignee"], "s05")
        self.assertTrue(self.r.proc.alive())

    def ignored(self):
        st, _, data = self.r.proc.request("GET", "/metrics")
        for line in data.decode().splitlines():
            if line.startswith("qf_router_events_ignored_total "):
                return float(line.split()[1])
        return 0.0

    def emit_petition(self, **payload):
        cid = payload.get("case_id", "")
        base = {"tracking_code": "LSJ-BAD001", "category": "facility_repair",
                "building": "B03", "submitted_ms": now_ms()}
        base.update(payload)
        self.intake.emit("PETITION_SUBMITTED", key=base["building"], case_id=cid, payload=base)

    def assert_ignored_petition(self, cid, **payload):
        before = self.ignored()
        self.emit_petition(case_id=cid, **payload)
        self.still_works()
        wait_until(lambda: self.ignored() > before, what="the event counted as ignored")
        self.assertEqual(self.w.all("CASE_ASSIGNED", cid), [])

    def test_petition_without_category(self):
        self.assert_ignored_petition(new_case_id(), category="")

    def test_petition_without_building(self):
        self.assert_ignored_petition(new_case_id(), building="")

    def test_petition_without_case_id(self):
        before = self.ignored()
        self.emit_petition(case_id="")
        self.still_works()
        wait_until(lambda: self.ignored() > before, what="ignored")

    def test_petition_case_id_too_long(self):
        self.assert_ignored_petition("C" * 100)

    def test_petition_field_too_long(self):
        self.assert_ignored_petition(new_case_id(), building="B" * 200)

    def test_petition_too_many_parties(self):
        self.assert_ignored_petition(new_case_id(), parties=["s0%d" % (i % 8 + 1)
                                                              for i in range(17)])

    def test_petition_twice(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03")
        petition(self.intake, cid, "safety_hazard", "B09")
        self.still_works()
        self.assertEqual(len(self.w.all("CASE_ASSIGNED", cid)), 1)
        self.assertEqual(self.r.case(cid)["category"], "facility_repair")

    def test_petition_unknown_category(self):
        # not in the community file: still handled, with fallback deadlines
        cid = new_case_id()
        petition(self.intake, cid, "alien_landing", "B03")
        a = self.w.wait_for("CASE_ASSIGNED", cid)[0]
        self.assertEqual(a["assignee"], "s04")
        self.assertEqual(a["resolve_due_ms"] - a["submitted_ms"], 72 * 3600 * 1000)

    def test_petition_unknown_building(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "Z77")
        self.assertEqual(self.w.wait_for("CASE_ASSIGNED", cid)[0]["assignee"], "s03")

    def test_action_without_actor(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03")
        cmd = new_command_id()
        self.intake.emit("STAFF_ACTION_REQUESTED", key="B03", case_id=cid, correlation_id=cmd,
                         payload={"command_id": cmd, "case_id": cid, "action": "ACTION_ACCEPT"})
        res = self.w.result(cmd)
        self.assertEqual((res["status"], res["code"]), (403, "unknown_staff"))

    def test_action_unknown_staff(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03")
        cmd = new_command_id()
        self.intake.emit("STAFF_ACTION_REQUESTED", key="B03", case_id=cid, correlation_id=cmd,
                         payload={"command_id": cmd, "case_id": cid, "action": "ACTION_ACCEPT",
                                  "actor": {"staff_id": "s404", "role": "secretary"}})
        self.assertEqual(self.w.result(cmd)["status"], 403)

    def test_action_unknown_kind(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03")
        for kind in (0, 99):
            cmd = new_command_id()
            self.intake.emit("STAFF_ACTION_REQUESTED", key="B03", case_id=cid, correlation_id=cmd,
                             payload={"command_id": cmd, "case_id": cid, "action": kind,
                                      "actor": actor("s04")})
            res = self.w.result(cmd)
            self.assertEqual((res["status"], res["code"]), (409, "unknown_action"))
        self.assertEqual(self.r.case(cid)["state"], "assigned")

    def test_action_unknown_case(self):
        cmd = action(self.intake, "", "B03", "ACTION_ACCEPT", "s04")
        self.assertEqual(self.w.result(cmd)["status"], 404)
        cmd = action(self.intake, "X" * 300, "B03", "ACTION_ACCEPT", "s04")
        self.assertEqual(self.w.result(cmd)["status"], 404)

    def test_action_without_command_id(self):
        # answered all the same, under the envelope's correlation id
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03")
        corr = new_command_id()
        self.intake.emit("STAFF_ACTION_REQUESTED", key="B03", case_id=cid, correlation_id=corr,
                         payload={"case_id": cid, "action": "ACTION_ACCEPT",
                                  "actor": actor("s04")})
        self.assertEqual(self.w.result(corr)["status"], 200)

    def test_feedback_bad_rating(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03")
        self.assertEqual(self.w.result(action(self.intake, cid, "B03", "ACTION_ACCEPT", "s04"))
                         ["status"], 200)
        self.assertEqual(self.w.result(action(self.intake, cid, "B03", "ACTION_RESOLVE", "s04",
                                              result="ok"))["status"], 200)
        for rating in (0, 6):
            cmd = new_command_id()
            feedback(self.intake, cid, "B03", rating, command_id=cmd)
            res = self.w.result(cmd)
            self.assertEqual((res["status"], res["code"]), (409, "bad_rating"))
        self.assertEqual(self.r.case(cid)["state"], "resolved")

    def test_feedback_unknown_case(self):
        cmd = new_command_id()
        feedback(self.intake, new_case_id(), "B03", 5, command_id=cmd)
        self.assertEqual(self.w.result(cmd)["status"], 404)
        before = self.ignored()
        feedback(self.intake, new_case_id(), "B03", 5)  # no command: only logged
        self.still_works()
        wait_until(lambda: self.ignored() > before, what="ignored")

    def test_visit_unknown_staff(self):
        before = self.ignored()
        visit(self.intake, "V-bad-1", "s404")
        self.still_works()
        wait_until(lambda: self.ignored() > before, what="ignored")

    def test_visit_without_id(self):
        before = self.ignored()
        visit(self.intake, "", "s02")
        self.still_works()
        wait_until(lambda: self.ignored() > before, what="ignored")

    def test_events_of_other_services_skipped(self):
        n = len(self.w.all())
        self.intake.emit("CONTACT_VIEWED", key="B03", case_id="C1",
                         payload={"case_id": "C1", "reason": "回访"})
        self.intake.emit("SPAM_HELD", key="B03", payload={"hold_id": "H1", "rule": "ads"})
        self.intake.emit("DISCLOSURE_SUBMITTED", key="R1", payload={"record_id": "R1",
                                                                      "version": 1})
        self.still_works()
        # only the still_works petition's CASE_ASSIGNED was added
        self.assertEqual(len(self.w.all()), n + 1)


if __name__ == "__main__":
    unittest.main()
