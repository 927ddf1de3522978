"""Multi-host: every service on its own host (a network namespace linked to
a private switch), CURVE on every socket with a ZAP allow-list per producer,
and the system scaled out: two intake replicas, two router instances
splitting the partitions, two disclosure replicas, one notifier, one audit.

Shown, in order (one deployment, the tests build on each other):
  1. the whole pipeline: petitions through both intakes are assigned by the
     router instance that owns their partition, listed by both disclosure
     replicas and logged by audit;
  2. a consumer whose key is in no allow file gets nothing (its board stays
     empty, the producers log zap_denied) while the listed ones do;
  3. a router's link cut for ten seconds loses nothing once healed;
  4. 5% packet loss on every host loses nothing once it stops (tc netem if
     the kernel has it, otherwise an iptables statistic rule);
  5. scale-out: over everything submitted, no case lost or doubled: each
     case once on each board, assigned exactly once by the right instance,
     its petition and assignment once each in the audit log, and
     `qfctl audit verify` finds every producer's stream complete.

Needs root and `ip netns` (it is part of `make test` run as root); skipped
with the reason otherwise. Everything it creates (namespaces, links,
processes, files) is removed at the end, pass or fail.
"""
import atexit
import re
import time
import unittest

from tests.harness import netns
from tests.harness.qf import SLOW, Cluster, binary, wait_until
from tests.harness.svc_ops import MULTIHOST, Deployment, partition_of

BUILDINGS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "Y01", "S01"]
CATEGORIES = ["facility_repair", "sanitation_hazard", "neighbor_dispute"]
WAIT = 90  # seconds for the system to settle after a fault (times SLOW)


class MultiHost(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = netns.available()
        if why:
            raise unittest.SkipTest("multi-host test skipped: " + why)
        cls.cluster = Cluster("ops-multihost")
        cls.net = None
        cls.failed = False
        try:
            cls.net = netns.Network("qfm")
            atexit.register(cls.net.close)  # last resort if the process dies here
            cls.d = Deployment(cls.cluster, MULTIHOST, net=cls.net,
                               rogue=("disclosure-x", "disclosure"))
            bad = [(n, out) for n, rc, out in cls.d.check_configs() if rc != 0]
            if bad:
                raise AssertionError("configuration errors: %r" % bad)
            cls.d.start_all()
        except BaseException:
            cls._teardown(failed=True)
            raise
        cls.cases = {}  # case id -> (intake node, building)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls._teardown(failed=cls.failed)

    @classmethod
    def _teardown(cls, failed):
        problems = cls.d.stop_all() if getattr(cls, "d", None) else []
        cls.cluster.close(failed=failed or bool(problems))
        if cls.net:
            left = cls.net.close()
            left += cls.net.leftovers()
            if left:
                raise AssertionError("namespaces left behind: %r" % left)
        if problems:
            raise AssertionError("at shutdown: %s" % "; ".join(problems))

    def run(self, result=None):
        r = super().run(result)
        if result and (result.failures or result.errors):
            type(self).failed = True
        return r

    # ------------------------------------------------------------ helpers
    def submit_many(self, count, tag):
        """count petitions alternately through intake-1 and intake-2, over
        buildings owned by both router instances."""
        out = []
        for i in range(count):
            k = type(self).n
            type(self).n += 1
            intake = "intake-%d" % (1 + k % 2)
            b = BUILDINGS[k % len(BUILDINGS)]
            cid, code, secret = self.d.submit(intake, building=b,
                                              category=CATEGORIES[k % len(CATEGORIES)], n=k)
            self.cases[cid] = (intake, b, code, secret)
            out.append(cid)
        return out

    def assigned(self, cids):
        """The cases (of cids) that their intake's follow view shows assigned."""
        done = []
        for cid in cids:
            intake, _, code, secret = self.cases[cid]
            v = self.d.followed(intake, code, secret)
            if v and v.get("status") == "assigned":
                done.append(cid)
        return done

    def settle(self, cids, what):
        """Wait until every case is assigned, on both boards and in audit."""
        cids = list(cids)
        wait_until(lambda: len(self.assigned(cids)) == len(cids), timeout=WAIT, interval=0.5,
                   what="%d cases assigned after %s" % (len(cids), what))
        for node in ("disclosure-1", "disclosure-2"):
            wait_until(lambda: set(cids) <= set(self.d.board(node)), timeout=WAIT, interval=0.5,
                       what="%d cases on %s after %s" % (len(cids), node, what))

        def logged():
            got = {}
            for leaf in self.d.leaves():
                if leaf["type"] in ("PETITION_SUBMITTED", "CASE_ASSIGNED"):
                    got.setdefault(leaf["case_id"], set()).add(leaf["type"])
            return all(len(got.get(c, ())) == 2 for c in cids)
        wait_until(logged, timeout=WAIT, interval=0.5,
                   what="%d cases in the audit log after %s" % (len(cids), what))

    # ------------------------------------------------------------ 1
    def test_1_pipeline(self):
        cids = self.submit_many(8, "pipeline")
        self.settle(cids, "the first petitions")
        # the intake follow view names the handler router assigned
        for cid in cids:
            intake, b, code, secret = self.cases[cid]
            v = self.d.followed(intake, code, secret)
            self.assertEqual(v["case_id"], cid)
            self.assertTrue(v.get("handler", {}).get("name"), v)
        # the router instance that owns the case's partition holds it
        for cid in cids:
            b = self.cases[cid][1]
            owner = "router-%d" % (partition_of(b) % 2)
            other = "router-%d" % (1 - partition_of(b) % 2)
            st, c = self.d[owner].get("/v1/cases/" + cid,
                                      headers={"Authorization": "Bearer qf-dev-s01"})
            self.assertEqual(st, 200, (owner, cid, c))
            self.assertEqual(c["state"], "assigned")
            st, _ = self.d[other].get("/v1/cases/" + cid,
                                      headers={"Authorization": "Bearer qf-dev-s01"})
            self.assertEqual(st, 404, "%s also holds %s" % (other, cid))
        # tracking codes carry each replica's code, so they never collide
        codes = {self.cases[c][2] for c in cids}
        self.assertEqual(len(codes), len(cids))
        for cid in cids:
            intake, _, code, _ = self.cases[cid]
            self.assertEqual(code[:5], "LSJ-" + intake[-1], (intake, code))

    # ------------------------------------------------------------ 2
    def test_2_unlisted_key_refused(self):
        rogue = self.d.rogue
        # a fresh case reaches the listed replicas; the unlisted one has none
        cids = self.submit_many(2, "unlisted key")
        self.settle(cids, "two more petitions")
        time.sleep(2)  # the rogue's own replay pages would have landed by now
        st, j = rogue.get("/v1/public/cases")
        self.assertEqual(st, 200, j)
        self.assertEqual(j["total"], 0, "a consumer with an unlisted key got cases: %r" % j)
        self.assertFalse(rogue.ready(), "the unlisted consumer reports ready")
        # the producers refused it by its key (ZAP), not by accident
        for prod in ("intake-1", "intake-2", "router-0", "router-1", "audit"):
            log = self.d[prod].proc.output()
            self.assertIn("zap_denied", log, "%s never refused the unlisted key" % prod)
            m = re.search(r"^qf_zap_denied_total (\d+)", self.d[prod].metrics(), re.M)
            self.assertTrue(m and int(m.group(1)) > 0, "%s: refusals not counted" % prod)
        # listed keys are never refused (the rogue asks nothing of these)
        for prod in ("disclosure-1", "disclosure-2", "notifier"):
            self.assertNotIn("zap_denied", self.d[prod].proc.output(), prod)
        # while a listed consumer on the same kind of host got everything
        self.assertTrue(self.d["disclosure-2"].ready())

    # ------------------------------------------------------------ 3
    def test_3_link_cut(self):
        net = self.net
        r0 = self.d["router-0"].host
        t0 = time.time()
        net.cut(r0)
        try:
            cids = self.submit_many(10, "link cut")
            # while cut, router-0's partitions wait: nothing of them is assigned
            mine = [c for c in cids if partition_of(self.cases[c][1]) % 2 == 0]
            others = [c for c in cids if c not in mine]
            self.assertTrue(mine and others, "the petitions did not cover both instances")
            # the rest of the system carries on: router-1 assigns its share
            wait_until(lambda: len(self.assigned(others)) == len(others), timeout=8,
                       interval=0.3, what="router-1's cases assigned during the cut")
            time.sleep(max(0.0, 10 - (time.time() - t0)))
            self.assertEqual(self.assigned(mine), [], "assigned through a cut link")
        finally:
            net.heal(r0)
        print("\n[multihost] router-0's link was down for %.1f s" % (time.time() - t0))
        self.settle(cids, "a 10 s link cut")

    # ------------------------------------------------------------ 4
    def test_4_packet_loss(self):
        net = self.net
        hosts = [n.host for n in self.d.nodes.values()]
        methods = set()
        try:
            for h in hosts:
                try:
                    methods.add(net.loss(h, 0.05))
                except RuntimeError as e:
                    self.skipTest("no way to drop packets here (no sch_netem, and iptables "
                                  "failed: %s)" % e)
            print("\n[multihost] 5%% packet loss on %d hosts with: %s" %
                  (len(hosts), "; ".join(sorted(methods))))
            cids = []
            for _ in range(4):
                cids += self.submit_many(5, "packet loss")
                time.sleep(1)
            time.sleep(5)
            dropped = sum(net.dropped(h) for h in hosts)
        finally:
            for h in hosts:
                net.clear_loss(h)
        if any(m.startswith("iptables") for m in methods):
            self.assertGreater(dropped, 0, "the loss rule dropped nothing")
            print("[multihost] packets dropped: %d" % dropped)
        self.settle(cids, "5% packet loss")

    # ------------------------------------------------------------ 5
    def test_5_scale_out_nothing_lost_or_doubled(self):
        if len(self.cases) < 20:  # run on its own
            self.submit_many(20 - len(self.cases), "scale-out")
        all_ids = set(self.cases)
        self.settle(all_ids, "all faults")
        # each replica's board: every case exactly once, the same view
        boards = {n: self.d.board(n) for n in ("disclosure-1", "disclosure-2")}
        for node, ids in boards.items():
            self.assertEqual(len(ids), len(set(ids)), "%s lists a case twice" % node)
            self.assertEqual(set(ids), all_ids, "%s differs from what was submitted" % node)
        # the audit log: one petition and one assignment per case, by the
        # intake that took it and the router instance that owns the partition
        leaves = self.d.leaves()
        subs, assigns = {}, {}
        for leaf in leaves:
            if leaf["type"] == "PETITION_SUBMITTED":
                subs.setdefault(leaf["case_id"], []).append(leaf["producer"])
            elif leaf["type"] == "CASE_ASSIGNED":
                assigns.setdefault(leaf["case_id"], []).append(leaf["producer"])
        for cid in all_ids:
            intake, b, _, _ = self.cases[cid]
            self.assertEqual(subs.get(cid), [intake], cid)
            self.assertEqual(assigns.get(cid), ["router-%d" % (partition_of(b) % 2)], cid)
        self.assertEqual(set(subs), all_ids, "the log holds petitions nobody submitted")
        used = {p for ps in assigns.values() for p in ps}
        self.assertEqual(used, {"router-0", "router-1"}, "both instances took a share")
        # every producer's stream complete, none doubled, the tree consistent
        audit = self.d["audit"]
        vkey = self.d.shared + "/checkpoint.vkey"
        wait_until(lambda: audit.get("/v1/log")[1]["checkpoint"]["size"] >= len(leaves),
                   timeout=30, what="a checkpoint over the whole log")
        r = audit.host.run([binary("qfctl"), "audit", "verify", "--url",
                            "http://127.0.0.1:%d" % audit.http, "--vkey", vkey],
                           timeout=120 * SLOW)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # nothing came back as a new incarnation, no gap left unhealed
        st, al = audit.get("/v1/alerts?kind=new_incarnation")
        self.assertEqual(al["alerts"], [])
        print("[multihost] %d cases, %d log entries; boards %s; verify: %s" %
              (len(all_ids), len(leaves), {k: len(v) for k, v in boards.items()},
               r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "ok"))


if __name__ == "__main__":
    unittest.main()
