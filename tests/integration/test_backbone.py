"""The event backbone's reliability contract, end to end with real processes.

A producer emits 200,000 events over 16 partitions while (a) the consumer's
receive high-water mark is 1 so that PUB drops most messages, (b) the
consumer is killed with SIGKILL and restarted three times, (c) the producer
is killed with SIGKILL and restarted once. The consumer must end having
applied every event exactly once and in per-partition order: its count and
its digest over all (partition, seq, payload) must equal the digest computed
without any bus. Then the producer's store is wiped: the consumer must report
a new incarnation, not merge the new stream silently.
"""
import os
import shutil
import signal
import time
import unittest

from tests.harness.qf import Cluster, SLOW, binary, free_port, wait_until

TOTAL = 200000
# events/s, so the run spans ~5 s (longer in sanitizer builds, which are
# slower) and the kills below land mid-stream
RATE = int(40000 / SLOW)


def parse(out):
    """count=N digest=HEX (the last such line)."""
    for line in reversed(out.strip().splitlines()):
        if line.startswith("count="):
            kv = dict(p.split("=", 1) for p in line.split())
            return int(kv["count"]), kv["digest"]
    raise AssertionError("no count/digest line in:\n" + out)


class BackboneTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("backbone")
        self.addCleanup(self.c.close)
        self.pub = "tcp://127.0.0.1:%d" % free_port()
        self.rep = "tcp://127.0.0.1:%d" % free_port()
        self.pdir = self.c.path("producer", "store")
        self.cdir = self.c.path("consumer", "store")
        self.n = 0

    def producer(self, total):
        self.n += 1
        return self.c.start("producer%d" % self.n, [
            binary("qf-test-producer"), "--dir", self.pdir, "--pub", self.pub,
            "--replay", self.rep, "--total", str(total), "--rate", str(RATE)])

    def consumer(self, until, extra=()):
        self.n += 1
        return self.c.start("consumer%d" % self.n, [
            binary("qf-test-consumer"), "--dir", self.cdir, "--pub", self.pub,
            "--replay", self.rep, "--until", str(until), "--rcvhwm", "1"] + list(extra))

    def expect(self, total):
        r = self.c.run([binary("qf-test-producer"), "--expect", str(total)], check=True)
        return parse(r.stdout)

    def test_exactly_once_through_drops_and_kills(self):
        want_count, want_digest = self.expect(TOTAL)
        prod = self.producer(TOTAL)
        # three consumer crashes at different points of the stream
        for delay in (0.8, 1.3, 1.1):
            cons = self.consumer(TOTAL)
            time.sleep(delay)
            self.assertTrue(cons.alive(), "consumer finished before its kill:\n" + cons.output())
            cons.kill()
            if delay == 1.3:
                # the producer crashes once, mid-stream, and comes back
                prod.kill()
                self.assertNotIn("events committed", prod.output(), "producer killed too late")
                prod = self.producer(TOTAL)
        cons = self.consumer(TOTAL)
        rc = cons.wait(timeout=120)
        out = cons.output()
        self.assertEqual(rc, 0, out)
        count, digest = parse(out)
        self.assertEqual(count, want_count)
        self.assertEqual(digest, want_digest, "events lost, doubled or out of order")
        self.assertNotIn("ORDER VIOLATION", out)
        self.assertIn("all %d events committed" % TOTAL,
                      "".join(p.output() for p in self.c.procs if p.name.startswith("producer")))

        # a wiped producer store is a new incarnation: reported, not merged
        prod.stop()
        shutil.rmtree(os.path.dirname(self.pdir))
        self.pdir = self.c.path("producer", "store")
        prod = self.producer(1000)
        cons = self.consumer(TOTAL + 1000)
        self.assertEqual(cons.wait(timeout=60), 0, cons.output())
        out = cons.output()
        self.assertIn("INCARNATION producer=testprod", out)
        count, _ = parse(out)
        self.assertEqual(count, TOTAL + 1000)
        line = [l for l in out.splitlines() if l.startswith("INCARNATION")][0]
        kv = dict(p.split("=", 1) for p in line.split()[1:])

        def digest_of(epoch):
            r = self.c.run([binary("qf-test-consumer"), "--dir", self.cdir, "--pub", self.pub,
                            "--replay", self.rep, "--until", "1", "--epoch", epoch])
            return parse(r.stdout)[1]
        # the first incarnation's history is untouched by the second, which
        # is followed under its own checkpoints from seq 1
        self.assertEqual(digest_of(kv["old"]), want_digest)
        self.assertEqual(digest_of(kv["new"]), self.expect(1000)[1])
        # the store tells an operator what happened
        st = self.c.run([binary("qfctl"), "store", "stat", self.cdir], check=True).stdout
        self.assertIn("retired-epoch producer=testprod", st)
        prod.stop()


if __name__ == "__main__":
    unittest.main()
