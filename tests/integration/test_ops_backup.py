"""Back up and restore each service's store with LMDB's own tools
(tools/qf-backup.sh: mdb_copy -c; restore = stop, replace the directory,
start), on the whole system (the five services on loopback, configured from
docker/config/*.cfg).

  * Every store, one after the other: stop the service cleanly, back it up,
    wipe its directory, restore the backup, start it. It keeps its events,
    its databases and its epoch; the others continue without seeing a new
    incarnation, and new petitions flow through exactly once.
  * A hot backup (of a live intake under load) is a consistent store. Once
    intake has published past it, restoring it is refused when the audit
    log shows consumers already hold later seqs (the danger
    docs/OPERATIONS.md describes); a backup that is not behind is accepted.
"""
import os
import shutil
import subprocess
import threading
import time
import unittest

from tests.harness.qf import ROOT, Cluster, binary
from tests.harness.svc_ops import SINGLE, Deployment

BACKUP = os.path.join(ROOT, "tools", "qf-backup.sh")
CONSUMERS = ("intake", "router", "notifier", "disclosure", "audit")


def tool(*args, check=True):
    env = dict(os.environ, QFCTL=binary("qfctl"))
    r = subprocess.run([BACKUP] + list(args), capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise AssertionError("qf-backup %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r


def stat(path):
    """qfctl store stat without the path line (equal stores, equal text)."""
    out = subprocess.run([binary("qfctl"), "store", "stat", path], capture_output=True,
                         text=True, check=True).stdout
    return "\n".join(line for line in out.splitlines() if not line.startswith("store "))


class Base(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("ops-backup")
        try:
            self.d = Deployment(self.c, SINGLE).start_all()
        except BaseException:
            self.c.close(failed=True)
            raise
        self.n = 0
        self.backups = self.c.path("backups", "x")[:-2]

    def tearDown(self):
        problems = self.d.stop_all()
        failed = bool(problems) or any(e for _, e in (self._outcome.result.errors +
                                                      self._outcome.result.failures) if e)
        self.c.close(failed=failed)
        self.assertEqual(problems, [], "at shutdown")

    def submit(self, count, building="B03"):
        out = []
        for _ in range(count):
            self.n += 1
            cid, code, secret = self.d.submit("intake", building=building, n=self.n)
            out.append((cid, code, secret))
        return out

    def incarnations(self):
        """New incarnations seen: audit's alerts and every consumer's counter."""
        st, al = self.d["audit"].get("/v1/alerts?kind=new_incarnation")
        self.assertEqual(st, 200, al)
        seen = ["audit alert: %s" % a.get("producer") for a in al["alerts"]]
        for name in CONSUMERS:
            for line in self.d[name].metrics().splitlines():
                if line.startswith("qf_bus_incarnations_total") and float(line.split()[-1]) > 0:
                    seen.append("%s: %s" % (name, line))
        return seen


class EveryStore(Base):
    def test_backup_wipe_restore_each_store(self):
        first = self.submit(6)
        self.d.settle([c for c, _, _ in first])
        epochs = {(s["producer"], s["epoch"]) for s in self.streams()}
        for name in ("intake", "router", "notifier", "disclosure", "audit"):
            with self.subTest(store=name):
                node = self.d[name]
                self.assertEqual(node.stop(), 0)
                before = stat(node.data)
                bk = tool("backup", node.data, self.backups).stdout.strip()
                self.assertTrue(os.path.isfile(os.path.join(bk, "data.mdb")), bk)
                shutil.rmtree(node.data)  # the disk is gone
                tool("restore", bk, node.data)
                self.assertEqual(stat(node.data), before, "%s: restored store differs" % name)
                node.start()
                node.wait_ready()
                more = self.submit(2, building="B0%d" % (1 + len(name) % 8))
                self.d.settle([c for c, _, _ in first + more])
        # the old cases are still followed where they were taken
        for cid, code, secret in first:
            v = self.d.followed("intake", code, secret)
            self.assertTrue(v and v["case_id"] == cid, (cid, v))
        # nobody saw a new incarnation; every producer kept its epoch
        self.assertEqual(self.incarnations(), [])
        now = {}
        for s in self.streams():
            now.setdefault(s["producer"], set()).add(s["epoch"])
        for producer, es in now.items():
            self.assertEqual(len(es), 1, "%s has streams of %d epochs" % (producer, len(es)))
        self.assertLessEqual({p for p, _ in epochs}, set(now))
        for p, e in epochs:
            self.assertEqual(now[p], {e}, "%s changed its epoch" % p)

    def streams(self):
        st, j = self.d["audit"].get("/v1/streams")
        self.assertEqual(st, 200, j)
        return j["streams"] if isinstance(j, dict) else j


class HotBackup(Base):
    def test_hot_backup_is_consistent_and_a_stale_one_is_refused(self):
        intake = self.d["intake"]
        self.d.settle([c for c, _, _ in self.submit(4)])
        # a hot backup while petitions keep arriving
        stop = threading.Event()
        errors = []

        def load():
            k = 0
            while not stop.is_set():
                k += 1
                try:
                    self.d.submit("intake", building="B05", n=10000 + k)
                except Exception as e:  # reported below
                    errors.append(e)
                    return
        t = threading.Thread(target=load)
        t.start()
        time.sleep(0.5)
        bk = tool("backup", intake.data, self.backups).stdout.strip()
        time.sleep(0.5)
        stop.set()
        t.join()
        self.assertEqual(errors, [])
        out = tool("check", bk).stdout
        self.assertIn("stream     producer=intake", out)
        self.assertRegex(out, r"database   name=intake\.case entries=[1-9]")
        # intake publishes past the backup, and the log records it
        later = self.submit(3, building="B07")
        self.d.settle([c for c, _, _ in later])
        self.assertEqual(intake.stop(), 0)
        audit = "http://127.0.0.1:%d" % self.d["audit"].http
        r = tool("restore", "--audit", audit, bk, intake.data, check=False)
        self.assertNotEqual(r.returncode, 0, "a stale backup was restored:\n" + r.stderr)
        self.assertIn("BEHIND", r.stderr)
        # refused before touching anything: intake starts on its own store
        self.assertFalse(any(n.startswith("data.before-restore") for n in os.listdir(intake.dir)))
        intake.start()
        intake.wait_ready()
        for cid, code, secret in later:
            self.assertEqual(self.d.followed("intake", code, secret)["case_id"], cid)
        # a backup of the stopped store is not behind: accepted
        self.assertEqual(intake.stop(), 0)
        cold = tool("backup", intake.data, self.backups).stdout.strip()
        r = tool("restore", "--audit", audit, cold, intake.data)
        self.assertIn("nothing of this store beyond the backup", r.stdout)
        intake.start()
        intake.wait_ready()
        self.d.settle([c for c, _, _ in later + self.submit(2)])
        self.assertEqual(self.incarnations(), [])


class BadInput(Base):
    def test_restore_into_a_running_store_is_refused(self):
        router = self.d["router"]
        bk = tool("backup", router.data, self.backups).stdout.strip()
        r = tool("restore", bk, router.data, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("in use by a running process", r.stderr)
        self.assertTrue(router.proc.alive())
        self.assertFalse(any(n.startswith("data.before-restore") for n in os.listdir(router.dir)))

    def test_not_a_store(self):
        empty = self.c.path("empty", "x")[:-2]
        r = tool("backup", empty, self.backups, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("holds no LMDB store", r.stderr)
        r = tool("restore", empty, self.d["router"].data, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("holds no data.mdb", r.stderr)
        r = tool("frobnicate", check=False)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
