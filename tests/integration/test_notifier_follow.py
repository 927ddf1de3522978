"""Following a case or a building, confirmed before the first message, left
with one step; an urgent safety case alerts the building's followers at
once; quiet hours hold non-urgent messages to residents (never staff's,
never urgent ones)."""
import re
import time
import unittest
import urllib.parse
import urllib.request

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_notifier import (DINGTALK_SECRET, WEBHOOK_SECRET, Notifier, Receiver,
                                        SmtpSink, Watch, new_case_id, petition, transition)

LINK = re.compile(r"http://127\.0\.0\.1:\d+/v1/follows/F[0-9a-f]{24}/(confirm|unsubscribe)"
                  r"\?token=[0-9a-f]{32}")


def links(text):
    found = {m.group(1): m.group(0) for m in LINK.finditer(text)}
    return found.get("confirm"), found.get("unsubscribe")


def open_url(url, method="GET", data=None):
    req = urllib.request.Request(url, method=method, data=data)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


class NotifierFollowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("notifier-follow")
        cls.intake = Emitter(cls.c, "intake")
        cls.router = Emitter(cls.c, "router")
        cls.rx = Receiver()
        cls.smtp = SmtpSink()
        cls.n = Notifier(cls.c, [cls.intake, cls.router], cls.rx, cls.smtp)
        cls.watch = Watch(cls.c, cls.n)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.n.stop_clean()
        finally:
            cls.c.close()
        cls.rx.stop()
        cls.smtp.stop()

    def follow(self, target, channel, address, secret=None):
        body = {"target": target, "channel": channel, "address": address}
        if secret:
            body["secret"] = secret
        return self.n.proc.json("POST", "/v1/follows", body=body)

    def test_building_follower_hears_of_an_urgent_safety_case_only_once_confirmed(self):
        st, body = self.follow("building:B08", "email", "Fan.Li@Example.cn")
        self.assertEqual((st, body["state"]), (202, "pending"))
        fid = body["id"]
        mail = wait_until(lambda: self.smtp.mails("Fan.Li@Example.cn"), timeout=10)[0]
        self.assertIn("请确认关注", mail["subject"])
        self.assertIn("8栋", mail["subject"])
        confirm, unsub = links(mail["text"])
        self.assertIsNotNone(confirm)
        self.assertIn(fid, confirm)
        self.assertEqual(mail["list_unsubscribe"], "<%s>" % unsub)
        self.assertEqual(str(mail["headers"]["list-unsubscribe-post"]),
                         "List-Unsubscribe=One-Click")
        # not confirmed yet: an urgent case does not reach the address
        a = new_case_id()
        petition(self.intake, a, category="safety_hazard", building="B08",
                 description="8栋门口水管爆裂，路面积水结冰。", consent=True)
        wait_until(lambda: [d for d in self.n.deliveries(a) if d["state"] == "delivered"], timeout=10)
        self.assertEqual(len(self.smtp.mails("Fan.Li@Example.cn")), 1)
        # the same follow asked again: same id, no second confirmation yet
        st, again = self.follow("building:B08", "email", "fan.li@example.cn")
        self.assertEqual((st, again["id"]), (202, fid))
        st, page = open_url(confirm)
        self.assertEqual(st, 200)
        self.assertIn("关注已确认", page)
        ch = wait_until(lambda: [p for p in self.watch.payloads("SUBSCRIPTION_CHANGED")
                                 if p["subscription_id"] == fid], timeout=10)
        self.assertTrue(ch[0]["active"])
        self.assertEqual(ch[0]["target"], "building:B08")
        st, again = self.follow("building:B08", "email", "fan.li@example.cn")
        self.assertEqual((st, again["state"]), (200, "active"))
        # now the burst water main reaches the follower at once
        b = new_case_id()
        petition(self.intake, b, category="safety_hazard", building="B08",
                 description="8栋门口水管爆裂，路面积水结冰。", consent=True)
        alert = wait_until(lambda: [m for m in self.smtp.mails("Fan.Li@Example.cn")
                                    if "紧急提醒" in m["subject"]], timeout=10)
        self.assertEqual(len(alert), 1)
        self.assertIn("水管爆裂", alert[0]["text"])
        self.assertIn(unsub, alert[0]["text"])
        # a non-urgent case at the building is not broadcast
        petition(self.intake, new_case_id(), category="facility_repair", building="B08")
        time.sleep(0.5)
        self.assertEqual(len([m for m in self.smtp.mails("Fan.Li@Example.cn")
                              if "紧急提醒" in m["subject"]]), 1)
        # one-click unsubscribe (RFC 8058 POST), then silence
        st, _ = open_url(unsub, "POST", b"List-Unsubscribe=One-Click")
        self.assertEqual(st, 200)
        wait_until(lambda: [p for p in self.watch.payloads("SUBSCRIPTION_CHANGED")
                            if p["subscription_id"] == fid and not p.get("active")], timeout=10)
        c = new_case_id()
        petition(self.intake, c, category="safety_hazard", building="B08")
        wait_until(lambda: [d for d in self.n.deliveries(c) if d["state"] == "delivered"], timeout=10)
        time.sleep(0.3)
        self.assertEqual(len([m for m in self.smtp.mails("Fan.Li@Example.cn")
                              if "紧急提醒" in m["subject"]]), 1)
        st, page = open_url(unsub)      # idempotent
        self.assertEqual(st, 200)
        # the address is stored sealed: the API shows it masked
        tok = urllib.parse.parse_qs(urllib.parse.urlsplit(unsub).query)["token"][0]
        st, info = self.n.proc.json("GET", "/v1/follows/%s?token=%s" % (fid, tok))
        self.assertEqual((st, info["state"], info["address"]), (200, "removed", "F***@Example.cn"))

    def test_case_followers_by_webhook_and_dingtalk_robot(self):
        cid = new_case_id()
        tc = "LSJ-" + cid[-6:]
        # the petitioner agreed to publish: followers read the staff's notes
        # (without consent they hear of the state only: test_notifier_privacy)
        petition(self.intake, cid, category="facility_repair", building="B11", consent=True)
        hook = self.rx.base + "/follow/resident-app"
        ding = self.rx.base + "/dingtalk/followers?access_token=f1"
        st, w = wait_until(lambda: (lambda r: r if r[0] == 202 else None)(
            self.follow("case:" + tc, "webhook", hook, WEBHOOK_SECRET)), timeout=10)
        st, d = self.follow("case:" + cid, "dingtalk", ding, DINGTALK_SECRET)
        self.assertEqual(st, 202)
        # confirmations arrive over the channel itself, signed
        wreq = wait_until(lambda: self.rx.requests("/follow/resident-app"), timeout=10)[0]
        self.assertEqual(wreq["json"]["recipient"], {"kind": "follower", "follow_id": w["id"]})
        confirm, _ = links(wreq["json"]["text"])
        dreq = wait_until(lambda: self.rx.requests("/dingtalk/followers"), timeout=10)[0]
        # followers' robots get text messages (the follower channel's format)
        dconfirm, _ = links(dreq["json"]["text"]["content"])
        self.assertEqual(open_url(confirm, "POST", b"")[0], 200)
        self.assertEqual(open_url(dconfirm)[0], 200)
        transition(self.router, "CASE_PROGRESS", cid, building="B11", assignee="s06",
                   to_state="STATE_IN_PROGRESS", progress="已更换灯泡。",
                   consent_public=True)
        upd = wait_until(lambda: [r for r in self.rx.requests("/follow/resident-app")
                                  if "已更换灯泡" in r["json"]["text"]], timeout=10)
        self.assertIn(tc, upd[0]["json"]["subject"])
        self.assertIn("unsubscribe", upd[0]["json"])
        wait_until(lambda: [r for r in self.rx.requests("/dingtalk/followers")
                            if "已更换灯泡" in r["json"]["text"]["content"]], timeout=10)
        transition(self.router, "CASE_CLOSED", cid, building="B11", assignee="s06",
                   to_state="STATE_CLOSED", consent_public=True)
        wait_until(lambda: [r for r in self.rx.requests("/follow/resident-app")
                            if "已关闭" in r["json"]["text"]], timeout=10)
        self.assertEqual(self.rx.problems(), [])
        # a closed case can no longer be followed
        st, body = self.follow("case:" + tc, "email", "late@example.cn")
        self.assertEqual((st, body["code"]), (409, "case_closed"))

    def test_sensitive_and_unknown_cases_cannot_be_followed(self):
        cid = new_case_id()
        petition(self.intake, cid, category="integrity_report", building="B01", concerns="s04")
        st, body = wait_until(lambda: (lambda r: r if r[0] != 404 else None)(
            self.follow("case:" + cid, "email", "x@example.cn")), timeout=10)
        self.assertEqual((st, body["code"]), (403, "not_followable"))
        st, body = self.follow("case:LSJ-NOSUCH", "email", "x@example.cn")
        self.assertEqual((st, body["code"]), (404, "case_unknown"))

    def test_quiet_hours_hold_residents_but_not_staff_or_urgent(self):
        # a second notifier whose quiet hours are "now", in community time
        local = (time.time() // 60 + 480) % 1440
        start = "%02d:%02d" % divmod(int(local - 60) % 1440, 60)
        end = "%02d:%02d" % divmod(int(local + 60) % 1440, 60)
        n2 = Notifier(self.c, [self.intake, self.router], self.rx, self.smtp, node="quiet",
                      quiet=(start, end), key_file="quiet.key")
        cid, urgent = new_case_id(), new_case_id()
        petition(self.intake, cid, building="B12", contact={"email": "night@example.cn"},
                 pk=n2.seal_pk)
        petition(self.intake, urgent, category="safety_hazard", building="B12",
                 contact={"email": "night2@example.cn"}, pk=n2.seal_pk)
        transition(self.router, "CASE_ASSIGNED", cid, building="B12", assignee="s06")
        # staff hear at once; the urgent petitioner too
        wait_until(lambda: [d for d in n2.deliveries(cid) if d["recipient_kind"] == "assignee"
                            and d["format"] == "email" and d["state"] == "delivered"], timeout=10)
        wait_until(lambda: [d for d in n2.deliveries(urgent) if d["format"] == "email"
                            and d["state"] == "delivered"], timeout=10)
        held = [d for d in n2.deliveries(cid) if d["recipient_kind"] == "petitioner"
                and d["format"] == "email"][0]
        self.assertEqual(held["state"], "pending")
        self.assertEqual(held["attempts"], 0)
        self.assertGreater(held["due_ms"], time.time() * 1000 + 30 * 60 * 1000)
        self.assertEqual(self.smtp.mails("night@example.cn"), [])
        # two hours later (the service's clock moved on) it goes out
        n2.stop()
        n2.start(clock_offset_ms=2 * 3600 * 1000)
        wait_until(lambda: self.smtp.mails("night@example.cn"), timeout=10)
        n2.stop()


if __name__ == "__main__":
    unittest.main()
