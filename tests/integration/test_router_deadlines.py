"""test_router_deadlines: deadlines with the injectable clock: the router is
restarted "hours later" (QF_CLOCK_OFFSET_MS) and must warn at 50%, breach
and escalate along the chain, show the case as overdue, honour approved
extensions, close resolved cases without feedback after the configured days,
and count working hours on the community calendar."""
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_router import (DAY, HOUR, action, new_case_id, now_ms, petition,
                                      start)

CST = 8 * HOUR  # the community's UTC offset


def local_ms(y, mo, d, h, mi=0):
    import calendar
    return calendar.timegm((y, mo, d, h, mi, 0)) * 1000 - CST


class RouterDeadlines(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("router-dl")
        self.addCleanup(self.c.close)
        self.intake, self.r, self.w = start(self.c)

    def later(self, offset_ms):
        self.r.stop()
        self.r.start(clock_offset_ms=offset_ms)

    def test_warn_breach_escalate(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03", submitted_ms=now_ms())
        self.w.wait_for("CASE_ASSIGNED", cid)
        self.assertEqual(self.w.all("DEADLINE_WARNING", cid), [])
        self.later(13 * HOUR)
        w = self.w.wait_for("DEADLINE_WARNING", cid)[0]
        self.assertEqual(w["kind"], "DEADLINE_RESPOND")
        self.assertEqual(w["permille"], 500)
        self.assertFalse(w.get("breached", False))
        self.assertEqual(w["assignee"], "s04")
        st, body = self.r.get("/v1/alerts?kind=warned", token="qf-dev-s04")
        self.assertEqual(st, 200)
        self.assertEqual([i["case_id"] for i in body["items"]], [cid])
        self.later(25 * HOUR)
        b = self.w.wait_for("DEADLINE_WARNING", cid, count=2)[1]
        self.assertTrue(b["breached"])
        self.assertEqual(b["escalated_to"], "s03")
        esc = self.w.wait_for("CASE_ESCALATED", cid)[0]
        self.assertEqual(esc["escalation_role"], "staff")
        self.assertEqual(esc["actor"]["role"], "system")
        # the 80% warning had become stale: not sent
        self.assertEqual(len(self.w.all("DEADLINE_WARNING", cid)), 2)
        st, body = self.r.get("/v1/alerts?kind=overdue", token="qf-dev-s03")
        self.assertEqual(st, 200)
        self.assertEqual([i["case_id"] for i in body["items"]], [cid])
        self.assertTrue(body["items"][0]["overdue"])
        self.assertTrue(body["items"][0]["respond"]["breached"])
        st, body = self.r.get("/v1/alerts?scope=all", token="qf-dev-s01")
        self.assertEqual([i["case_id"] for i in body["items"]], [cid])
        st, body = self.r.get("/v1/alerts?scope=all", token="qf-dev-s04")
        self.assertEqual(st, 403)
        # the first responder can still accept: ownership never moved
        cmd = action(self.intake, cid, "B03", "ACTION_ACCEPT", "s04")
        self.assertEqual(self.w.result(cmd)["status"], 200)

    def test_extension_and_closure(self):
        cid = new_case_id()
        petition(self.intake, cid, "facility_repair", "B03", submitted_ms=now_ms())
        self.assertEqual(self.w.result(action(self.intake, cid, "B03", "ACTION_ACCEPT", "s04"))
                         ["status"], 200)
        cmd = action(self.intake, cid, "B03", "ACTION_EXTEND_REQUEST", "s04",
                     extension_hours=48, reason="等待配件")
        self.assertEqual(self.w.result(cmd)["status"], 200)
        cmd = action(self.intake, cid, "B03", "ACTION_EXTEND_APPROVE", "s01", reason="同意")
        self.assertEqual(self.w.result(cmd)["status"], 200)
        d = self.w.wait_for("EXTENSION_DECIDED", cid)[0]
        self.assertTrue(d["extension_approved"])
        self.assertEqual(d["resolve_due_ms"] - d["submitted_ms"], 120 * HOUR)
        self.later(73 * HOUR)  # past the original 72h, inside the extension
        w = self.w.wait_for("DEADLINE_WARNING", cid)[0]
        self.assertEqual((w["kind"], w["permille"]), ("DEADLINE_RESOLVE", 500))
        self.assertEqual([x for x in self.w.payloads("DEADLINE_WARNING", cid)
                          if x.get("breached")], [])
        self.later(0)
        cmd = action(self.intake, cid, "B03", "ACTION_RESOLVE", "s04", result="已修复")
        self.assertEqual(self.w.result(cmd)["status"], 200)
        self.later(8 * DAY)
        closed = self.w.wait_for("CASE_CLOSED", cid)[0]
        self.assertTrue(closed["closed_without_feedback"])
        self.assertEqual(closed["actor"]["role"], "system")
        self.assertEqual(self.r.case(cid)["state"], "closed")

    def test_working_hours_calendar(self):
        fri = new_case_id()
        petition(self.intake, fri, "policy_inquiry", "B05",
                 submitted_ms=local_ms(2026, 3, 6, 16))
        a = self.w.wait_for("CASE_ASSIGNED", fri)[0]
        self.assertEqual(a["assignee"], "s07")
        # 24 working hours: Fri 1.5h, Mon 7h, Tue 7h, Wed 7h, Thu 1.5h
        self.assertEqual(a["respond_due_ms"], local_ms(2026, 3, 12, 10))
        hol = new_case_id()
        # Good Friday weekend: Monday 2026-04-06 is a holiday in community.cfg
        petition(self.intake, hol, "policy_inquiry", "B05",
                 submitted_ms=local_ms(2026, 4, 3, 16))
        a = self.w.wait_for("CASE_ASSIGNED", hol)[0]
        # Fri 1.5h, (Mon off), Tue..Thu 21h, Fri 1.5h
        self.assertEqual(a["respond_due_ms"], local_ms(2026, 4, 10, 10))
        # a wall-clock category ignores the calendar
        wall = new_case_id()
        petition(self.intake, wall, "facility_repair", "B05", submitted_ms=local_ms(2026, 3, 6, 16))
        a = self.w.wait_for("CASE_ASSIGNED", wall)[0]
        self.assertEqual(a["respond_due_ms"], local_ms(2026, 3, 7, 16))
        detail = self.r.case(fri)
        self.assertEqual(detail["clock"], "working")
        self.assertEqual(detail["respond"]["due"], "2026-03-12T10:00:00+08:00")


if __name__ == "__main__":
    unittest.main()
