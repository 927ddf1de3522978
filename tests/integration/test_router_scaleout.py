"""test_router_scaleout: two router instances ("router-0", "router-1") share
intake's 16 partitions (instance k takes p % 2 == k). Every case is
assigned exactly once, by the instance owning its building's partition;
every staff action is answered exactly once; and a cluster of petitions at
one building is still detected, because a building's petitions all meet in
one instance."""
import unittest

from tests.harness.qf import Cluster, Emitter
from tests.harness.svc_router import Router, Watch, action, new_case_id, petition

BUILDINGS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10", "B11",
             "B12", "Y01", "Y02", "S01"]
HEADS = {"B01": "s04", "B02": "s04", "B03": "s04", "B04": "s04", "B05": "s05", "B06": "s05",
         "B07": "s05", "B08": "s05", "B09": "s06", "B10": "s06", "B11": "s06", "B12": "s06",
         "Y01": "s06", "Y02": "s05", "S01": "s04"}


def partition(key, parts=16):
    h = 2166136261
    for c in key.encode("utf-8"):
        h ^= c
        h = (h * 16777619) & 0xffffffff
    return h % parts


class RouterScaleOut(unittest.TestCase):
    def test_two_instances(self):
        with Cluster("router-scale") as c:
            intake = Emitter(c, "intake")
            r0 = Router(c, [intake], node="router-0", instance=0, instances=2)
            r1 = Router(c, [intake], node="router-1", instance=1, instances=2)
            w0, w1 = Watch(c, r0), Watch(c, r1)
            owners = {k: partition(k) % 2 for k in BUILDINGS}
            self.assertEqual(set(owners.values()), {0, 1})  # both get work
            cases = {}
            # 3 cases per building, each of another category: no hotspot
            cats = ["facility_repair", "neighbor_dispute", "safety_hazard", "public_order"]
            for i in range(45):
                b = BUILDINGS[i % len(BUILDINGS)]
                cid = new_case_id()
                cases[cid] = b
                petition(intake, cid, cats[i % 4], b)
            # a cluster at one building, whichever instance owns it
            hot = [new_case_id() for _ in range(3)]
            for cid in hot:
                petition(intake, cid, "sanitation_hazard", "B07")
            total = len(cases) + len(hot)
            watches = (w0, w1)
            for w, k in ((w0, 0), (w1, 1)):
                mine = sum(1 for b in list(cases.values()) + ["B07"] * 3 if owners[b] == k)
                w.wait_for("CASE_ASSIGNED", count=mine, timeout=20)
            assigned = {}
            for k, w in enumerate(watches):
                for e in w.all("CASE_ASSIGNED"):
                    assigned.setdefault(e["case_id"], []).append(k)
                    self.assertEqual(e["producer"], "router-%d" % k)
            self.assertEqual(len(assigned), total)
            for cid, b in list(cases.items()) + [(h, "B07") for h in hot]:
                self.assertEqual(assigned[cid], [owners[b]], cid)
            for cid, b in cases.items():
                p = [e["payload"] for e in watches[owners[b]].all("CASE_ASSIGNED", cid)][0]
                self.assertEqual(p["assignee"], HEADS[b])
            hs = watches[owners["B07"]].wait_for("HOTSPOT_WARNING")
            self.assertEqual(len(hs), 1)
            self.assertEqual(sorted(hs[0]["case_ids"]), sorted(hot))
            self.assertEqual(watches[1 - owners["B07"]].all("HOTSPOT_WARNING"), [])
            # staff actions: one answer each, from the owner
            cmds = {}
            for cid, b in list(cases.items())[:15]:
                cmds[action(intake, cid, b, "ACTION_ACCEPT", HEADS[b])] = owners[b]
            for cmd, k in cmds.items():
                self.assertEqual(watches[k].result(cmd)["status"], 200)
            for cmd, k in cmds.items():
                self.assertEqual(len(watches[k].results(cmd)), 1)
                self.assertEqual(watches[1 - k].results(cmd), [])
            # each instance shows only the cases it owns
            st, body = r0.get("/v1/cases?limit=200")
            self.assertEqual(st, 200)
            ids0 = {i["case_id"] for i in body["items"]}
            st, body = r1.get("/v1/cases?limit=200")
            ids1 = {i["case_id"] for i in body["items"]}
            self.assertEqual(ids0 & ids1, set())
            self.assertEqual(len(ids0) + len(ids1), total)


if __name__ == "__main__":
    unittest.main()
