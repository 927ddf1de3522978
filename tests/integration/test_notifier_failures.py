"""Deliveries that survive everything: receivers answering 500, refusing for
good, answering too slowly, being down, and the notifier itself killed with
SIGKILL mid-send. Every intended delivery arrives under its one stable id
(receivers may see an id twice, never two ids for one delivery), failures
are retried with backoff and surfaced as DELIVERY_FAILED, exhausted ones
become dead letters that an operator releases over HTTP or with qfctl."""
import os
import time
import unittest

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_notifier import (TOKEN, Notifier, Receiver, SmtpSink, Watch,
                                        channels_text, new_case_id, petition, qfctl,
                                        transition)

BODY = """
templates = (
  { name = "t_assigned"; subject = "派单 {tracking_code}"; text = "{recipient}：{category}，{building}，{tracking_code}"; },
  { name = "t_progress"; subject = "进展 {tracking_code}"; text = "进展：{progress}"; }
);
rules = (
  { name = "assigned_hook"; event = "CASE_ASSIGNED"; recipients = [ "assignee", "supervisor" ];
    channels = [ "hook" ]; template = "t_assigned"; },
  { name = "reopened_slow"; event = "CASE_REOPENED"; recipients = [ "assignee" ];
    channels = [ "slowhook" ]; template = "t_assigned"; },
  { name = "escalated_wecom"; event = "CASE_ESCALATED"; recipients = [ "assignee" ];
    channels = [ "wecom" ]; template = "t_assigned"; },
  { name = "progress_sms"; event = "CASE_PROGRESS"; recipients = [ "petitioner" ];
    channels = [ "sms" ]; template = "t_progress"; },
  { name = "accepted_narrow"; event = "CASE_ACCEPTED"; recipients = [ "assignee" ];
    channels = [ "narrow" ]; template = "t_assigned"; },
  { name = "extension_paced"; event = "EXTENSION_REQUESTED"; recipients = [ "secretary" ];
    channels = [ "paced" ]; template = "t_assigned"; }
);
"""

SLOW_CHANNEL = """,
  { name = "slowhook"; type = "webhook"; url = "%s/hook-slow"; secret_file = "webhook.secret";
    max_attempts = 4; backoff_ms = 100; backoff_max_ms = 300; timeout_ms = 600; },
  { name = "narrow"; type = "webhook"; url = "%s/narrow"; secret_file = "webhook.secret";
    concurrency = 2; max_attempts = 4; backoff_ms = 100; },
  { name = "paced"; type = "webhook"; url = "%s/paced"; secret_file = "webhook.secret";
    rate_per_s = 4.0; max_attempts = 4; backoff_ms = 100; }"""


class NotifierFailureTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("notifier-fail")
        self.addCleanup(self.c.close)
        self.router = Emitter(self.c, "router")
        self.intake = Emitter(self.c, "intake")
        self.rx = Receiver()
        self.addCleanup(self.rx.stop)
        self.smtp = None
        self.n = Notifier(self.c, [self.intake, self.router], self.rx, self.smtp, body=BODY,
                          follow=False,
                          channels=channels_text(self.rx, None, SLOW_CHANNEL % ((self.rx.base,) * 3)))
        self.watch = Watch(self.c, self.n)

    def tearDown(self):
        if self.n.proc.alive():
            self.n.stop_clean()

    def hook_deliveries(self, cid):
        return [d for d in self.n.deliveries(cid) if d["channel"] == "hook"]

    def wait_state(self, cid, state, count, timeout=15):
        return wait_until(lambda: (lambda ds: ds if len(ds) == count and all(
            d["state"] == state for d in ds) else None)(self.hook_deliveries(cid)),
            timeout=timeout, what="%d hook deliveries %s" % (count, state))

    def test_server_errors_are_retried_under_the_same_id(self):
        self.rx.plan("/hook", [("status", 500), ("status", 503)])
        cid = new_case_id()
        transition(self.router, "CASE_ASSIGNED", cid, assignee="s04")
        ds = self.wait_state(cid, "delivered", 2)
        attempts = sorted(d["attempts"] for d in ds)
        self.assertEqual(sum(attempts), 4, attempts)   # two failures, two successes
        self.assertEqual(self.rx.problems(), [])
        for d in ds:
            reqs = [r for r in self.rx.requests("/hook") if r["headers"]["x-qf-delivery"] == d["id"]]
            self.assertEqual([int(r["headers"]["x-qf-attempt"]) for r in reqs],
                             list(range(1, d["attempts"] + 1)))
            # the body's delivery id is the header's, signed with each attempt
            self.assertTrue(all(r["json"]["delivery_id"] == d["id"] for r in reqs))
        failed = wait_until(lambda: len(self.watch.payloads("DELIVERY_FAILED", cid)) >= 2 and
                            self.watch.payloads("DELIVERY_FAILED", cid), timeout=10)
        self.assertEqual(sorted(f["error"] for f in failed), ["http 500", "http 503"])
        ok = wait_until(lambda: len(self.watch.payloads("DELIVERY_DELIVERED", cid)) >= 2 and
                        self.watch.payloads("DELIVERY_DELIVERED", cid), timeout=10)
        self.assertEqual(sorted(o["delivery_id"] for o in ok), sorted(d["id"] for d in ds))
        self.assertEqual({o["channel"] for o in ok}, {"webhook"})

    def test_refusal_dead_letters_at_once(self):
        self.rx.plan("/hook", [("status", 404), ("status", 404)])
        cid = new_case_id()
        transition(self.router, "CASE_ASSIGNED", cid, assignee="s05", building="B06")
        ds = self.wait_state(cid, "dead", 2)
        self.assertTrue(all(d["attempts"] == 1 and d["last_error"] == "http 404" for d in ds))
        dead = self.n.dead()
        self.assertEqual(sorted(d["id"] for d in dead), sorted(d["id"] for d in ds))
        dl = wait_until(lambda: len(self.watch.payloads("DELIVERY_DEAD_LETTERED", cid)) == 2 and
                        self.watch.payloads("DELIVERY_DEAD_LETTERED", cid), timeout=10)
        self.assertEqual({p["error"] for p in dl}, {"http 404"})
        self.assertEqual({p["rule"] for p in dl}, {"assigned_hook"})

    def test_receiver_down_then_released_over_http_and_qfctl(self):
        self.rx.stop()
        cid = new_case_id()
        transition(self.router, "CASE_ASSIGNED", cid, assignee="s06", building="B10")
        ds = self.wait_state(cid, "dead", 2)
        self.assertTrue(all(d["attempts"] == 4 for d in ds), ds)   # max_attempts
        self.assertTrue(all("connect" in d["last_error"].lower() for d in ds), ds)
        # qfctl lists them
        env = {"QF_NOTIFIER_URL": "http://127.0.0.1:%d" % self.n.http_port, "QF_TOKEN": TOKEN}
        out = qfctl(self.c, "notify", "dead-letters", env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        for d in ds:
            self.assertIn(d["id"], out.stdout)
        self.rx.start()
        # one released over HTTP, the other with qfctl
        st, body = self.n.api("POST", "/v1/dead-letters/%s/release" % ds[0]["id"])
        self.assertEqual((st, body["state"]), (200, "pending"))
        out = qfctl(self.c, "notify", "release", ds[1]["id"], env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("released " + ds[1]["id"], out.stdout)
        done = self.wait_state(cid, "delivered", 2)
        self.assertEqual(sorted(d["id"] for d in done), sorted(d["id"] for d in ds))
        self.assertTrue(all(d["attempts"] == 1 for d in done))  # counted from the release
        self.assertEqual(self.n.dead(), [])
        rel = wait_until(lambda: len(self.watch.payloads("DELIVERY_RELEASED", cid)) == 2 and
                         self.watch.payloads("DELIVERY_RELEASED", cid), timeout=10)
        self.assertEqual({p["error"] for p in rel}, {"released by s01"})
        # releasing again is refused: not a dead letter any more
        st, body = self.n.api("POST", "/v1/dead-letters/%s/release" % ds[0]["id"])
        self.assertEqual((st, body["code"]), (409, "not_dead"))
        out = qfctl(self.c, "notify", "release", ds[0]["id"], env=env)
        self.assertEqual(out.returncode, 1)
        self.assertIn("not a dead letter", out.stderr)

    def test_release_all_of_a_channel(self):
        self.rx.stop()
        cids = [new_case_id() for _ in range(3)]
        for cid in cids:
            transition(self.router, "CASE_ASSIGNED", cid, assignee="s04")
        wait_until(lambda: len(self.n.dead()) == 6, timeout=20, what="6 dead letters")
        self.rx.start()
        env = {"QF_NOTIFIER_URL": "http://127.0.0.1:%d" % self.n.http_port, "QF_TOKEN": TOKEN}
        out = qfctl(self.c, "notify", "release", "--all", "--channel", "hook", env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("6 released", out.stderr)
        for cid in cids:
            self.wait_state(cid, "delivered", 2)

    def test_slow_answers_time_out_and_are_retried(self):
        self.rx.plan("/hook-slow", [("delay", 1.5)])
        cid = new_case_id()
        transition(self.router, "CASE_REOPENED", cid, assignee="s04", to_state="STATE_REOPENED")
        d = wait_until(lambda: [d for d in self.n.deliveries(cid) if d["state"] == "delivered"],
                       timeout=15)[0]
        self.assertGreaterEqual(d["attempts"], 2)
        failed = wait_until(lambda: self.watch.payloads("DELIVERY_FAILED", cid), timeout=10)
        self.assertIn("timeout", failed[0]["error"].lower())
        # the slow first attempt may have been processed too: same id, never another
        time.sleep(1.6)
        self.assertEqual(set(self.rx.ids("/hook-slow", ok_only=False)), {d["id"]})

    def test_concurrency_limit_per_channel(self):
        self.rx.always("/narrow", ("delay", 0.3))
        cids = [new_case_id() for _ in range(6)]
        for cid in cids:
            transition(self.router, "CASE_ACCEPTED", cid, assignee="s04",
                       to_state="STATE_ACCEPTED")
        wait_until(lambda: len(self.rx.requests("/narrow", ok_only=True)) >= 6, timeout=20)
        # never more than the channel's concurrency at the receiver at once
        self.assertEqual(self.rx.max_active["/narrow"], 2)

    def test_rate_limit_per_channel(self):
        cids = [new_case_id() for _ in range(10)]
        for cid in cids:
            transition(self.router, "EXTENSION_REQUESTED", cid, assignee="s04",
                       to_state="STATE_ACCEPTED", extension_hours=24)
        reqs = wait_until(lambda: (lambda r: r if len(r) >= 10 else None)(
            self.rx.requests("/paced")), timeout=20)
        # 4 a second with a burst of 4: the last of 10 is sent 1.5 s after
        # the first. Measured at the receiver, the first may arrive late
        # (seen: 1.33 s), so the bound is 1 s; unlimited, all 10 would land
        # within a few milliseconds.
        self.assertGreaterEqual(reqs[9]["time"] - reqs[0]["time"], 1.0)

    def test_robot_error_codes(self):
        self.rx.plan("/wecom", [("errcode", 45009)])
        a, b = new_case_id(), new_case_id()
        transition(self.router, "CASE_ESCALATED", a, assignee="s04")
        ok = wait_until(lambda: [d for d in self.n.deliveries(a) if d["state"] == "delivered"],
                        timeout=15)
        self.assertEqual(ok[0]["attempts"], 2)       # 45009: too fast, retried
        self.rx.plan("/wecom", [("errcode", 93000)])
        transition(self.router, "CASE_ESCALATED", b, assignee="s04")
        dead = wait_until(lambda: [d for d in self.n.deliveries(b) if d["state"] == "dead"],
                          timeout=15)
        self.assertEqual(dead[0]["attempts"], 1)     # 93000: bad webhook, refused
        self.assertIn("93000", dead[0]["last_error"])

    def test_sms_gateway_without_success_mark_is_retried(self):
        self.rx.plan("/sms", [("errcode", 1)])       # 200 but not the "OK" mark
        cid = new_case_id()
        petition(self.intake, cid, contact={"phone": "13700001234"}, pk=self.n.seal_pk)
        transition(self.router, "CASE_PROGRESS", cid, to_state="STATE_IN_PROGRESS",
                   progress="维修工明天上门。")
        d = wait_until(lambda: [d for d in self.n.deliveries(cid) if d["state"] == "delivered"],
                       timeout=15)[0]
        # at least the refused attempt and the good one (one more if the
        # router's event was read before intake's and waited for the contact)
        self.assertGreaterEqual(d["attempts"], 2)
        self.assertEqual(d["recipient"], "137****1234")
        # the gateway's answer without the success mark was retried
        self.assertGreater(len(self.rx.requests("/sms")), len(self.rx.requests("/sms", ok_only=True)))
        sms = self.rx.requests("/sms", ok_only=True)
        self.assertEqual(sms[-1]["json"]["to"], "13700001234")
        self.assertEqual(sms[-1]["json"]["content"], "进展：维修工明天上门。")

    def test_router_event_before_the_petition_waits_for_the_contact(self):
        cid = new_case_id()
        # the router's stream is read before intake's: no contact yet
        transition(self.router, "CASE_PROGRESS", cid, to_state="STATE_IN_PROGRESS",
                   progress="已派人查看。")
        wait_until(lambda: [d for d in self.n.deliveries(cid) if d["attempts"] >= 1], timeout=10)
        d = self.n.deliveries(cid)[0]
        self.assertEqual(d["state"], "pending")
        self.assertIn("contact_pending", d["last_error"])
        petition(self.intake, cid, contact={"phone": "13600005678"}, pk=self.n.seal_pk)
        d = wait_until(lambda: [d for d in self.n.deliveries(cid) if d["state"] == "delivered"],
                       timeout=15)[0]
        self.assertEqual(self.rx.requests("/sms", ok_only=True)[-1]["json"]["to"], "13600005678")

    def test_sigkill_mid_send_loses_nothing_and_makes_no_new_id(self):
        self.rx.always("/hook", ("delay", 8))         # answers hang
        cids = [new_case_id() for _ in range(4)]
        for cid in cids:
            transition(self.router, "CASE_ASSIGNED", cid, assignee="s04")
        # every delivery is in flight (the receiver holds the requests)
        wait_until(lambda: len(set(self.rx.ids("/hook", ok_only=False))) == 8, timeout=15,
                   what="8 deliveries in flight")
        planned = {d["id"] for cid in cids for d in self.n.deliveries(cid)}
        self.assertEqual(len(planned), 8)
        self.assertTrue(all(d["state"] == "pending" for cid in cids
                            for d in self.n.deliveries(cid)))
        self.n.kill()
        self.rx.always("/hook", None)
        self.n.start()
        for cid in cids:
            self.wait_state(cid, "delivered", 2)
        after = {d["id"] for cid in cids for d in self.n.deliveries(cid)}
        self.assertEqual(after, planned)               # no delivery lost, none added
        got = self.rx.ids("/hook", ok_only=False)
        self.assertEqual(set(got), planned)            # receivers saw only these ids
        self.assertEqual(len(got), 16)                 # each twice: before and after
        self.assertEqual(self.rx.problems(), [])

    def test_crash_while_consuming_keeps_exactly_one_delivery_per_recipient(self):
        cids = [new_case_id() for _ in range(30)]
        for cid in cids:
            transition(self.router, "CASE_ASSIGNED", cid, assignee="s05", building="B07")
        self.n.kill()
        self.n.start()
        for cid in cids:
            transition(self.router, "CASE_PROGRESS", cid, to_state="STATE_IN_PROGRESS",
                       building="B07", assignee="s05", progress="处理中")
        self.n.kill()
        self.n.start()
        total = wait_until(lambda: (lambda ds: ds if len(ds) == 60 and all(
            d["state"] == "delivered" for d in ds) else None)(
            [d for d in self.n.deliveries() if d["channel"] == "hook"]), timeout=30)
        self.assertEqual(len({d["id"] for d in total}), 60)
        got = self.rx.ids("/hook")
        self.assertEqual(set(got), {d["id"] for d in total})


if __name__ == "__main__":
    unittest.main()
