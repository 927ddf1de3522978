"""Network faults between the services, with the multi-host harness: each
of the five services on its own host (a network namespace on a private
switch, CURVE on every socket), petitions submitted all along, while

  * the hosts are split into two sides that cannot reach each other (a
    random side of one or two hosts, both directions dropped with iptables
    in each host's own namespace), a new split every few seconds, each
    healed before the next;
  * for part of the time every host also drops a share of the packets it
    receives (tc netem, or an iptables statistic rule without sch_netem).

Afterwards, within a bound: every petition assigned, once on the board,
submitted and assigned once in the audit log, `qfctl audit verify` passing.

Needs root and `ip netns` (skipped with the reason otherwise). Everything
made (namespaces, links, rules, processes, files) is removed at the end.
QF_PART_SECONDS (default 20) sets how long the faults last.
"""
import atexit
import os
import random
import threading
import time
import unittest

from tests.harness import netns
from tests.harness.qf import SLOW, Cluster, binary
from tests.harness.svc_ops import SINGLE, Deployment

BUILDINGS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "Y01", "S01"]
BOUND = 60  # seconds to heal after the last fault (times SLOW)


def iptables(h, *args, check=True):
    r = h.run(["iptables", "-w"] + list(args))
    if check and r.returncode != 0:
        raise RuntimeError("iptables %s in %s: %s" % (" ".join(args), h.name, r.stderr))
    return r


class Partitions(unittest.TestCase):
    def setUp(self):
        why = netns.available()
        if why:
            self.skipTest("partition test skipped: " + why)
        self.c = Cluster("chaos-partitions")
        self.net = netns.Network("qfp")
        atexit.register(self.net.close)
        self.addCleanup(self._teardown)
        self.d = Deployment(self.c, SINGLE, net=self.net)
        self.hosts = {n.name: n.host for n in self.d.nodes.values()}
        for h in self.hosts.values():
            # a chain of our own, so that healing never touches the loss rule
            iptables(h, "-N", "QFPART")
            iptables(h, "-I", "INPUT", "-j", "QFPART")
            iptables(h, "-I", "OUTPUT", "-j", "QFPART")
        self.d.start_all()

    def _teardown(self):
        problems = self.d.stop_all() if getattr(self, "d", None) else []
        self.c.close(failed=bool(problems))
        left = self.net.close() + self.net.leftovers()
        self.assertEqual(left, [], "namespaces left behind")
        self.assertEqual(problems, [], "at shutdown")

    def split(self, side):
        """Hosts in `side` cannot reach the others, nor the others them."""
        other = [h for n, h in self.hosts.items() if n not in side]
        for n in side:
            a = self.hosts[n]
            for b in other:
                for h, peer in ((a, b), (b, a)):
                    iptables(h, "-A", "QFPART", "-s", peer.ip, "-j", "DROP")
                    iptables(h, "-A", "QFPART", "-d", peer.ip, "-j", "DROP")

    def heal(self):
        for h in self.hosts.values():
            iptables(h, "-F", "QFPART")

    def test_partitions_and_loss_lose_nothing(self):
        seconds = float(os.environ.get("QF_PART_SECONDS") or 20)
        cids, errors = [], []
        stop = threading.Event()

        def load():
            n = 0
            while not stop.is_set():
                try:
                    cid, _, _ = self.d.submit("intake", building=BUILDINGS[n % len(BUILDINGS)],
                                              n=n)
                    cids.append(cid)
                except Exception as e:  # reported below
                    errors.append(repr(e))
                n += 1
                stop.wait(0.2)
        t = threading.Thread(target=load, daemon=True)
        t.start()
        splits, loss_method = [], None
        names = list(self.hosts)
        t0 = time.time()
        try:
            while time.time() - t0 < seconds:
                side = random.sample(names, random.choice((1, 2)))
                self.split(side)
                splits.append(sorted(side))
                if loss_method is None and time.time() - t0 > seconds / 3:
                    for h in self.hosts.values():
                        loss_method = self.net.loss(h, 0.1)
                time.sleep(random.uniform(2, 3))
                self.heal()
                time.sleep(random.uniform(0.5, 1.5))
        finally:
            self.heal()
            for h in self.hosts.values():
                self.net.clear_loss(h)
            stop.set()
            t.join(30)
        t_healed = time.time()
        self.assertEqual(errors, [], "submissions failed")
        self.assertGreater(len(cids), 10)
        self.d.settle(cids, timeout=BOUND)
        healed_in = time.time() - t_healed
        board = self.d.board("disclosure")
        self.assertEqual(len(board), len(set(board)), "a case twice on the board")
        self.assertEqual(set(board), set(cids), "the board differs from what was acknowledged")
        audit = self.d["audit"]
        audit.request("POST", "/v1/checkpoint", headers={"Authorization": "Bearer qf-dev-s01"})
        r = audit.host.run([binary("qfctl"), "audit", "verify", "--url",
                            "http://127.0.0.1:%d" % audit.http, "--vkey",
                            os.path.join(self.d.shared, "checkpoint.vkey")], timeout=120 * SLOW)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        st, al = audit.get("/v1/alerts?kind=new_incarnation")
        self.assertEqual(al["alerts"], [])
        print("\n[partitions] %d splits in %.0f s (%s), 10%% loss on every host by %s" %
              (len(splits), seconds, "; ".join("|".join(s) for s in splits[:6]) +
               (" ..." if len(splits) > 6 else ""), loss_method))
        print("[partitions] acknowledged %d, lost 0, doubled 0; healed %.1f s after the last "
              "fault (bound %d s); verify: %s" % (len(cids), healed_in, BOUND,
                                                  r.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    unittest.main()
