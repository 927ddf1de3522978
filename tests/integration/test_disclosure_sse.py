"""The live event stream (/v1/events/stream, Server-Sent Events): resuming
with Last-Event-ID or ?since= misses nothing, keep-alive comments flow on an
idle stream, the viewer limit answers 503, idle streams cost no CPU (a
waiting stream is a suspended connection, not a polling loop), and the
service stops cleanly with streams open."""
import json
import os
import socket
import time
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_disclosure import (Disclosure, Sources, new_case_id, sse_read)


def _cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _open_stream(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /v1/events/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
    s.settimeout(5)
    head = s.recv(4096)
    return s, head


class SseTest(unittest.TestCase):
    def test_resume_after_last_event_id(self):
        with Cluster("dsse") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            ids = [new_case_id() for _ in range(3)]
            for cid in ids:
                src.petition(cid, "safety_hazard", "B01", description=cid)
            d.sync(src)
            # everything the hub holds, from the start
            evs = sse_read(d.http_port, path="/v1/events/stream?since=1",
                           until=lambda e: sum(1 for x in e if x[1] == "case") >= 3)
            cases = [x for x in evs if x[1] == "case"]
            self.assertEqual([json.loads(x[2])["data"]["case_id"] for x in cases], ids)
            # a client that saw the first one resumes after it
            first_id = cases[0][0]
            evs = sse_read(d.http_port, headers={"Last-Event-ID": first_id},
                           until=lambda e: sum(1 for x in e if x[1] == "case") >= 2)
            got = [json.loads(x[2])["data"]["case_id"] for x in evs if x[1] == "case"]
            self.assertEqual(got, ids[1:])
            self.assertEqual([int(x[0]) for x in evs if x[1] == "case"],
                             [int(first_id) + 1, int(first_id) + 2])

    def test_resume_across_a_restart_means_reload(self):
        with Cluster("dsse") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            src.petition(new_case_id(), "safety_hazard", "B01", description="重启前")
            d.sync(src)
            evs = sse_read(d.http_port, path="/v1/events/stream?since=1",
                           until=lambda e: any(x[1] == "case" for x in e))
            old_id = [x for x in evs if x[1] == "case"][0][0]
            d.restart()
            # an id of the earlier run: the page must reload, not miss things
            evs = sse_read(d.http_port, headers={"Last-Event-ID": old_id},
                           until=lambda e: any(x[1] == "reset" for x in e))
            self.assertEqual([x[1] for x in evs if x[1] != "counters"][0], "reset")

    def test_keepalive_comments(self):
        with Cluster("dsse") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())  # harness: keep-alive every 2 s
            evs = sse_read(d.http_port, until=lambda e: any(x[1] == "comment" for x in e),
                           timeout=10)
            self.assertIn((None, "comment", "ping"), evs)

    def test_viewer_limit(self):
        with Cluster("dsse") as c:
            src = Sources(c)
            d = Disclosure(c, src.all(), disclosure_extra="sse_max_clients = 2;")
            socks = [_open_stream(d.http_port) for _ in range(2)]
            for s, head in socks:
                self.assertIn(b"200", head.split(b"\r\n")[0])
            st, hd, body = d.get("/v1/events/stream")
            self.assertEqual(st, 503)
            self.assertEqual(json.loads(body)["code"], "too_many_viewers")
            self.assertEqual(hd.get("retry-after"), "30")
            for s, _ in socks:
                s.close()
            # a closed client frees its place once the server notices (on its
            # next write: a keep-alive within 2 s)
            self.assertTrue(self._wait_free(d))

    def _wait_free(self, d, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = socket.create_connection(("127.0.0.1", d.http_port))
            s.sendall(b"GET /v1/events/stream HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(5)
            head = s.recv(4096)
            s.close()
            if head.startswith(b"HTTP/1.1 200"):
                return True
            time.sleep(0.3)
        return False

    def test_idle_streams_do_not_spin(self):
        with Cluster("dsse") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            socks = [_open_stream(d.http_port) for _ in range(4)]
            time.sleep(0.5)
            t0 = _cpu_ticks(d.proc.pid)
            time.sleep(2.0)
            used = _cpu_ticks(d.proc.pid) - t0
            hz = os.sysconf("SC_CLK_TCK")
            # a busy-polling stream would burn a core per HTTP thread
            self.assertLess(used, hz // 2, "idle streams used %d ticks in 2 s" % used)
            # and they still deliver
            src.petition(new_case_id(), "safety_hazard", "B01", description="仍能收到")
            data = b""
            s = socks[0][0]
            deadline = time.time() + 10
            while b"event: case" not in data and time.time() < deadline:
                data += s.recv(65536)
            self.assertIn(b"event: case", data)
            for s, _ in socks:
                s.close()

    def test_clean_stop_with_open_streams(self):
        with Cluster("dsse") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            socks = [_open_stream(d.http_port) for _ in range(3)]
            rc = d.proc.stop(timeout=10)
            self.assertEqual(rc, 0, d.proc.output()[-2000:])
            for s, _ in socks:
                s.close()


if __name__ == "__main__":
    unittest.main()
