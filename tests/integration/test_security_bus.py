"""The bus never crosses the network in clear by accident: a service whose
bus endpoints (its own or a source's) leave loopback while CURVE is off
refuses to start, naming the setting; the explicit opt-out
bus.allow_plaintext starts it and says so in the log once a minute. And a
consumer acts only on the event types each source is granted: the router
takes staff actions from intake, never from another producer."""
import os
import shutil
import subprocess
import time
import unittest

from tests.harness.qf import ROOT, Cluster, Emitter, binary, free_port, sanitizer_env
from tests.harness.svc_router import Router, Watch, action, new_case_id, petition

CONFIG = os.path.join(ROOT, "config")


class PlaintextBusTest(unittest.TestCase):
    def config(self, c, extra_bus):
        for f in ("community.cfg", "staff-tokens.cfg"):
            shutil.copy(os.path.join(CONFIG, f), c.path(f))
        path = c.path("router.cfg")
        with open(path, "w", encoding="utf-8") as f:
            f.write('service = { node = "router"; data_dir = "%s"; community = "community.cfg"; };\n'
                    'http = { port = %d; };\n'
                    'bus = { pub = "tcp://0.0.0.0:%d"; replay = "tcp://127.0.0.1:%d";%s\n'
                    '  sources = ( { name = "intake"; pub = "tcp://10.9.9.9:5551";'
                    ' replay = "tcp://127.0.0.1:5552"; } ); };\n'
                    'router = { tokens = "staff-tokens.cfg"; };\n'
                    % (c.path("data"), free_port(), free_port(), free_port(), extra_bus))
        return path

    def test_refused_without_curve(self):
        with Cluster("sec-plaintext") as c:
            cfg = self.config(c, "")
            r = subprocess.run([binary("qf-router"), "--config", cfg, "--check-config"],
                               capture_output=True, text=True, timeout=30,
                               env=sanitizer_env(dict(os.environ)))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("setting 'bus.pub'", r.stderr)
            self.assertIn("tcp://0.0.0.0:", r.stderr)
            self.assertIn("bus.sources.[0].pub", r.stderr)
            self.assertIn("bus.allow_plaintext", r.stderr)
            self.assertNotIn("bus.replay'", r.stderr)  # loopback is fine
            r = subprocess.run([binary("qf-router"), "--config", cfg], capture_output=True,
                               text=True, timeout=30, env=sanitizer_env(dict(os.environ)))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("curve.enabled is false", r.stderr)

    def test_opt_out_starts_and_warns(self):
        with Cluster("sec-plaintext-ok") as c:
            cfg = self.config(c, " allow_plaintext = true;")
            p = subprocess.Popen([binary("qf-router"), "--config", cfg],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                 env=sanitizer_env(dict(os.environ)))
            try:
                time.sleep(2)
                self.assertIsNone(p.poll(), "the router should be running")
            finally:
                p.terminate()
                _, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, err)
            self.assertIn("event=bus_plaintext", err)


class GrantedStreamsTest(unittest.TestCase):
    def test_staff_actions_only_from_intake(self):
        with Cluster("sec-grants") as c:
            intake = Emitter(c, "intake")
            intake.accepts = ["PETITION_SUBMITTED", "STAFF_ACTION_REQUESTED",
                              "FEEDBACK_GIVEN", "VISIT_RECORDED"]
            rogue = Emitter(c, "notifier")
            rogue.accepts = ["DELIVERY_DELIVERED", "DELIVERY_FAILED"]
            r = Router(c, [intake, rogue])
            w = Watch(c, r)
            cid = new_case_id()
            petition(intake, cid, "facility_repair", "B01")
            w.wait_for("CASE_ASSIGNED", cid)
            # a producer not granted staff actions commands an accept: ignored
            forged = action(rogue, cid, "B01", "ACTION_ACCEPT", "s04")
            real = action(intake, cid, "B01", "ACTION_ACCEPT", "s04")
            self.assertEqual(w.result(real)["status"], 200)
            time.sleep(0.5)
            self.assertFalse([e for e in w.events if e.get("correlation_id") == forged])
            st, _, body = r.proc.request("GET", "/metrics")
            self.assertEqual(st, 200)
            self.assertRegex(body.decode(), r'qf_bus_ungranted_total\{consumer="router"\} 1\b')


if __name__ == "__main__":
    unittest.main()
