"""test_router_basic: the thin slice end to end: the binary checks its
configuration, serves health, turns a petition into CASE_ASSIGNED for the
right person, answers staff actions with ACTION_RESULT, and shows the case
with its timeline to staff."""
import pathlib
import os
import signal
import unittest

from tests.harness.qf import Cluster, binary, wait_until
from tests.harness.svc_router import (action, new_case_id, petition, router_config,
                                      start)


class RouterBasic(unittest.TestCase):
    def test_check_config(self):
        with Cluster("router-cfg") as c:
            path, _, _, _ = router_config(c, [])
            r = c.run([binary("qf-router"), "--config", path, "--check-config"])
            self.assertEqual(r.returncode, 0, r.stderr)
            bad = c.write("bad.cfg", 'router = { warn_permille = [800, 500]; colour = 1; };\n'
                          'hotspot = { count = 1; };\nbus = { instance = 2; };\n')
            r = c.run([binary("qf-router"), "--config", bad, "--check-config"])
            self.assertEqual(r.returncode, 1)
            for want in ("bad.cfg:1: setting 'router.warn_permille[1]'",
                         "setting 'router.colour': unknown setting",
                         "bad.cfg:2: setting 'hotspot.count'",
                         "setting 'bus.instance'"):
                self.assertIn(want, r.stderr)

    def test_default_config_checks(self):
        with Cluster("router-cfg") as c:
            r = c.run([binary("qf-router"), "--config", "%s/config/router.cfg" %
                       __import__("tests.harness.qf", fromlist=["ROOT"]).ROOT,
                       "--check-config"])
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_petition_to_accept(self):
        with Cluster("router-basic") as c:
            intake, r, w = start(c)
            st, _ = r.get("/healthz", token=None)
            self.assertEqual(st, 200)
            cid = new_case_id()
            petition(intake, cid, "facility_repair", "B03")
            a = w.wait_for("CASE_ASSIGNED", cid)[0]
            self.assertEqual(a["assignee"], "s04")        # head of B01-B04
            self.assertEqual(a["assignee_name"], "李建国")
            self.assertEqual(a["from_state"], "STATE_SUBMITTED")
            self.assertEqual(a["to_state"], "STATE_ASSIGNED")
            self.assertEqual(a["category"], "facility_repair")
            self.assertEqual(a["respond_due_ms"] - a["submitted_ms"], 24 * 3600 * 1000)
            self.assertEqual(a["resolve_due_ms"] - a["submitted_ms"], 72 * 3600 * 1000)
            self.assertEqual(a["actor"]["role"], "system")
            cmd = action(intake, cid, "B03", "ACTION_ACCEPT", "s04")
            res = w.result(cmd)
            self.assertEqual(res["status"], 200)
            self.assertTrue(res["ok"])
            self.assertEqual(res["state"], "STATE_ACCEPTED")
            acc = w.wait_for("CASE_ACCEPTED", cid)[0]
            self.assertEqual(acc["owner"], "s04")
            self.assertEqual(acc["command_id"], cmd)
            self.assertEqual(acc["actor"]["staff_id"], "s04")
            ev = [e for e in w.all("ACTION_RESULT") if e["payload"]["command_id"] == cmd][0]
            self.assertEqual(ev["correlation_id"], cmd)
            self.assertEqual(ev["case_id"], cid)
            detail = r.case(cid)
            self.assertEqual(detail["state"], "accepted")
            self.assertEqual(detail["owner"]["id"], "s04")
            types = [e["type"] for e in detail["timeline"]]
            self.assertEqual(types, ["PETITION_SUBMITTED", "CASE_ASSIGNED", "CASE_ACCEPTED"])
            # what the router keeps of the petition: no sealed contact
            self.assertNotIn("contact", detail["timeline"][0]["event"])
            self.assertEqual(detail["timeline"][0]["event"]["description"],
                             "楼道灯坏了，晚上看不见路。")

    def test_reload_community(self):
        with Cluster("router-reload") as c:
            intake, r, w = start(c)
            path = os.path.join(c.dir, "community.cfg")
            text = pathlib.Path(path).read_text(encoding="utf-8")
            old = '{ id = "B03"; name = "3栋"; head = "s04";'
            self.assertIn(old, text)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace(old, '{ id = "B03"; name = "3栋"; head = "s05";'))
            r.proc.signal(signal.SIGHUP)
            wait_until(lambda: "event=reloaded" in r.output(), what="reload")
            cid = new_case_id()
            petition(intake, cid, "facility_repair", "B03")
            self.assertEqual(w.wait_for("CASE_ASSIGNED", cid)[0]["assignee"], "s05")
            # a broken file is refused; the router goes on with the last good one
            with open(path, "w", encoding="utf-8") as f:
                f.write("categories = ( oops")
            r.proc.signal(signal.SIGHUP)
            wait_until(lambda: "event=reload_failed" in r.output(), what="refused reload")
            cid = new_case_id()
            petition(intake, cid, "facility_repair", "B03")
            self.assertEqual(w.wait_for("CASE_ASSIGNED", cid)[0]["assignee"], "s05")
            st, _ = r.get("/v1/me", token="qf-dev-s05")
            self.assertEqual(st, 200)


if __name__ == "__main__":
    unittest.main()
