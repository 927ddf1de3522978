"""qfctl: the operator's command line against real producers.

watch prints every event decoded, one line each (or JSON), replays history
first with --from-start, shows only new events without it; store stat shows a
store's streams; bad arguments get a usage error, not a crash.
"""
import pathlib
import json
import subprocess
import time
import unittest

from tests.harness.qf import Cluster, Emitter, binary, sanitizer_env, wait_until
import os


class QfctlTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("qfctl")
        self.addCleanup(self.c.close)
        self.em = Emitter(self.c, "intake")
        for i in range(5):
            self.em.emit("PETITION_SUBMITTED", key="B0%d" % (i % 3), case_id="C%d" % i,
                         payload={"case_id": "C%d" % i, "category": "safety_hazard",
                                  "building": "B0%d" % (i % 3), "description": "楼道堆物 %d" % i})

    def qfctl(self, *args, timeout=30):
        return self.c.run([binary("qfctl")] + list(args), timeout=timeout)

    def test_watch_from_start_json(self):
        r = self.qfctl("watch", "--from-start", "--json", "--count", "5", "--timeout", "20",
                       "%s,%s" % (self.em.pub, self.em.replay))
        self.assertEqual(r.returncode, 0, r.stderr)
        events = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(len(events), 5)
        self.assertEqual({e["case_id"] for e in events}, {"C%d" % i for i in range(5)})
        for e in events:
            self.assertEqual(e["type"], "PETITION_SUBMITTED")
            self.assertEqual(e["producer"], "intake")
            self.assertTrue(e["payload"]["description"].startswith("楼道堆物"))

    def test_watch_live_only_and_type_filter(self):
        env = sanitizer_env(dict(os.environ))
        w = subprocess.Popen([binary("qfctl"), "watch", "--type", "CASE_ACCEPTED",
                              "--count", "1", "--timeout", "30",
                              "%s,%s" % (self.em.pub, self.em.replay)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            time.sleep(1.5)  # let it learn where the streams end
            # a type it does not want, then the one it wants
            self.em.emit("CASE_PROGRESS", key="B01", case_id="C1", payload={"case_id": "C1"})
            self.em.emit("CASE_ACCEPTED", key="B01", case_id="C1",
                         payload={"case_id": "C1", "assignee": "s04"})
            out, err = w.communicate(timeout=30)
        finally:
            if w.poll() is None:
                w.kill()
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out + err)
        self.assertIn("CASE_ACCEPTED case=C1", lines[0])
        self.assertIn('"assignee":"s04"', lines[0])
        # history (the five petitions) was not printed
        self.assertNotIn("PETITION_SUBMITTED", out)

    def test_store_stat(self):
        store = self.c.path("emit-intake", "store")
        r = self.qfctl("store", "stat", store)
        self.assertEqual(r.returncode, 0, r.stderr)
        streams = [l for l in r.stdout.splitlines() if l.startswith("stream ")]
        total = sum(int(dict(p.split("=") for p in l.split()[1:])["seq"]) for l in streams)
        self.assertEqual(total, 5)
        self.assertIn("database   name=bus.outbox entries=5", r.stdout)

    def test_bad_arguments(self):
        for args, want in ((["watch"], "give 1.."), (["watch", "nowhere"], "not a service"),
                           (["watch", "--type", "NOPE", "intake"], "unknown event type"),
                           (["store", "stat", self.c.path("nothing")], "no store"),
                           (["frobnicate"], "unknown command")):
            r = self.qfctl(*args)
            self.assertIn(r.returncode, (1, 2), args)
            self.assertIn(want, r.stderr, args)


if __name__ == "__main__":
    unittest.main()


class QfctlCurveTest(unittest.TestCase):
    """qfctl watch against a producer with CURVE on: a watcher whose key is
    in the allow file sees the events, one with another key sees nothing."""

    def test_watch_with_curve(self):
        from tests.harness.svc_intake import SAMPLE, IntakeService
        c = Cluster("qfctl-curve")
        self.addCleanup(c.close)
        keys = {}
        for name in ("intake", "watcher", "rogue"):
            prefix = c.path("keys", name)
            c.run([binary("qfctl"), "keygen", "--out", prefix], check=True)
            keys[name] = prefix
        c.write("keys/allow", pathlib.Path(keys["watcher"] + ".pub").read_text())
        it = IntakeService(c, sections={"curve": 'enabled = true; public_key_file = "%s.pub"; '
                                                  'secret_key_file = "%s.key"; allow_file = "%s";'
                                                  % (keys["intake"], keys["intake"],
                                                     c.path("keys", "allow"))})
        st, r = it.json("POST", "/v1/petitions", SAMPLE)
        self.assertEqual(st, 201, r)
        src = "%s,%s@%s.pub" % (it.pub, it.replay, keys["intake"])
        ok = c.run([binary("qfctl"), "watch", "--from-start", "--json", "--count", "1",
                    "--timeout", "20", "--curve", keys["watcher"], src], timeout=40)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn(r["case_id"], ok.stdout)
        bad = c.run([binary("qfctl"), "watch", "--from-start", "--json", "--count", "1",
                     "--timeout", "4", "--curve", keys["rogue"], src], timeout=40)
        self.assertEqual(bad.stdout, "")
        self.assertIn("zap_denied", it.proc.output())
        # and without CURVE at all: nothing either
        plain = c.run([binary("qfctl"), "watch", "--from-start", "--count", "1",
                       "--timeout", "3", "%s,%s" % (it.pub, it.replay)], timeout=40)
        self.assertEqual(plain.stdout, "")
