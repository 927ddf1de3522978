"""The access matrix, generated from the policy table: every route of every
service (as it lists itself with --routes) x every role with a staff member
in the community file, plus no token, x {the caller's own case, another
building's case, an integrity report concerning the caller, a report
concerning someone the caller supervises}. The expected answer of each cell
is computed by an independent model of the policy (tests/harness/policy.py)
from the community file; the services' answers must agree: 401, 403 and 404
exactly, and for allowed cells never one of those denials. A route whose
action is not in the catalogue fails the test.

Cells are counted and the count printed (the closing note quotes it)."""
import http.client
import json
import os
import re
import subprocess
import sys
import unittest

from tests.harness.policy import Case, Policy
from tests.harness.qf import CONFIG, Cluster, binary, wait_until
from tests.harness.system import SERVICES, System

# a staff member per role, and whom they supervise (config/community.cfg)
REPS = {"secretary": "s01", "supervisor": "s02", "staff": "s03", "building_head": "s04"}
VALUES = {"code": "LSJ-NOSUCH", "sha": "0" * 64, "fmt": "json", "index": "0",
          "quarter": "2026Q3", "kind": "ledger_quarter", "key": "2026Q3", "rest": "0",
          "id": "x"}


def catalogue():
    out = subprocess.run([binary("qfctl"), "policy", "--community",
                          os.path.join(CONFIG, "community.cfg")],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return set(re.findall(r"^\| `([a-z.]+)` \|", out, re.M))


class AccessMatrixTest(unittest.TestCase):
    def test_matrix(self):
        pol = Policy.load(os.path.join(CONFIG, "community.cfg"))
        actions = catalogue()
        with Cluster("access-matrix") as c:
            s = System(c)
            self.addCleanup(s.stop)
            intake = s.procs["intake"]
            cases = self.make_cases(intake)
            cells = denied = 0
            failures = []
            for name, exe, _ in SERVICES:
                print("[access matrix] %s ..." % name, file=sys.stderr, flush=True)
                routes = [json.loads(l) for l in subprocess.run(
                    [binary(exe), "--routes"], capture_output=True, text=True, check=True,
                    timeout=30).stdout.splitlines()]
                self.assertTrue(routes, name)
                for r in routes:
                    if r["action"] not in actions:
                        failures.append("%s %s %s names no action of the policy" %
                                        (name, r["method"], r["pattern"]))
                        continue
                    situations = cases if r["subject"] else {"-": None}
                    for who in [None] + sorted(REPS):
                        staff = REPS.get(who)
                        for sit, case in situations.items():
                            want = pol.decide(staff, r["action"],
                                              case[1] if case else None)
                            st, code = self.ask(s.procs[name], r, staff, case)
                            cells += 1
                            # allowed: none of the policy's denials (a handler's
                            # own 403, e.g. a follow's bad token, is not one)
                            ok = (st == want) if want != "allow" else not (
                                (st == 401 and code in ("missing_token", "invalid_token")) or
                                (st == 403 and code == "forbidden_role") or
                                (r["subject"] and st == 404 and code == "not_found"))
                            if want != "allow":
                                denied += 1
                            if not ok:
                                failures.append("%s %s %s as %s on %s: got %s %s, want %s" % (
                                    name, r["method"], r["pattern"], who or "nobody", sit, st,
                                    code, want))
            # dispatch may have been paused by the secretary's cell: resume
            s.procs["notifier"].json("POST", "/v1/dispatch/resume",
                                     headers={"Authorization": "Bearer qf-dev-s01"})
            print("\n[access matrix] %d cells (%d denials) over %d services, %d roles, %d case "
                  "situations" % (cells, denied, len(SERVICES), len(REPS), len(cases)))
            self.assertFalse(failures, "\n".join(failures[:40]))
            self.assertGreater(cells, 500)

    def ask(self, proc, route, staff, case):
        """(status, problem code) of one cell; the answer's head is enough
        (an event stream never ends), read within a few seconds."""
        path = route["pattern"]
        for m in re.finditer(r":([A-Za-z0-9_]+)", route["pattern"]):
            v = case[0] if route["subject"] == m.group(1) else VALUES.get(m.group(1), "x")
            path = path.replace(":" + m.group(1), v, 1)
        path = path.replace("*", VALUES["rest"])
        headers = {"Authorization": "Bearer qf-dev-" + staff} if staff else {}
        body = None
        if route["method"] == "POST":
            body = {}
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", proc.http_port, timeout=8)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(route["method"], path, body=data, headers=headers)
            resp = conn.getresponse()
            st = resp.status
            code = None
            if "json" in (resp.getheader("Content-Type") or ""):
                try:
                    code = json.loads(resp.read(65536)).get("code")
                except (ValueError, AttributeError):
                    pass
            return st, code
        except OSError as e:
            return "no answer (%s)" % e, None
        finally:
            conn.close()

    def make_cases(self, intake):
        """Cases for the situations, with the facts the policy needs: the
        router assigns them; facts are read back as the supervisor sees
        them (or the secretary, for a report about the supervisor)."""
        def submit(**kw):
            body = {"category": "facility_repair", "building": "B01", "address": "1栋1单元",
                    "description": "楼道灯坏了", "channel": "app", "anonymous": True,
                    "consent_public": False}
            body.update(kw)
            st, ans = intake.json("POST", "/v1/petitions", body)
            self.assertEqual(st, 201, ans)
            return ans["case_id"]

        wanted = {
            "own:s04": submit(building="B01"),
            "other-building": submit(building="B05"),
            "about:s04": submit(category="integrity_report", concerns_staff="s04"),
            "about:s03": submit(category="integrity_report", concerns_staff="s03"),
            "about:s02": submit(category="integrity_report", concerns_staff="s02"),
            "about:s01": submit(category="integrity_report", concerns_staff="s01"),
        }
        out = {}
        for sit, cid in wanted.items():
            def facts():
                for tok in ("qf-dev-s02", "qf-dev-s01"):
                    st, v = intake.json("GET", "/v1/cases/" + cid,
                                        headers={"Authorization": "Bearer " + tok})
                    if st == 200 and v.get("assignee"):
                        return v
                return None
            v = wait_until(facts, timeout=20, what="case %s assigned" % sit)
            sensitive = v.get("category") == "integrity_report"
            out[sit] = (cid, Case(building=v.get("building", ""), assignee=v["assignee"],
                                  owner=v.get("owner", ""), concerns=v.get("concerns_staff", ""),
                                  sensitive=sensitive))
        return out


if __name__ == "__main__":
    unittest.main()
