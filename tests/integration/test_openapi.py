"""Every service publishes its HTTP API as an OpenAPI 3.1 document made
from its route table (GET /openapi.json), and a standard validator
(@seriousme/openapi-schema-validator, pinned in tests/js) accepts all five;
every route the service lists with --routes is in it, with its action of
the access policy."""
import json
import os
import re
import subprocess
import unittest

from tests.harness.qf import ROOT, Cluster, binary
from tests.harness.system import SERVICES, System

VALIDATE = os.path.join(ROOT, "tests", "js", "validate-openapi.mjs")


class OpenApiTest(unittest.TestCase):
    def test_every_service_publishes_a_valid_document(self):
        with Cluster("openapi") as c:
            s = System(c)
            self.addCleanup(s.stop)
            files = []
            for name, exe, _ in SERVICES:
                st, hd, body = s.procs[name].request("GET", "/openapi.json")
                self.assertEqual(st, 200, name)
                self.assertEqual(hd.get("access-control-allow-origin"), "*")
                doc = json.loads(body)
                self.assertEqual(doc["openapi"], "3.1.0")
                self.assertEqual(doc["info"]["title"], "qingfeng " + name)
                routes = [json.loads(l) for l in subprocess.run(
                    [binary(exe), "--routes"], capture_output=True, text=True,
                    check=True, timeout=30).stdout.splitlines()]
                self.assertTrue(routes, name)
                for r in routes:
                    path = re.sub(r":([A-Za-z0-9_]+)", r"{\1}", r["pattern"])
                    path = re.sub(r"\*$", "{rest}", path)
                    op = doc["paths"][path][r["method"].lower()]
                    self.assertEqual(op["x-qingfeng-action"], r["action"], path)
                    self.assertEqual("security" in op, r["action"] != "public", path)
                f = c.path(name + "-openapi.json")
                with open(f, "wb") as out:
                    out.write(body)
                files.append(f)
            r = subprocess.run(["node", VALIDATE] + files, capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(r.stdout.count("valid OpenAPI 3.1"), 5, r.stdout)


if __name__ == "__main__":
    unittest.main()
