"""Every program answers -h/--help on stdout with status 0, --version with
the release and event catalogue, and an unknown option with status 2 and a
message on stderr (issue 17's convention); so does every qfctl command."""
import subprocess
import unittest

from tests.harness.qf import binary

SERVICES = ["qf-intake", "qf-router", "qf-notifier", "qf-disclosure", "qf-audit"]
QFCTL = ["watch", "store", "keygen", "health", "audit", "notify", "policy"]


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


class CliTest(unittest.TestCase):
    def test_services(self):
        for exe in SERVICES:
            with self.subTest(exe=exe):
                for flag in ("-h", "--help"):
                    r = run([binary(exe), flag])
                    self.assertEqual((r.returncode, r.stderr), (0, ""), flag)
                    self.assertIn("usage: %s" % exe, r.stdout)
                    self.assertIn("--config", r.stdout)
                r = run([binary(exe), "--version"])
                self.assertEqual(r.returncode, 0)
                self.assertRegex(r.stdout, r"^%s \(qingfeng\) \d+\.\d+\.\d+, event catalogue v\d+\n$"
                                 % exe)
                r = run([binary(exe), "--no-such-option"])
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertTrue(r.stderr.strip())

    def test_qfctl(self):
        r = run([binary("qfctl"), "--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^qfctl \(qingfeng\) \d+\.\d+\.\d+, event catalogue v\d+\n$")
        r = run([binary("qfctl"), "--help"])
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        for cmd in QFCTL:
            self.assertIn(cmd, r.stdout)
            with self.subTest(cmd=cmd):
                r2 = run([binary("qfctl"), cmd, "--help"])
                self.assertEqual((r2.returncode, r2.stderr), (0, ""), r2.stdout)
                self.assertIn("usage", r2.stdout.lower())
        r = run([binary("qfctl"), "no-such-command"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command", r.stderr)


if __name__ == "__main__":
    unittest.main()
