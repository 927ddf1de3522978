"""The bus never crosses the network in clear by accident: a service whose
bus endpoints (its own or a source's) leave loopback while CURVE is off
refuses to start, naming the setting; the explicit opt-out
bus.allow_plaintext starts it and says so in the log once a minute."""
import os
import shutil
import subprocess
import time
import unittest

from tests.harness.qf import ROOT, Cluster, binary, free_port, sanitizer_env

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


if __name__ == "__main__":
    unittest.main()
