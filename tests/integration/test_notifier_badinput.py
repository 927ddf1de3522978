"""Every kind of bad input, one test each: malformed HTTP requests to the
follow and operator endpoints (answered with JSON {code, message, field}
and the right status), unauthorised operators, and events the notifier
cannot use (missing fields, contacts that do not open, names too long),
which are skipped or end as dead letters without stopping anything else."""
import json
import time
import unittest

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_notifier import (Notifier, Receiver, SmtpSink, new_case_id, petition,
                                        qfctl, seal, transition)


class NotifierBadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("notifier-bad")
        cls.intake = Emitter(cls.c, "intake")
        cls.router = Emitter(cls.c, "router")
        cls.rx = Receiver()
        cls.smtp = SmtpSink()
        cls.n = Notifier(cls.c, [cls.intake, cls.router], cls.rx, cls.smtp)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.n.stop_clean()
        finally:
            cls.c.close()
            cls.rx.stop()
            cls.smtp.stop()

    # ------------------------------------------------------------ helpers
    def post_follow(self, body, raw=None, ctype="application/json"):
        if raw is None:
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        st, _, data = self.n.proc.request("POST", "/v1/follows", body=raw,
                                          headers={"Content-Type": ctype})
        try:
            return st, json.loads(data.decode("utf-8"))
        except ValueError:
            return st, None

    def assertRefused(self, got, status, code, field=None):
        st, body = got
        self.assertEqual(st, status, body)
        self.assertEqual(body["code"], code, body)
        self.assertTrue(body["detail"])
        if field is not None:
            self.assertEqual(body["field"], field, body)

    def follow(self, **kw):
        body = {"target": "building:B03", "channel": "email", "address": "a@example.cn"}
        body.update(kw)
        return self.post_follow({k: v for k, v in body.items() if v is not None})

    # ------------------------------------------------------------ follows
    def test_follow_not_json(self):
        self.assertRefused(self.post_follow(None, raw=b"{target: building"), 400, "malformed_json")

    def test_follow_wrong_content_type(self):
        self.assertRefused(self.post_follow(None, raw=b"target=building:B03",
                                            ctype="application/x-www-form-urlencoded"),
                           415, "unsupported_media_type")

    def test_follow_body_too_large(self):
        self.assertRefused(self.follow(address="a" * 9000 + "@example.cn"), 413, "body_too_large")

    def test_follow_unknown_field(self):
        self.assertRefused(self.follow(colour="red"), 400, "unknown_field", "colour")

    def test_follow_field_not_a_string(self):
        self.assertRefused(self.post_follow({"target": ["building:B03"], "channel": "email",
                                             "address": "a@example.cn"}),
                           400, "invalid_type", "target")

    def test_follow_missing_target(self):
        self.assertRefused(self.follow(target=None), 400, "missing_field", "target")

    def test_follow_missing_address(self):
        self.assertRefused(self.follow(address=None), 400, "missing_field", "address")

    def test_follow_unknown_channel(self):
        self.assertRefused(self.follow(channel="pigeon"), 400, "invalid_channel", "channel")

    def test_follow_by_sms_not_offered(self):
        # SMS follows exist, but this community names no follow.sms_channel
        self.assertRefused(self.follow(channel="sms"), 400, "channel_not_offered", "channel")

    def test_follow_bad_target(self):
        self.assertRefused(self.follow(target="street:1"), 400, "invalid_target", "target")

    def test_follow_unknown_building(self):
        self.assertRefused(self.follow(target="building:B99"), 400, "invalid_target", "target")

    def test_follow_bad_email(self):
        for bad in ("no-at-sign", "a@b", "a b@example.cn", "<a@example.cn>", "a@@example.cn"):
            self.assertRefused(self.follow(address=bad), 400, "invalid_address", "address")

    def test_follow_url_not_allowed(self):
        for bad in ("http://evil.example/hook", "file:///etc/passwd",
                    self.rx.base + "/x y", "ftp://127.0.0.1/"):
            self.assertRefused(self.follow(channel="webhook", address=bad), 400,
                               "invalid_address", "address")

    def test_follow_secret_rules(self):
        self.assertRefused(self.follow(channel="webhook", address=self.rx.base + "/follow/a",
                                       secret="short"), 400, "invalid_secret", "secret")
        self.assertRefused(self.follow(secret="long-enough-secret"), 400, "invalid_secret",
                           "secret")

    def test_follow_token_checks(self):
        st, body = self.follow(address="tok@example.cn")
        self.assertEqual(st, 202)
        fid = body["id"]
        st, body = self.n.proc.json("POST", "/v1/follows/%s/confirm?token=%s" % (fid, "0" * 32))
        self.assertRefused((st, body), 403, "bad_token", "token")
        st, body = self.n.proc.json("POST", "/v1/follows/%s/unsubscribe" % fid)
        self.assertRefused((st, body), 403, "bad_token", "token")
        st, body = self.n.proc.json("POST", "/v1/follows/nonsense/confirm?token=" + "0" * 32)
        self.assertRefused((st, body), 404, "follow_unknown", "id")
        st, _, page = self.n.proc.request("GET", "/v1/follows/%s/confirm?token=bad" % fid)
        self.assertEqual(st, 403)
        self.assertIn("链接无效".encode(), page)
        st, body = self.n.proc.json("GET", "/v1/follows/%s?token=bad" % fid)
        self.assertRefused((st, body), 403, "bad_token")

    def test_follow_sent_to_the_wrong_instance(self):
        def instance_of(building, n=2):
            h = 2166136261
            for b in building.encode():
                h = ((h ^ b) * 16777619) & 0xffffffff
            return (h % 16) % n
        mine = [b for b in ("B%02d" % i for i in range(1, 13)) if instance_of(b) == 0][0]
        other = [b for b in ("B%02d" % i for i in range(1, 13)) if instance_of(b) == 1][0]
        n0 = Notifier(self.c, [self.intake, self.router], self.rx, self.smtp, node="n0of2",
                      key_file="n0.key", instance=0, instances=2)
        st, body = n0.proc.json("POST", "/v1/follows", body={
            "target": "building:" + other, "channel": "email", "address": "i@example.cn"})
        self.assertRefused((st, body), 421, "wrong_instance", "target")
        st, body = n0.proc.json("POST", "/v1/follows", body={
            "target": "building:" + mine, "channel": "email", "address": "i@example.cn"})
        self.assertEqual(st, 202, body)
        n0.stop_clean()

    def test_wrong_method(self):
        st, body = self.n.proc.json("DELETE", "/v1/follows")
        self.assertRefused((st, body), 405, "method_not_allowed")

    # ------------------------------------------------------------ operators
    def test_operator_endpoints_need_a_token(self):
        for method, path in (("GET", "/v1/deliveries"), ("GET", "/v1/dead-letters"),
                             ("GET", "/v1/status"), ("POST", "/v1/dispatch/pause"),
                             ("POST", "/v1/dead-letters/%s/release" % ("0" * 32))):
            st, body = self.n.api(method, path, token=None)
            self.assertRefused((st, body), 401, "missing_token", "Authorization")
            st, body = self.n.api(method, path, token="qf-dev-wrong")
            self.assertRefused((st, body), 401, "invalid_token", "Authorization")

    def test_operator_role_is_checked(self):
        st, body = self.n.api("GET", "/v1/dead-letters", token="qf-dev-s04")  # building head
        self.assertRefused((st, body), 403, "forbidden_role")
        # reading is not operating: the supervisor reads, only the secretary
        # pauses dispatch and releases dead letters (the community's roles)
        st, body = self.n.api("POST", "/v1/dispatch/pause", token="qf-dev-s02")
        self.assertRefused((st, body), 403, "forbidden_role")
        st, body = self.n.api("GET", "/v1/dead-letters", token="qf-dev-s02")
        self.assertEqual(st, 200, body)

    def test_list_bad_parameters(self):
        self.assertRefused(self.n.api("GET", "/v1/deliveries?state=lost"), 400, "invalid_state",
                           "state")
        for lim in ("0", "5000", "ten"):
            self.assertRefused(self.n.api("GET", "/v1/deliveries?limit=" + lim), 400,
                               "bad_parameter", "limit")
        self.assertRefused(self.n.api("GET", "/v1/deliveries?after=zz"), 400, "bad_parameter",
                           "after")
        self.assertRefused(self.n.api("GET", "/v1/deliveries?cursor=%21"), 400, "bad_parameter",
                           "cursor")
        self.assertRefused(self.n.api("GET", "/v1/deliveries?channel=pigeon"), 400,
                           "unknown_channel", "channel")

    def test_unknown_delivery(self):
        self.assertRefused(self.n.api("GET", "/v1/deliveries/" + "ab" * 16), 404, "not_found")
        self.assertRefused(self.n.api("GET", "/v1/deliveries/../../etc"), 404, "not_found")
        self.assertRefused(self.n.api("POST", "/v1/dead-letters/%s/release" % ("ab" * 16)), 404,
                           "not_found")

    def test_bulk_release_bad_bodies(self):
        for body in ({"ids": "x"}, {"ids": []}, {"ids": ["nope"]}, {"all": False},
                     {"all": True, "ids": ["ab" * 16]}, {}, {"all": True, "channel": "pigeon"},
                     {"ids": ["ab" * 16], "channel": "hook"}, {"all": True, "when": "now"},
                     {"ids": ["ab" * 16] * 1001}):
            st, got = self.n.api("POST", "/v1/dead-letters/release", body=body)
            self.assertEqual(st, 400, (body, got))
            self.assertIn(got["code"], ("invalid_request", "invalid_id", "unknown_field"))
        st, got = self.n.api("POST", "/v1/dead-letters/release", body={"ids": ["ab" * 16]})
        self.assertEqual((st, got["count"], got["not_found"]), (200, 0, ["ab" * 16]))

    def test_qfctl_usage_and_unreachable(self):
        env = {"QF_NOTIFIER_URL": "http://127.0.0.1:9", "QF_TOKEN": "qf-dev-s01"}
        self.assertEqual(qfctl(self.c, "notify", env=env).returncode, 2)
        self.assertEqual(qfctl(self.c, "notify", "explode", env=env).returncode, 2)
        self.assertEqual(qfctl(self.c, "notify", "release", env=env).returncode, 2)
        r = qfctl(self.c, "notify", "dead-letters", env=env)
        self.assertEqual(r.returncode, 1)
        env["QF_NOTIFIER_URL"] = "http://127.0.0.1:%d" % self.n.http_port
        env["QF_TOKEN"] = "qf-dev-s04"
        r = qfctl(self.c, "notify", "dead-letters", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("403", r.stderr)

    # ------------------------------------------------------------ events
    def test_events_the_notifier_cannot_use_do_not_stop_it(self):
        # no case id, unknown category and building, a 150-character case id,
        # an event type nobody is notified about
        self.router.emit("CASE_ASSIGNED", key="B03", payload={"assignee": "s04"})
        transition(self.router, "CASE_ASSIGNED", new_case_id(), building="B99", category="ufo",
                   assignee="s99")
        self.router.emit("CASE_PROGRESS", key="B03", case_id="C" + "x" * 150,
                         payload={"case_id": "C" + "x" * 150, "progress": "x"})
        self.intake.emit("SPAM_HELD", key="B03", payload={"hold_id": "h1", "rule": "ads"})
        # names far beyond any LMDB key: must not make the transaction fail
        long_case = new_case_id()
        transition(self.router, "CASE_ASSIGNED", long_case, building="B" * 2000,
                   tracking="LSJ-" + "X" * 600, assignee="s04")
        # still working afterwards
        cid = new_case_id()
        transition(self.router, "CASE_ASSIGNED", cid, assignee="s04")
        wait_until(lambda: [d for d in self.n.deliveries(cid) if d["state"] == "delivered"],
                   timeout=10)
        self.assertTrue(self.n.proc.alive())
        # the long one was notified too (its names carried as they were)
        d = wait_until(lambda: [d for d in self.n.deliveries(long_case)
                                if d["state"] == "delivered"], timeout=10)
        self.assertEqual(d[0]["tracking_code"], "LSJ-" + "X" * 600)

    def test_contact_not_sealed_to_us_is_a_dead_letter(self):
        cid = new_case_id()
        other_pk = bytes(range(32))
        payload_contact = seal(other_pk, b'{"phone":"13811112222"}').hex()
        self.intake.emit("PETITION_SUBMITTED", key="B04", case_id=cid, payload={
            "case_id": cid, "tracking_code": "LSJ-" + cid[-6:], "category": "facility_repair",
            "building": "B04", "contact": [{"recipient": "notifier", "sealed": payload_contact}]})
        ds = wait_until(lambda: (lambda ds: ds if ds and all(d["state"] == "dead" for d in ds)
                                 else None)(self.n.deliveries(cid)), timeout=10)
        self.assertTrue(all("contact_unreadable" in d["last_error"] for d in ds))
        self.assertTrue(all(d["attempts"] == 1 for d in ds))

    def test_garbage_sealed_box_and_bad_contact_json(self):
        a, b = new_case_id(), new_case_id()
        self.intake.emit("PETITION_SUBMITTED", key="B04", case_id=a, payload={
            "case_id": a, "tracking_code": "LSJ-A", "category": "facility_repair",
            "building": "B04", "contact": [{"recipient": "notifier", "sealed": "00" * 10}]})
        self.intake.emit("PETITION_SUBMITTED", key="B04", case_id=b, payload={
            "case_id": b, "tracking_code": "LSJ-B", "category": "facility_repair",
            "building": "B04",
            "contact": [{"recipient": "notifier", "sealed": seal(self.n.seal_pk, b"[1,2]").hex()}]})
        for cid, why in ((a, "not sealed"), (b, "not the expected JSON")):
            ds = wait_until(lambda: (lambda ds: ds if ds and all(d["state"] == "dead" for d in ds)
                                     else None)(self.n.deliveries(cid)), timeout=10)
            self.assertTrue(all(why in d["last_error"] for d in ds), ds)

    def test_contact_for_another_service_is_ignored(self):
        cid = new_case_id()
        self.intake.emit("PETITION_SUBMITTED", key="B04", case_id=cid, payload={
            "case_id": cid, "tracking_code": "LSJ-C", "category": "facility_repair",
            "building": "B04",
            "contact": [{"recipient": "disclosure", "sealed": seal(self.n.seal_pk,
                                                                   b'{"phone":"1"}').hex()}]})
        transition(self.router, "CASE_ASSIGNED", cid, building="B04", assignee="s04")
        wait_until(lambda: [d for d in self.n.deliveries(cid) if d["recipient_kind"] == "assignee"],
                   timeout=10)
        time.sleep(0.3)
        # nobody to tell: no petitioner deliveries at all
        self.assertEqual([d for d in self.n.deliveries(cid) if d["recipient_kind"] == "petitioner"], [])

    def test_huge_and_odd_text_is_carried_safely(self):
        cid = new_case_id()
        odd = "进展\"<b>\\\n\t{progress}}{{ " + "长" * 3000
        petition(self.intake, cid, contact={"email": "odd@example.cn"}, pk=self.n.seal_pk)
        transition(self.router, "CASE_PROGRESS", cid, to_state="STATE_IN_PROGRESS", progress=odd)
        m = wait_until(lambda: [m for m in self.smtp.mails("odd@example.cn") if "新进展" in m["subject"]],
                       timeout=10)[0]
        text = m["text"].replace("\r\n", "\n")
        # braces in a value are never template syntax; quotes, markup and
        # backslashes arrive as they were written, the whole 3000 characters
        self.assertIn('进展"<b>\\\n\t{progress}}{{ ', text)
        self.assertIn("长" * 3000, text)

if __name__ == "__main__":
    unittest.main()
