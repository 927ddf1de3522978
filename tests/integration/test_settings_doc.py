"""docs/SETTINGS.md is what the binaries check against.

Each service prints its settings table with --settings; the reference in
docs/SETTINGS.md is generated from those tables (make settings-doc). These
tests fail when the two differ, and check that the table printed is the one
the service enforces: a setting it lists is accepted by --check-config, a
value beyond the bound it lists is refused with file, line and setting.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

from tests.harness.qf import BUILD, ROOT, binary, sanitizer_env

SERVICES = ["qf-intake", "qf-router", "qf-notifier", "qf-disclosure", "qf-audit"]


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60,
                          env=sanitizer_env(dict(os.environ)), cwd=ROOT)


class SettingsDocTest(unittest.TestCase):
    def test_reference_matches_the_binaries(self):
        r = run([sys.executable, os.path.join(ROOT, "tools", "gen-settings.py"), BUILD,
                 "--check"])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_every_service_lists_its_settings(self):
        for svc in SERVICES:
            r = run([binary(svc), "--settings"])
            self.assertEqual(r.returncode, 0, r.stderr)
            rows = [l for l in r.stdout.splitlines() if l.startswith("| `")]
            self.assertGreater(len(rows), 20, svc)
            names = [re.match(r"\| `([^`]+)`", l).group(1) for l in rows]
            self.assertEqual(len(names), len(set(names)), svc)
            for common in ("service.node", "http.port", "bus.pub", "curve.enabled"):
                self.assertIn(common, names, svc)

    def test_listed_bound_is_the_enforced_bound(self):
        # http.port is listed as 0 to 65535: one above is refused, naming
        # file, line and setting
        r = run([binary("qf-router"), "--settings"])
        row = next(l for l in r.stdout.splitlines() if l.startswith("| `http.port`"))
        hi = int(re.search(r"\| (\d+) to (\d+) \|", row).group(2))
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "router.cfg")
            with open(cfg, "w", encoding="utf-8") as f:
                f.write("# a comment\nhttp = { port = %d; };\n" % (hi + 1))
            r = run([binary("qf-router"), "--config", cfg, "--check-config"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("%s:2" % cfg, r.stderr)
        self.assertIn("http.port", r.stderr)


if __name__ == "__main__":
    unittest.main()
