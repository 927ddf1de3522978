"""The whole system, as `make run` starts it: the five services with the
repository's default configuration files (config/*.cfg), moved onto free
ports and a fresh data folder, beside a real SMTP server and a real HTTP
receiver at the addresses the notifier's default channels use.

One petition goes its whole way: submitted through intake, assigned by the
router to the building head, followed by the resident, shown masked on the
public board, handled by staff (with a 409 for what the rules forbid), rated,
closed; the resident and the handler are told; every event is in the audit
log, which verifies. Then every service stops on SIGTERM within 2 s.
"""
import json
import os
import signal
import time
import unittest

from tests.harness.qf import SLOW, Cluster, binary, wait_until
from tests.harness.system import NAME, PHONE, System

class SystemTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("system")
        self.addCleanup(self.c.close)
        self.s = System(self.c)
        self.addCleanup(self.s.stop)
        self.intake = self.s.procs["intake"]

    def act(self, case, token, body):
        return self.intake.json("POST", "/v1/cases/%s/actions" % case, body,
                                {"Authorization": "Bearer " + token})

    def test_a_petition_all_the_way(self):
        st, r = self.intake.json("POST", "/v1/petitions", {
            "category": "facility_repair", "building": "B03", "address": "3栋2单元楼道",
            "description": "3栋2单元楼道的声控灯坏了一个星期，晚上上下楼很不方便。",
            "name": NAME, "phone": PHONE, "channel": "app", "anonymous": False,
            "consent_public": True})
        self.assertEqual(st, 201, r)
        case, code, secret = r["case_id"], r["tracking_code"], r["secret"]
        follow = {"X-Tracking-Secret": secret}

        # assigned at once to the building head, visible to the resident
        def view():
            st, v = self.intake.json("GET", "/v1/track/" + code, headers=follow)
            return v if st == 200 and v.get("status") == "assigned" else None
        v = wait_until(view, timeout=10, what="the case assigned")
        self.assertEqual(v["handler"]["name"], "李建国")
        self.assertTrue(v["deadlines"]["resolve_due_at"])

        # on the public board, masked
        board = self.s.procs["disclosure"]
        items = wait_until(lambda: board.json("GET", "/v1/public/cases")[1]["items"],
                           timeout=10, what="the case on the public board")
        self.assertEqual(items[0]["id"], case)

        # staff handle it; the rules refuse what they forbid
        for token, body in (("qf-dev-s04", {"action": "accept"}),
                            ("qf-dev-s04", {"action": "progress", "cause": "声控开关老化",
                                            "progress": "已购买新开关", "result": "待安装"})):
            st, a = self.act(case, token, body)
            self.assertEqual(st, 200, a)
        st, a = self.act(case, "qf-dev-s05", {"action": "transfer", "target_staff": "s06",
                                              "reason": "不是我负责的楼"})
        # s05 neither handles the case nor heads its building: to s05 the
        # case does not exist (the access policy answers 404, never 403)
        self.assertEqual((st, a["code"]), (404, "not_found"), a)
        st, a = self.act(case, "qf-dev-s04", {"action": "resolve", "result": "已更换声控开关"})
        self.assertEqual(st, 200, a)
        st, a = self.act(case, "qf-dev-s04", {"action": "progress", "progress": "补充说明"})
        self.assertEqual((st, a["code"]), (409, "state_forbids"), a)  # already resolved
        st, fb = self.intake.json("POST", "/v1/track/%s/feedback" % code,
                                  {"rating": 5, "comment": "很快就修好了"}, follow)
        self.assertEqual(st, 200, fb)
        v = wait_until(lambda: (lambda x: x if x.get("status") == "closed" else None)(
            self.intake.json("GET", "/v1/track/" + code, headers=follow)[1]), timeout=10,
            what="the case closed")
        events = [t["event"] for t in v["timeline"]]
        for e in ("submitted", "assigned", "accepted", "progress", "resolved", "closed"):
            self.assertIn(e, events)

        # the public outputs never show the resident's name or phone
        for path in ("/v1/public/cases", "/v1/public/cases/" + case, "/cases/" + case,
                     "/", "/feeds/cases.atom", "/export/cases.csv"):
            st, _, body = board.request("GET", path)
            if st == 404:
                continue
            text = body.decode("utf-8", "replace")
            self.assertNotIn(NAME, text, path)
            self.assertNotIn(PHONE, text, path)

        # the resident and the handler were told, through real servers
        wait_until(lambda: [r for r in self.s.rx.requests() if PHONE in json.dumps(
            r, ensure_ascii=False, default=str)], timeout=15, what="a message to the resident")
        wait_until(lambda: self.s.smtp.mails() or self.s.rx.requests(), timeout=15,
                   what="a message to the handler")
        self.assertEqual(self.s.rx.problems(), [])

        # every event is in the audit log, and it verifies
        audit = "http://127.0.0.1:%d" % self.s.port[8084]
        vkey = [f for f in os.listdir(self.c.path("var", "audit", "x")[:-2])
                if f.endswith(".vkey")][0]
        vkey = self.c.path("var", "audit", vkey)
        self.s.procs["audit"].request("POST", "/v1/checkpoint",
                                      headers={"Authorization": "Bearer qf-dev-s01"})
        r = self.c.run([binary("qfctl"), "audit", "verify", "--url", audit, "--vkey", vkey,
                        "--state", self.c.path("audit-state")])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.c.run([binary("qfctl"), "audit", "case", "--url", audit, "--vkey", vkey, case])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for word in ("派单", "受理", "办结", "结案"):
            self.assertIn(word, r.stdout)

        # SIGTERM: every service finishes and exits within 2 s
        for name, p in self.s.procs.items():
            t0 = time.time()
            p.signal(signal.SIGTERM)
            rc = p.wait(timeout=2 / SLOW * (2 if SLOW > 1 else 1))
            self.assertEqual(rc, 0, "%s exited %s\n%s" % (name, rc, p.output()[-2000:]))
            self.assertLess(time.time() - t0, 2.0 * SLOW, name)


if __name__ == "__main__":
    unittest.main()
