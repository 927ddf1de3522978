"""A disk that fills up under load. One service's data directory is a
small tmpfs mounted in a mount namespace of its own (a holder process made
with `unshare -m`; the service is started in it with `nsenter -m`, and the
test reaches the files through /proc/<holder>/root), so nothing outside the
test sees the mount. The whole system runs and takes submissions while the
file system is filled to the last few hundred KiB, kept full for a few
seconds, then freed.

  * intake's store full: new petitions are answered 503 with Retry-After
    (never 201: before the fix, a commit that failed with ENOSPC still
    answered the 201 prepared inside the transaction, and every such case
    was lost), intake stays up, and once space returns the retried
    submissions are accepted;
  * audit's store full: the log stops growing, audit stays up, and catches
    up by itself once space returns. Meanwhile its replay lag grows and
    qf_bus_replay_lag_stalled_seconds (how long the lag has not shrunk,
    what docker/prometheus/alerts.yml alerts on) climbs; both fall back to
    0 once it has caught up. The alert rules name only exported metrics.

In both, afterwards: every acknowledged submission assigned, on the board,
in the audit log and notified, exactly once (the whole-system checker).

Needs root, unshare and nsenter (util-linux); skipped with the reason
otherwise.
"""
import errno
import os
import re
import shutil
import time
import unittest

from tests.chaos.system import Checker, Load, Monitor, Nemesis, System, figures, http_call
from tests.harness.qf import ROOT, Cluster, wait_until

SIZE_MB = 24
LEAVE_KB = 256


def lag(system, svc):
    """(sum of replay lag, largest stalled seconds) of a service, or None."""
    try:
        st, _, body = http_call(system.http[svc], "GET", "/metrics", timeout=2)
    except OSError:
        return None
    text = body.decode()
    lags = [float(v) for v in re.findall(r"^qf_bus_replay_lag_events\{[^}]*\} (\S+)$", text, re.M)]
    stall = [float(v) for v in re.findall(r"^qf_bus_replay_lag_stalled_seconds\{[^}]*\} (\S+)$",
                                          text, re.M)]
    return sum(lags), max(stall or [0.0]), text


def unavailable():
    if os.geteuid() != 0:
        return "needs root (mount namespaces, tmpfs)"
    for tool in ("unshare", "nsenter"):
        if not shutil.which(tool):
            return "%s (util-linux) is not installed" % tool
    return None


class DiskFull(unittest.TestCase):
    def setUp(self):
        why = unavailable()
        if why:
            self.skipTest("disk-full test skipped: " + why)

    def holder(self, c, path):
        """A process whose private mount namespace has a tmpfs at path."""
        os.makedirs(path, exist_ok=True)
        h = c.start("mount-holder", [
            "unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount -t tmpfs -o size=%dm qf-chaos "$0" && exec sleep 100000' % SIZE_MB, path])

        def mounted():
            try:
                with open("/proc/%d/mounts" % h.pid) as f:
                    return any(" %s tmpfs " % path in line for line in f)
            except OSError:
                return False
        wait_until(mounted, timeout=10, what="the tmpfs mounted in the holder")
        return h

    def fill(self, inside):
        """Write a filler file until only LEAVE_KB remain; returns its path."""
        st = os.statvfs(inside)
        free = st.f_bavail * st.f_frsize
        path = os.path.join(inside, "filler")
        with open(path, "wb") as f:
            try:
                f.write(b"\0" * max(0, free - LEAVE_KB * 1024))
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
        return path

    def run_full(self, svc, failed_event):
        with Cluster("chaos-disk-" + svc) as c:
            data = c.path("var", svc, "x")[:-2]
            h = self.holder(c, data)
            inside = "/proc/%d/root%s" % (h.pid, data)
            s = System(c, wrap={svc: ["nsenter", "-t", str(h.pid), "-m", "--wd=" + c.dir]})
            self.addCleanup(s.stop)
            s.start_all()
            load = Load(s, rate=(15, 20))
            mon = Monitor(s, load)
            nem = Nemesis(s)   # no random faults: the disk is the fault
            load.start()
            mon.start()
            time.sleep(3)
            filler = self.fill(inside)
            t_full = time.time()
            st = os.statvfs(inside)
            left_kb = st.f_bavail * st.f_frsize // 1024
            proc = s.procs[svc]
            wait_until(lambda: failed_event in proc.output(), timeout=30,
                       what="%s failing to write (%s)" % (svc, failed_event))
            if svc == "intake":
                wait_until(lambda: load.unavailable >= 5, timeout=20,
                           what="petitions answered 503 while the disk is full")
            if svc == "audit":
                # the lag grows and stops shrinking: the alert's figure climbs
                stalled = wait_until(lambda: (lambda l: l if l and l[0] > 0 and l[1] >= 3
                                              else None)(lag(s, svc)),
                                     timeout=30, what="audit's replay lag stalled")
                print("\n[disk-full] audit full: replay lag %d events, not shrinking for %.0f s"
                      % stalled[:2])
            time.sleep(3)
            self.assertTrue(proc.alive(), "%s died on a full disk:\n%s" %
                            (svc, proc.output()[-3000:]))
            os.unlink(filler)
            full_s = time.time() - t_full
            nem.t_end = time.time()
            load.stop()
            r = Checker(s, load, nem, mon).run(bound=30)
            print("\n[disk-full] %s's %d MiB file system filled to %d KiB free for %.1f s; "
                  "%d answers 503 (%d without Retry-After); %s still running" %
                  (svc, SIZE_MB, left_kb, full_s, load.unavailable, load.no_retry_after, svc))
            print("\n".join(line.replace("[chaos]", "[disk-full]")
                            for line in figures(r, full_s, (15, 20)).splitlines()[2:]))
            self.assertEqual(load.no_retry_after, 0, "503 without Retry-After")
            self.assertEqual(r["refused"], [], "submissions refused")
            self.assertEqual(r["unanswered"], [], "submissions never answered")
            self.assertEqual(r["lost"], [], "acknowledged submissions lost: %r" %
                             {k: r["why"][k] for k in r["lost"][:5]})
            self.assertEqual(r["doubled"], [], "submissions doubled")
            self.assertEqual(r["extra_cases"], [], "cases nobody was told of")
            self.assertIsNotNone(r["converged_s"], "not healed within 30 s")
            self.assertEqual(r["verify_rc"], 0, "\n".join(r["verify"]))
            self.assertTrue(proc.alive())
            if svc == "audit":
                healed = wait_until(lambda: (lambda l: l if l and l[:2] == (0, 0) else None)(
                    lag(s, svc)), timeout=30, what="audit's lag back to 0")
                # every metric the alert rules ask for is exported
                with open(os.path.join(ROOT, "docker", "prometheus", "alerts.yml")) as f:
                    rules = f.read()
                asked = set(re.findall(r"\b(qf_[a-z_]+)", rules))
                exported = set(re.findall(r"^(qf_[a-z_]+)", healed[2], re.M))
                self.assertGreaterEqual(len(asked), 3)
                self.assertEqual(sorted(asked - exported), [], "alerts.yml asks for figures "
                                 "no service exports")

    def test_intake_disk_full(self):
        self.run_full("intake", "petition_commit_failed")

    def test_audit_disk_full(self):
        self.run_full("audit", "input/output error")


if __name__ == "__main__":
    unittest.main()
