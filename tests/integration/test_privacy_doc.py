"""docs/PRIVACY.md's field table is what events.proto says: every field of
every event message with its visibility word (make privacy-doc writes it),
and the build refuses a field without one; docs/SECURITY.md's policy table
is what `qfctl policy` prints of the community file (make security-doc)."""
import os
import subprocess
import tempfile
import unittest

from tests.harness.qf import BUILD, ROOT

AWK = os.path.join(ROOT, "tools", "gen", "visibility.awk")
PROTO = os.path.join(ROOT, "proto", "qingfeng", "v1", "events.proto")


class PrivacyDocTest(unittest.TestCase):
    def test_doc_matches_the_proto(self):
        r = subprocess.run([os.path.join(ROOT, "tools", "gen", "privacy-doc.sh"), "--check"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_security_doc_matches_the_policy(self):
        r = subprocess.run([os.path.join(ROOT, "tools", "gen", "security-doc.sh"), BUILD,
                            "--check"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_every_field_is_listed(self):
        table = subprocess.run(["awk", "-v", "out=md", "-f", AWK, PROTO],
                               capture_output=True, text=True, check=True).stdout
        with open(PROTO, encoding="utf-8") as f:
            fields = [l for l in f if l.startswith("  ") and " = " in l and "// [" in l]
        rows = [l for l in table.splitlines() if l.startswith("| ") and l[2].isdigit()]
        self.assertEqual(len(rows), len(fields))
        self.assertGreater(len(rows), 200)

    def test_a_field_without_visibility_stops_the_build(self):
        with open(PROTO, encoding="utf-8") as f:
            text = f.read()
        bad = text.replace("// [public] open311 api client", "// open311 api client", 1)
        self.assertNotEqual(bad, text)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "events.proto")
            with open(p, "w", encoding="utf-8") as f:
                f.write(bad)
            r = subprocess.run(["awk", "-v", "out=c", "-f", AWK, p],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("events.proto:", r.stderr)
            self.assertIn("PetitionSubmitted.client has no visibility word", r.stderr)


if __name__ == "__main__":
    unittest.main()
