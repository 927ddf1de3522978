"""audit's irregularity alerts: AUDIT_ALERT events (and /v1/alerts) for a case
closed without feedback, too many transfers, action on an integrity report
by the staff member it concerns, a contact viewed by someone not handling the
case, a gap replay cannot heal, and a producer's new incarnation. Each rule
is also shown not to fire on the regular case next to it.

Absence is asserted without sleeping: a later "marker" irregularity is raised
and awaited first; alerts are raised in log order, so once the marker is
there, an alert for an earlier event would be too.
"""
import json
import os
import shutil
import unittest

from tests.harness.qf import Cluster, Emitter, free_port
from tests.harness.svc_audit import Audit, EmitterAt, Source
from tests.harness.svc_router import new_case_id, new_command_id, now_ms


class AuditAlertsTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("audit-alerts")
        self.addCleanup(self.c.close)
        self.intake = Emitter(self.c, "intake")
        self.router = Emitter(self.c, "router")

    def audit(self, **alerts):
        alerts.setdefault("max_transfers", 2)
        return Audit(self.c, [self.intake, self.router], alerts=alerts)

    def tr(self, etype, cid, b="B01", **p):
        p.update({"case_id": cid, "building": b})
        p.setdefault("at_ms", now_ms())
        return self.router.emit(etype, key=b, case_id=cid, payload=p)

    def petition(self, cid, b="B01", **p):
        p.update({"case_id": cid, "building": b, "category": p.get("category", "facility_repair")})
        return self.intake.emit("PETITION_SUBMITTED", key=b, case_id=cid, payload=p)

    def view(self, cid, staff, role="building_head", b="B01", at=None):
        return self.intake.emit("CONTACT_VIEWED", key=b, case_id=cid,
                                payload={"case_id": cid, "actor": {"staff_id": staff, "role": role},
                                         "reason": "回访", "viewed_ms": at or now_ms()})

    def whole_alerts(self, a, n):
        """The first n AUDIT_ALERT events of audit's own (internal) stream,
        whole: what the people who must act on them receive."""
        r = a.qfctl("watch", "--from-start", "--json", "--type", "AUDIT_ALERT", "--count",
                    str(n), "--timeout", "20", "%s,%s" % (a.pub, a.replay))
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(l)["payload"] for l in r.stdout.splitlines()]

    def marker(self, a, n_before):
        """Raise one closed-without-feedback alert and wait for it."""
        cid = new_case_id()
        self.tr("CASE_CLOSED", cid, closed_without_feedback=True, assignee="s04")
        got = a.wait_alerts(n_before + 1)
        self.assertEqual(got[-1]["case_id"], cid)
        return got[:-1]

    def test_closed_without_feedback(self):
        a = self.audit()
        ok, bad = new_case_id(), new_case_id()
        self.tr("CASE_CLOSED", ok, assignee="s04", rating=5)  # closed after feedback
        self.tr("CASE_CLOSED", bad, "B06", closed_without_feedback=True, assignee="s05")
        al = a.wait_alerts(1)
        self.assertEqual(len(al), 1)
        self.assertEqual(al[0]["kind"], "closed_without_feedback")
        self.assertEqual(al[0]["case_id"], bad)
        self.assertEqual(al[0]["staff_id"], "s05")
        self.assertIn("未经诉求人回访", al[0]["detail"])
        st, leaf = a.json("/v1/leaves/%d" % al[0]["leaf_index"])
        self.assertEqual((leaf["case_id"], leaf["type"]), (bad, "CASE_CLOSED"))
        # also an AUDIT_ALERT event on audit's own stream (for dashboards)
        r = a.qfctl("watch", "--from-start", "--json", "--type", "AUDIT_ALERT", "--count", "1",
                    "--timeout", "20", "%s,%s" % (a.pub, a.replay))
        self.assertEqual(r.returncode, 0, r.stderr)
        ev = json.loads(r.stdout.splitlines()[0])
        self.assertEqual(ev["case_id"], bad)
        self.assertEqual(ev["partition_key"], "audit")
        self.assertEqual(ev["payload"]["kind"], "ALERT_CLOSED_WITHOUT_FEEDBACK")
        # filters
        self.assertEqual(a.alerts(kind="too_many_transfers"), [])
        self.assertEqual(len(a.alerts(case=bad)), 1)
        self.assertEqual(a.alerts(case=ok), [])

    def test_too_many_transfers_once_per_case(self):
        a = self.audit()  # max_transfers = 2
        cid, fine = new_case_id(), new_case_id()
        for n in (1, 2):
            self.tr("CASE_TRANSFERRED", fine, assignee="s0%d" % (n + 3), transfer_count=n)
        # a router that does not count: audit counts itself
        for n in range(4):
            self.tr("CASE_TRANSFERRED", cid, assignee="s0%d" % (n % 3 + 4))
        al = a.wait_alerts(1, kind="too_many_transfers")
        self.assertEqual(al[0]["case_id"], cid)
        self.assertIn("3 次", al[0]["detail"])
        before = self.marker(a, len(a.alerts()))
        self.assertEqual([x["case_id"] for x in before if x["kind"] == "too_many_transfers"],
                         [cid])

    def test_self_judging_on_integrity_report(self):
        a = self.audit()
        cid = new_case_id()
        self.petition(cid, category="integrity_report", concerns_staff="s04",
                      description="楼长收取好处费")
        self.tr("CASE_ASSIGNED", cid, assignee="s02", concerns_staff="s04")
        # the supervisor handles it: regular
        k0 = new_command_id()
        self.intake.emit("STAFF_ACTION_REQUESTED", key="B01", case_id=cid, correlation_id=k0,
                         payload={"command_id": k0, "case_id": cid, "action": "ACTION_ACCEPT",
                                  "actor": {"staff_id": "s02", "role": "supervisor"}})
        # the reported staff member tries to act on it
        k1 = new_command_id()
        self.intake.emit("STAFF_ACTION_REQUESTED", key="B01", case_id=cid, correlation_id=k1,
                         payload={"command_id": k1, "case_id": cid, "action": "ACTION_REJECT",
                                  "actor": {"staff_id": "s04", "role": "building_head"}})
        al = a.wait_alerts(1, kind="self_judging")
        # in public (/v1/alerts) an alert about an integrity report names
        # nobody; the whole alert goes to those who act on it (internal bus)
        self.assertEqual((al[0]["case_id"], al[0]["staff_id"], al[0]["detail"]),
                         (cid, "", ""))
        whole = self.whole_alerts(a, 1)[0]
        self.assertEqual((whole["case_id"], whole["staff_id"]), (cid, "s04"))
        self.assertIn("ACTION_REJECT", whole["detail"])
        # the router's transition for that same command is the same act
        self.tr("CASE_REJECTED", cid, command_id=k1, actor={"staff_id": "s04"},
                assignee="s02")
        # ... but a separate act, and reading the reporter's contact, are new
        self.tr("CASE_PROGRESS", cid, actor={"staff_id": "s04"}, assignee="s02",
                progress="已核实无此事")
        self.view(cid, "s04")
        # and the case handed to the person it concerns
        self.tr("CASE_TRANSFERRED", cid, assignee="s04", previous_assignee="s02")
        al = a.wait_alerts(4, kind="self_judging")
        self.assertEqual(len(al), 4)
        before = self.marker(a, len(a.alerts()))
        self.assertEqual(len([x for x in before if x["kind"] == "self_judging"]), 4)
        whole = [x for x in self.whole_alerts(a, len(before) + 1)
                 if x["kind"] == "ALERT_SELF_JUDGING"]
        self.assertEqual(len(whole), 4)
        details = " ".join(x["detail"] for x in whole)
        self.assertIn("CASE_PROGRESS", details)
        self.assertIn("联系方式", details)
        self.assertIn("指派给了其本人", details)
        self.assertEqual([x for x in whole if x["staff_id"] == "s02"], [])

    def test_contact_view_by_someone_not_handling_the_case(self):
        a = self.audit(contact_view_roles="supervisor", contact_view_grace_s=2)
        t0 = now_ms() - 60000
        cid = new_case_id()
        self.petition(cid, "B05", entered_by={"staff_id": "s07", "role": "staff"})
        self.tr("CASE_ASSIGNED", cid, "B05", assignee="s05", at_ms=t0)
        self.tr("CASE_ACCEPTED", cid, "B05", assignee="s05", owner="s05", at_ms=t0 + 1000)
        self.view(cid, "s05", b="B05")                       # the handler
        self.view(cid, "s07", role="staff", b="B05")         # entered it at the counter
        self.view(cid, "s02", role="supervisor", b="B05")    # an allowed role
        self.view(cid, "s06", b="B05")                       # nobody asked s06
        al = a.wait_alerts(1, kind="contact_view")
        self.assertEqual((al[0]["case_id"], al[0]["staff_id"]), (cid, "s06"))
        self.assertIn("s06", al[0]["detail"])
        # handler at the time of the view: s08 viewed before the transfer to
        # him reached audit (router lagging), after it happened
        late = new_case_id()
        self.view(late, "s08", b="B07", at=now_ms())
        self.tr("CASE_TRANSFERRED", late, "B07", assignee="s08", at_ms=now_ms() - 500)
        # a view before the handler got the case is still irregular
        early = new_case_id()
        self.tr("CASE_ASSIGNED", early, "B09", assignee="s06", at_ms=now_ms())
        self.view(early, "s06", b="B09", at=now_ms() - 3600 * 1000)
        al = a.wait_alerts(2, kind="contact_view")
        self.assertEqual(al[1]["case_id"], early)
        before = self.marker(a, len(a.alerts()))
        self.assertEqual([x["case_id"] for x in before if x["kind"] == "contact_view"],
                         [cid, early])

    def test_contact_view_judged_while_a_producer_is_down(self):
        # the notifier is not running: the consumer never catches up, yet a
        # view is judged after contact_view_max_wait_s with what is known
        down = Source("notifier", "tcp://127.0.0.1:%d" % free_port(),
                      "tcp://127.0.0.1:%d" % free_port())
        a = Audit(self.c, [self.intake, self.router, down],
                  alerts={"contact_view_max_wait_s": 2})
        cid = new_case_id()
        self.tr("CASE_ASSIGNED", cid, "B05", assignee="s05", at_ms=now_ms() - 1000)
        self.view(cid, "s05", b="B05")
        self.view(cid, "s03", role="staff", b="B05")
        al = a.wait_alerts(1, kind="contact_view")
        self.assertEqual((al[0]["case_id"], al[0]["staff_id"]), (cid, "s03"))
        st, _, _ = a.proc.request("GET", "/readyz")
        self.assertEqual(st, 503)

    def test_new_incarnation_of_a_producer(self):
        a = self.audit()
        self.tr("CASE_ASSIGNED", new_case_id(), assignee="s04")
        a.wait_size(1)
        pub, replay = self.router.pub, self.router.replay
        self.router.stop()
        # the router's store is wiped and it comes back on the same ports
        again = EmitterAt(self.c, "router", pub, replay, self.c.path("router-wiped", "store"))
        self.router = again
        self.tr("CASE_ASSIGNED", new_case_id(), assignee="s05")
        al = a.wait_alerts(1, kind="new_incarnation")
        self.assertEqual(al[0]["producer"], "router")
        self.assertIn("纪元", al[0]["detail"])
        a.wait_size(2)
        # the new stream starts at seq 1 again: both are complete, apart
        st, s = a.json("/v1/streams")
        router = [x for x in s["streams"] if x["producer"] == "router"]
        self.assertEqual(len({x["epoch"] for x in router}), 2)
        self.assertTrue(all(x["complete"] for x in router))
        r = a.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_gap_that_replay_cannot_heal(self):
        # three events audit never hears live, and a replay port nobody serves
        for _ in range(3):
            self.tr("CASE_PROGRESS", new_case_id(), progress="x")
        dead = Source("router", self.router.pub, "tcp://127.0.0.1:%d" % free_port())
        a = Audit(self.c, [dead], wait=False)
        a.proc.wait_ready(path="/healthz")
        al = a.wait_alerts(1, kind="stream_gap", timeout=30)
        self.assertEqual(al[0]["producer"], "router")
        self.assertIn("未能通过重放补齐", al[0]["detail"])
        st, _ = a.json("/v1/log")
        self.assertEqual(a.size(), 0)  # nothing logged out of order
        st, _, _ = a.proc.request("GET", "/readyz")
        self.assertEqual(st, 503)

    def test_catching_up_by_replay_is_not_an_alert(self):
        a = self.audit()
        a.stop()
        # while audit is down: it must replay all of these on start
        for _ in range(50):
            self.tr("CASE_PROGRESS", new_case_id(), progress="y")
        a.start()
        a.wait_size(50)
        before = self.marker(a, 0)
        self.assertEqual(before, [])


if __name__ == "__main__":
    unittest.main()
