"""Views come from events alone: a replica started after everything
happened rebuilds by replay exactly what a replica that followed live holds,
and a replica killed with SIGKILL mid-stream and restarted applies nothing
twice and misses nothing."""
import json
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_disclosure import Disclosure, Sources, fill_sample

# fields that may differ between replicas: their own clock, ports and
# stream positions (the content itself must not)
VOLATILE = {"now_ms", "question_url", "announcement", "viewers", "at_ms_now"}


def _strip(v):
    if isinstance(v, dict):
        return {k: _strip(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [_strip(x) for x in v]
    return v


def _views(d):
    """Every public JSON view of a replica, volatile fields removed."""
    out = {}
    paths = ["/v1/public/cases?page_size=100", "/v1/public/ledger", "/v1/public/notices",
             "/v1/public/lists", "/v1/public/roster", "/v1/public/snapshots",
             "/v1/public/stats", "/v1/public/checkpoints",
             "/v1/public/cases?state=open&page_size=100",
             "/v1/public/cases?category=safety_hazard", "/v1/public/cases?overdue=1"]
    for p in paths:
        out[p] = d.json(p)
    for c in out["/v1/public/cases?page_size=100"]["items"]:
        p = "/v1/public/cases/" + c["id"]
        out[p] = d.json(p)
    for q in out["/v1/public/ledger"]["quarters"]:
        p = "/v1/public/ledger/" + q["quarter"]
        out[p] = d.json(p)
    for l in out["/v1/public/lists"]["lists"]:
        for p in ("/v1/public/lists/" + l["record_id"], "/v1/public/records/" + l["record_id"]):
            out[p] = d.json(p)
    for s in out["/v1/public/snapshots"]["snapshots"]:
        p = "/v1/public/snapshots/%s/%s/canonical" % (s["kind"], s["key"])
        out[p] = d.json(p)
    return {k: _strip(v) for k, v in out.items()}


class ReplayTest(unittest.TestCase):
    maxDiff = None

    def assertSameViews(self, a, b):
        va, vb = _views(a), _views(b)
        self.assertEqual(sorted(va), sorted(vb))
        for k in va:
            self.assertEqual(json.dumps(va[k], ensure_ascii=False, sort_keys=True),
                             json.dumps(vb[k], ensure_ascii=False, sort_keys=True),
                             "view %s differs" % k)
        return va

    def test_fresh_replica_rebuilds_identical_views(self):
        with Cluster("dreplay") as c:
            src = Sources(c)
            live = Disclosure(c, src.all(), node="disclosure")
            info = fill_sample(src)
            live.sync(src)
            late = Disclosure(c, src.all(), node="disclosure-2")
            late.sync(src)
            views = self.assertSameViews(live, late)
            # the comparison covered real content
            self.assertEqual(views["/v1/public/cases?page_size=100"]["total"],
                             len(info["cases"]))
            self.assertGreater(len(views), 40)
            self.assertTrue(any(s["kind"] == "ledger_quarter" for s in
                                views["/v1/public/snapshots"]["snapshots"]))

    def test_sigkill_mid_stream_then_restart(self):
        with Cluster("dreplay") as c:
            src = Sources(c)
            a = Disclosure(c, src.all(), node="disclosure")
            fill_sample(src)
            a.kill()  # while it is still applying what just arrived
            # more events while it is down
            info = fill_sample(src, quarter="2026Q4")
            a.restart()
            a.sync(src)
            b = Disclosure(c, src.all(), node="disclosure-2")
            b.sync(src)
            views = self.assertSameViews(a, b)
            # nothing twice: each case's timeline has unique entries
            for cid in info["cases"]:
                tl = views["/v1/public/cases/" + cid]["timeline"]
                keys = [(e["type"], e["at_ms"]) for e in tl]
                self.assertEqual(len(keys), len(set(keys)), cid)


if __name__ == "__main__":
    unittest.main()
