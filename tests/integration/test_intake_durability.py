"""intake durability: SIGKILL under load. Every submission answered 201 is
present after the restart and reaches a subscriber exactly once; retries of
the requests whose answer was lost (same Idempotency-Key) never make a
second case."""
import http.client
import json
import os
import signal
import subprocess
import threading
import time
import unittest

from tests.harness.qf import SLOW, Cluster, binary, sanitizer_env, wait_until
from tests.harness.svc_intake import SAMPLE, IntakeService, bearer


class Client(threading.Thread):
    """Posts petitions on one keep-alive connection until told to stop."""

    def __init__(self, port, n, stop):
        super().__init__(daemon=True)
        self.port, self.n, self.stop_ev = port, n, stop
        self.ok = {}        # idempotency key -> case id (answered 201)
        self.unknown = []   # keys whose answer never came

    def run(self):
        conn = None
        i = 0
        while not self.stop_ev.is_set():
            key = "dur-%d-%d" % (self.n, i)
            body = json.dumps(dict(SAMPLE, building="B%02d" % (1 + i % 12)),
                              ensure_ascii=False).encode()
            i += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("POST", "/v1/petitions", body,
                             {"Content-Type": "application/json", "Idempotency-Key": key})
                r = conn.getresponse()
                data = r.read()
                if r.status == 201:
                    self.ok[key] = json.loads(data)["case_id"]
                else:
                    self.unknown.append(key)
            except (OSError, http.client.HTTPException):
                self.unknown.append(key)
                if conn:
                    conn.close()
                conn = None
                if self.stop_ev.is_set():
                    break
                time.sleep(0.05)
        if conn:
            conn.close()


class DurabilityTest(unittest.TestCase):
    def test_sigkill_under_load(self):
        with Cluster("intake-kill") as c:
            it = IntakeService(c)
            # a subscriber that lives through the crash (heals by replay)
            out_path = c.path("watch.jsonl")
            watch_out = open(out_path, "wb")
            watch = subprocess.Popen(
                [binary("qfctl"), "watch", "--from-start", "--json", "--type",
                 "PETITION_SUBMITTED", "%s,%s" % (it.pub, it.replay)],
                stdout=watch_out, stderr=subprocess.DEVNULL, cwd=c.dir,
                env=sanitizer_env(dict(os.environ)), start_new_session=True)
            try:
                stop = threading.Event()
                clients = [Client(it.http_port, n, stop) for n in range(8)]
                for cl in clients:
                    cl.start()
                wait_until(lambda: sum(len(cl.ok) for cl in clients) >= 300, timeout=30,
                           what="load running")
                it.kill()                      # SIGKILL: nothing flushed, no goodbye
                stop.set()
                for cl in clients:
                    cl.join(30)
                answered = {}
                for cl in clients:
                    answered.update(cl.ok)
                unknown = [k for cl in clients for k in cl.unknown]
                self.assertGreaterEqual(len(answered), 300)
                it.start()
                # 1. every 201 is still there
                missing = []
                for key, cid in answered.items():
                    st, _ = it.json("GET", "/v1/cases/%s" % cid, headers=bearer("staff"))
                    if st != 200:
                        missing.append(cid)
                self.assertEqual(missing, [])
                # 2. the answers whose fate was unknown: a retry with the same
                #    key gives the case that was committed, or makes it now
                for key in unknown:
                    n = int(key.split("-")[2])
                    body = dict(SAMPLE, building="B%02d" % (1 + n % 12))
                    st, ans = it.petition(body, {"Idempotency-Key": key})
                    self.assertEqual(st, 201, ans)
                    answered[key] = ans["case_id"]
                # retrying an answered one replays it
                k0, c0 = next(iter(answered.items()))
                n0 = int(k0.split("-")[2])
                st, ans = it.petition(dict(SAMPLE, building="B%02d" % (1 + n0 % 12)),
                                      {"Idempotency-Key": k0})
                self.assertEqual((st, ans["case_id"]), (201, c0))
                # 3. the subscriber saw each case exactly once
                want = set(answered.values())

                def read_ids():
                    # complete lines only: the watcher may be mid-line
                    with open(out_path, "rb") as f:
                        data = f.read()
                    lines = data.split(b"\n")[:-1]
                    return [json.loads(line)["case_id"] for line in lines if line.strip()]

                def seen():
                    ids = read_ids()
                    return ids if want <= set(ids) else None
                wait_until(seen, timeout=30, what="subscriber caught up")
                time.sleep(0.5 * SLOW)  # anything duplicated would arrive now
                ids = read_ids()
                from collections import Counter
                dup = {x for x, n in Counter(ids).items() if n > 1}
                self.assertEqual(dup, set())
                self.assertEqual(set(ids), want)
                self.assertEqual(len(ids), len(want))
                self.assertEqual(it.stop(), 0)
            finally:
                watch.send_signal(signal.SIGTERM)
                try:
                    watch.wait(10)
                except subprocess.TimeoutExpired:
                    watch.kill()
                watch_out.close()


if __name__ == "__main__":
    unittest.main()
