"""test_router_restart: the router killed (SIGKILL) in the middle of cases
and of a burst of events loses nothing and repeats nothing: every petition
is assigned exactly once, every command answered exactly once, and events
sent while it was down are applied after the restart, in order."""
import threading
import unittest

from tests.harness.qf import Cluster, wait_until
from tests.harness.svc_router import action, new_case_id, petition, start


class RouterRestart(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("router-restart")
        self.addCleanup(self.c.close)
        self.intake, self.r, self.w = start(self.c)

    def test_kill_mid_case(self):
        ids = [new_case_id() for _ in range(20)]
        for cid in ids:
            petition(self.intake, cid, "facility_repair", "B05")
        first = [action(self.intake, cid, "B05", "ACTION_ACCEPT", "s05") for cid in ids[:10]]
        for cmd in first:
            self.assertEqual(self.w.result(cmd)["status"], 200)
        self.r.kill()
        # intake keeps working while the router is down
        later = [action(self.intake, cid, "B05", "ACTION_ACCEPT", "s05") for cid in ids[10:]]
        notes = [action(self.intake, cid, "B05", "ACTION_PROGRESS", "s05", progress="已上门查看")
                 for cid in ids[:10]]
        again = [action(self.intake, cid, "B05", "ACTION_ACCEPT", "s05") for cid in ids[:5]]
        self.r.start()
        for cmd in later + notes:
            self.assertEqual(self.w.result(cmd, timeout=20)["status"], 200)
        for cmd in again:
            self.assertEqual(self.w.result(cmd)["status"], 409)
        for cmd in first + later + notes + again:
            self.assertEqual(len(self.w.results(cmd)), 1, cmd)
        for cid in ids:
            self.assertEqual(len(self.w.all("CASE_ASSIGNED", cid)), 1)
            self.assertEqual(len(self.w.all("CASE_ACCEPTED", cid)), 1)
        for cid in ids[:10]:
            self.assertEqual(self.r.case(cid)["state"], "in_progress")
        for cid in ids[10:]:
            self.assertEqual(self.r.case(cid)["state"], "accepted")

    def test_kill_during_burst(self):
        ids = [new_case_id() for _ in range(300)]

        def feed():
            for cid in ids:
                petition(self.intake, cid, "neighbor_dispute", "B09")

        t = threading.Thread(target=feed)
        t.start()
        wait_until(lambda: len(self.w.all("CASE_ASSIGNED")) >= 60, timeout=20,
                   what="some petitions applied")
        self.r.kill()
        t.join()
        self.r.start()
        self.w.wait_for("CASE_ASSIGNED", count=300, timeout=30)
        seen = {}
        for e in self.w.all("CASE_ASSIGNED"):
            seen[e["case_id"]] = seen.get(e["case_id"], 0) + 1
        self.assertEqual(set(seen), set(ids))
        self.assertEqual(set(seen.values()), {1})
        # the router's own stream stayed gapless and in order per partition
        seqs = {}
        for e in self.w.all():
            seqs.setdefault(e["partition"], []).append(e["seq"])
        for p, s in seqs.items():
            self.assertEqual(s, list(range(1, len(s) + 1)), p)
        st, body = self.r.get("/v1/cases?building=B09&limit=200")
        self.assertEqual(st, 200)
        self.assertEqual(body["count"], 200)
        self.assertIsNotNone(body["next_cursor"])


if __name__ == "__main__":
    unittest.main()
