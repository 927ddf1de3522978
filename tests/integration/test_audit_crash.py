"""audit under SIGKILL: killed again and again while events stream in, it
loses nothing and doubles nothing (the leaf, its indexes and the consumer's
checkpoint commit together), and every checkpoint it signed stays consistent
with the log it has afterwards.
"""
import threading
import time
import unittest

from tests.harness.qf import Cluster, Emitter, SLOW, wait_until
from tests.harness.svc_audit import Audit
from tests.harness.svc_router import new_case_id


class AuditCrashTest(unittest.TestCase):
    def test_sigkill_during_appends_loses_and_doubles_nothing(self):
        c = Cluster("audit-crash")
        self.addCleanup(c.close)
        intake, router = Emitter(c, "intake"), Emitter(c, "router")
        a = Audit(c, [intake, router], checkpoint={"every_entries": 50})
        total = 1200
        done = threading.Event()
        errors = []

        def produce():
            # paced, so that the stream lasts a few seconds whatever the load
            try:
                for i in range(total):
                    cid = new_case_id()
                    b = "B%02d" % (i % 12 + 1)
                    if i % 2:
                        router.emit("CASE_PROGRESS", key=b, case_id=cid,
                                    payload={"case_id": cid, "progress": "第 %d 次" % i})
                    else:
                        intake.emit("PETITION_SUBMITTED", key=b, case_id=cid,
                                    payload={"case_id": cid, "building": b,
                                             "category": "facility_repair"})
                    if i % 20 == 19:
                        time.sleep(0.08)
            except Exception as e:  # surfaced below
                errors.append(e)
            finally:
                done.set()

        t = threading.Thread(target=produce, daemon=True)
        t.start()
        kills = 0
        sizes = []
        while not done.is_set() and kills < 5:
            time.sleep(0.5 * SLOW)
            if done.is_set():
                break
            sizes.append(a.size())
            a.kill()  # while events keep arriving
            kills += 1
            a.start()
        t.join(120)
        self.assertFalse(errors, errors)
        self.assertGreaterEqual(kills, 2, "the stream ended before the kills")
        self.assertTrue(any(0 < s < total for s in sizes), sizes)  # killed mid-stream
        a.wait_size(total, timeout=60)
        a.wait_checkpoint(total)
        self.assertEqual(a.size(), total)  # nothing doubled
        st, s = a.json("/v1/streams")
        self.assertEqual(sum(x["count"] for x in s["streams"]), total)
        self.assertTrue(all(x["complete"] for x in s["streams"]))
        r = a.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("共 %d 个事件" % total, r.stdout)


if __name__ == "__main__":
    unittest.main()
