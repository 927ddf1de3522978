"""`make run` supervises (tools/qf-run.sh): a service that dies is started
again with a back-off and the restart is logged with the exit status, the
way a platform's restart policy would; the others keep running; Ctrl-C
(SIGINT to the foreground process group) and SIGTERM still stop everything
cleanly. And `make run` builds only what a deployment runs (no unit tests,
so no cmocka).

The script runs on the repository's configuration moved onto free ports in
a directory of its own (QF_RUN_DIR), exactly as `make run` would start it.
"""
import os
import re
import signal
import subprocess
import time
import unittest

from tests.chaos.system import SERVICES, System
from tests.harness.qf import BUILD, ROOT, SLOW, Cluster, wait_until

SCRIPT = os.path.join(ROOT, "tools", "qf-run.sh")


class Supervisor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Ctrl-C in a terminal is what is tested. Started in the background
        # (nohup, some CI runners) this process may have SIGINT ignored on
        # entry; qf-run.sh would inherit that, and a shell cannot trap a
        # signal ignored on entry, so it would never stop. Give the children
        # a terminal's disposition (a handler is reset to default on exec).
        if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def setUp(self):
        self.c = Cluster("qf-run")
        self.addCleanup(self.c.close)
        self.s = System(self.c)
        self.addCleanup(self.s.rx.stop)

    def start_run(self, tag):
        p = self.c.start("qf-run-" + tag, [SCRIPT, BUILD],
                         env={"QF_RUN_DIR": self.c.dir, "QF_RUN_HEALTHY_S": "60"})
        self.addCleanup(self._reap, p)
        for svc in SERVICES:
            wait_until(lambda: self.s.ready(svc), timeout=30, interval=0.1,
                       what="%s ready under qf-run.sh" % svc)
        return p

    def _reap(self, p):
        # never leave a supervisor or its services behind
        for pid in self.pids(p).values():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        p.kill()

    def stopped(self, run, timeout=15):
        """run's exit status, or a failure with its log when it hangs."""
        try:
            return run.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail("qf-run.sh did not stop within %d s:\n%s" % (timeout, run.output()[-3000:]))

    def pids(self, p):
        """service -> pid of its latest start, from the supervisor's log."""
        out = {}
        for m in re.finditer(r"(?:started|restarted) (\w+) \(pid (\d+)", p.output()):
            out[m.group(1)] = int(m.group(2))
        return out

    def all_pids(self, p):
        return [int(m.group(1)) for m in re.finditer(r"\(pid (\d+)", p.output())]

    def test_restart_with_backoff_then_stop(self):
        run = self.start_run("a")
        first = self.pids(run)
        self.assertEqual(set(first), set(SERVICES), run.output())
        # a crash: SIGKILL to the router the supervisor started
        os.kill(first["router"], signal.SIGKILL)
        wait_until(lambda: self.pids(run)["router"] != first["router"], timeout=10,
                   what="router restarted")
        log = run.output()
        self.assertRegex(log, r"router was killed by signal 9 \(SIGKILL\) after \d+s; "
                              r"restarting in 0\.500s")
        self.assertIn("restarted router (pid %d, restart 1)" % self.pids(run)["router"], log)
        wait_until(lambda: self.s.ready("router"), timeout=30, what="router ready again")
        # the others were never touched
        for svc in ("intake", "notifier", "disclosure", "audit"):
            self.assertEqual(self.pids(run)[svc], first[svc], svc)
            os.kill(first[svc], 0)
        # crashing again at once: the back-off doubles
        second = self.pids(run)["router"]
        os.kill(second, signal.SIGKILL)
        wait_until(lambda: self.pids(run)["router"] != second, timeout=10,
                   what="router restarted twice")
        self.assertRegex(run.output(), r"router was killed by signal 9 \(SIGKILL\) after \d+s; "
                                       r"restarting in 1\.000s")
        wait_until(lambda: self.s.ready("router"), timeout=30, what="router ready again")

        # Ctrl-C: SIGINT to the whole foreground process group
        t0 = time.time()
        os.killpg(run.pid, signal.SIGINT)
        self.assertEqual(self.stopped(run), 0, run.output()[-3000:])
        self.assertLess(time.time() - t0, 10 * SLOW)
        log = run.output()
        self.assertIn("all stopped", log)
        self.assertNotIn("restarted", log.split("stopping")[-1], "restarted while stopping")
        for pid in self.all_pids(run):
            self.assertFalse(os.path.exists("/proc/%d" % pid) and
                             open("/proc/%d/stat" % pid).read().split()[2] != "Z",
                             "pid %d survived Ctrl-C" % pid)

        # SIGTERM to the supervisor alone (a platform stopping it) also
        # stops everything; the stores kept what they had
        run = self.start_run("b")
        pids = self.pids(run)
        run.signal(signal.SIGTERM)
        self.assertEqual(self.stopped(run), 0, run.output()[-3000:])
        for svc, pid in pids.items():
            self.assertFalse(os.path.exists("/proc/%d" % pid), "%s survived SIGTERM" % svc)
        # every service ended with status 0 (no "restarting" after a clean stop)
        self.assertNotIn("restarting", run.output())

    def test_make_run_builds_only_the_deployment(self):
        # make -n runs the recursive make (bin) in dry-run mode: every
        # command `make run` would run, in a build folder of its own
        r = subprocess.run(["make", "-n", "--no-print-directory", "run",
                            "BUILD=" + self.c.path("build-dry")], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn("install-deps.sh build", out)
        self.assertIn("qf-run.sh", out)
        self.assertIn("qf-intake", out)
        for bad in ("cmocka", "tests/unit", "install-deps.sh test", "qf-test-"):
            self.assertNotIn(bad, out, "make run would build or install %s" % bad)


if __name__ == "__main__":
    unittest.main()
