"""The whole system under faults, as a container platform with restart
policies would see them: the five services started directly, submissions
through Open311 and the native API with an Idempotency-Key, each retried
until answered, while a random service is killed with SIGKILL (and started
again) or frozen with SIGSTOP (and thawed) every few seconds.

Then, Jepsen's way: every acknowledged submission must be assigned, on the
public board, in the audit log and its handler notified, each exactly once,
within a bound after the faults stop; nothing may exist that nobody was
told of; `qfctl audit verify` must pass. The figures are printed.

`make test` runs a short version (about a minute); `make chaos` the long
one (the issue's parameters). Everything is set from the environment:

  QF_CHAOS_SECONDS  how long faults are injected          (short 45, long 165)
  QF_CHAOS_RATE     submissions per second, a range       (short 15-20, long 40-50)
  QF_CHAOS_EVERY    seconds between faults, a range       (2-5)
  QF_CHAOS_DOWN     seconds a service stays down/frozen   (0.2-2)
  QF_CHAOS_BOUND    seconds allowed to heal after faults  (30)
  QF_CHAOS_FAULTS   which faults: "kill stop"
"""
import os
import time
import unittest

from tests.chaos.system import Checker, Load, Monitor, Nemesis, System, figures
from tests.harness.qf import Cluster


def span(name, default):
    v = os.environ.get(name)
    if not v:
        return default
    lo, _, hi = v.partition("-")
    return (float(lo), float(hi or lo))


class WholeSystemFaults(unittest.TestCase):
    def test_kill_and_freeze_any_service_under_load(self):
        seconds = float(os.environ.get("QF_CHAOS_SECONDS") or 45)
        rate = span("QF_CHAOS_RATE", (15, 20))
        every = span("QF_CHAOS_EVERY", (2, 5))
        down = span("QF_CHAOS_DOWN", (0.2, 2))
        bound = float(os.environ.get("QF_CHAOS_BOUND") or 30)
        kinds = tuple((os.environ.get("QF_CHAOS_FAULTS") or "kill stop").split())
        t_start = time.time()
        with Cluster("chaos") as c:
            s = System(c)
            self.addCleanup(s.stop)
            s.start_all()
            load = Load(s, rate=rate)
            mon = Monitor(s, load)
            nem = Nemesis(s, every=every, down=down, kinds=kinds)
            load.start()
            mon.start()
            time.sleep(min(3, seconds / 10))   # the load first, then the faults
            nem.start()
            time.sleep(seconds)
            nem.stop()
            load.stop()
            r = Checker(s, load, nem, mon).run(bound=bound)
            print("\n" + figures(r, seconds, rate))
            print("[chaos] wall time %.0f s" % (time.time() - t_start))
            for key in (r["lost"] + r["doubled"])[:10]:
                print("[chaos] %s: %s" % (key, "; ".join(r["why"][key])))
            self.assertGreater(r["faults"], 0, "no fault was injected")
            self.assertGreater(r["acknowledged"], 0, "nothing was acknowledged")
            self.assertEqual(r["refused"], [], "submissions refused")
            self.assertEqual(r["unanswered"], [], "submissions never answered")
            self.assertEqual(r["lost"], [], "acknowledged submissions lost")
            self.assertEqual(r["doubled"], [], "submissions doubled")
            self.assertEqual(r["extra_cases"], [], "cases nobody was told of")
            self.assertEqual(r["faults_unhealed"], [], "a service never became ready again")
            self.assertIsNotNone(r["converged_s"], "not healed within %g s" % bound)
            self.assertLessEqual(r["converged_s"], bound)
            self.assertEqual(r["verify_rc"], 0, "\n".join(r["verify"]))


if __name__ == "__main__":
    unittest.main()
