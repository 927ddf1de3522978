"""The notifier's lists page the one way (docs/API.md, common/qf_page):
cursor + limit in, next_cursor + Link rel="next" out. Walking every list
(all deliveries, one case's, dead letters, the schedule of a channel) page
by page returns each item exactly once; the deprecated after/next still
work for one release; a bad cursor or limit is 400 bad_parameter naming
the field; qfctl walks the pages."""
import json
import unittest
import urllib.parse

from tests.harness import paging
from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_notifier import (TOKEN, Notifier, Receiver, channels_text, new_case_id,
                                        qfctl, transition)

BODY = """
templates = (
  { name = "t_assigned"; subject = "派单 {tracking_code}"; text = "{recipient}：{category}，{building}，{tracking_code}"; }
);
rules = (
  { name = "assigned_hook"; event = "CASE_ASSIGNED"; recipients = [ "assignee", "supervisor" ];
    channels = [ "hook" ]; template = "t_assigned"; }
);
"""


class NotifierPagingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("notifier-paging")
        cls.router = Emitter(cls.c, "router")
        cls.intake = Emitter(cls.c, "intake")
        cls.rx = Receiver()
        cls.n = Notifier(cls.c, [cls.intake, cls.router], cls.rx, None, body=BODY,
                         follow=False, channels=channels_text(cls.rx, None))
        # three cases delivered (two deliveries each), two refused for good
        cls.cids = [new_case_id() for _ in range(4)]
        for cid in cls.cids[:3]:
            transition(cls.router, "CASE_ASSIGNED", cid, assignee="s04")
        wait_until(lambda: len([d for d in cls.n.deliveries() if d["state"] == "delivered"])
                   == 6, timeout=20, what="6 delivered")
        cls.rx.plan("/hook", [("status", 404), ("status", 404)])
        transition(cls.router, "CASE_ASSIGNED", cls.cids[3], assignee="s05")
        wait_until(lambda: len(cls.n.dead()) == 2, timeout=20, what="2 dead letters")

    @classmethod
    def tearDownClass(cls):
        cls.n.stop_clean()
        cls.rx.stop()
        cls.c.close()

    def get(self, path):
        st, hd, data = self.n.proc.request("GET", path,
                                           headers={"Authorization": "Bearer " + TOKEN})
        return st, hd, json.loads(data.decode("utf-8"))

    def everything(self, path):
        st, _, body = self.get(path + ("&" if "?" in path else "?") + "limit=1000")
        self.assertEqual(st, 200, body)
        self.assertIsNone(body["next_cursor"])
        return [i["id"] for i in body["items"]]

    def test_walks_return_each_item_once(self):
        lists = ["/v1/deliveries", "/v1/dead-letters", "/v1/deliveries?state=dead",
                 "/v1/cases/%s/deliveries" % self.cids[0], "/v1/deliveries?channel=hook",
                 "/v1/deliveries?state=delivered&channel=hook"]
        for path in lists:
            want = self.everything(path)
            self.assertTrue(want, path)
            self.assertEqual(len(want), len(set(want)), path)
            for limit in (1, 2, 5):
                sep = "&" if "?" in path else "?"
                got = paging.walk(self, self.get, "%s%slimit=%d" % (path, sep, limit),
                                  "items", "id")
                self.assertEqual(got, want, (path, limit))
        self.assertEqual(len(self.everything("/v1/deliveries")), 8)
        self.assertEqual(len(self.everything("/v1/dead-letters")), 2)

    def test_link_keeps_the_filters_and_drops_after(self):
        st, hd, body = self.get("/v1/deliveries?state=delivered&channel=hook&limit=1")
        self.assertEqual(st, 200, body)
        target = paging.next_link(hd)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        self.assertEqual(q["state"], ["delivered"])
        self.assertEqual(q["channel"], ["hook"])
        self.assertEqual(q["cursor"], [body["next_cursor"]])
        # the deprecated after/next: still answered, and never in the Link
        self.assertTrue(body["next"])
        st, hd2, body2 = self.get("/v1/deliveries?state=delivered&channel=hook&limit=1&after="
                                  + body["next"])
        self.assertEqual(st, 200, body2)
        st, _, body3 = self.get(target)
        self.assertEqual([i["id"] for i in body2["items"]], [i["id"] for i in body3["items"]])
        self.assertNotIn("after=", paging.next_link(hd2))

    def test_bad_cursor_and_limit(self):
        for q, field in (("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit"),
                         ("cursor=%25%25", "cursor"), ("cursor=" + "A" * 300, "cursor"),
                         ("cursor=a", "cursor"), ("after=zz", "after")):
            for path in ("/v1/deliveries", "/v1/dead-letters",
                         "/v1/cases/%s/deliveries" % self.cids[0]):
                st, _, body = self.get(path + "?" + q)
                self.assertEqual((st, body.get("code"), body.get("field")),
                                 (400, "bad_parameter", field), (path, q, body))

    def test_qfctl_walks_the_pages(self):
        env = {"QF_NOTIFIER_URL": "http://127.0.0.1:%d" % self.n.http_port, "QF_TOKEN": TOKEN}
        out = qfctl(self.c, "notify", "dead-letters", "--json", env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        for i in self.everything("/v1/dead-letters"):
            self.assertEqual(out.stdout.count(i), 1, i)


if __name__ == "__main__":
    unittest.main()
