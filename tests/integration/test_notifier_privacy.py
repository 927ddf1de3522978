"""test_notifier_privacy: what public surfaces may read, and forgetting.

Followers and group robots are told from the public part of an event only:
an urgent alert about a petition without consent names the building, never
the room, the words or the petitioner, while the building head's own SMS
has the address. Integrity reports never reach a group robot or followers,
whatever the rules say (the shipped case_assigned rule posts to the shared
WeCom robot). PRIVATE_EXPIRED makes a case's delivery texts, contact and
follows unreadable, and a string planted in the petition is in no file of
the notifier's store."""
import os
import re
import secrets
import time
import unittest
import urllib.error
import urllib.request

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_notifier import (Notifier, Receiver, SmtpSink, new_case_id, now_ms,
                                        petition, transition)

LINK = re.compile(r"http://127\.0\.0\.1:\d+/v1/follows/F[0-9a-f]{24}/(confirm|unsubscribe)"
                  r"\?token=[0-9a-f]{32}")


def links(text):
    found = {m.group(1): m.group(0) for m in LINK.finditer(text)}
    return found.get("confirm"), found.get("unsubscribe")


def open_url(url, method="GET", data=None):
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


class NotifierPrivacyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("notifier-privacy")
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

    def follow(self, target, address):
        st, body = wait_until(lambda: (lambda r: r if r[0] != 404 else None)(
            self.n.proc.json("POST", "/v1/follows", body={
                "target": target, "channel": "email", "address": address})), timeout=10)
        self.assertEqual(st, 202, body)
        mail = wait_until(lambda: [m for m in self.smtp.mails(address)
                                   if "请确认关注" in m["subject"]], timeout=10)[0]
        confirm, unsub = links(mail["text"])
        self.assertEqual(open_url(confirm, "POST", b"")[0], 200)
        return body["id"], unsub

    def store_files(self):
        d = self.c.path("data", "notifier")
        out = b""
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                out += f.read()
        return out

    def test_urgent_alert_to_followers_names_the_building_only(self):
        addr = "Sun.Li@Example.cn"
        self.follow("building:B08", addr)
        cid = new_case_id()
        tc = "LSJ-" + cid[-6:]
        # no consent: the address ("B08 1单元"), words and name stay private
        petition(self.intake, cid, category="safety_hazard", building="B08",
                 description="楼道里煤气味很重，怕出事。", consent=False)
        alert = wait_until(lambda: [m for m in self.smtp.mails(addr)
                                    if "紧急提醒" in m["subject"]], timeout=10)
        self.assertEqual(len(alert), 1)
        text = alert[0]["subject"] + alert[0]["text"]
        self.assertIn("8栋", text)
        self.assertNotIn("1单元", text)
        self.assertNotIn("煤气", text)
        # the group robot of urgent_staff is a public surface too
        robot = wait_until(lambda: [r for r in self.rx.requests("/wecom/")
                                    if tc in r["json"]["text"]["content"]], timeout=10)
        content = robot[0]["json"]["text"]["content"]
        self.assertIn("8栋", content)
        self.assertNotIn("1单元", content)
        self.assertNotIn("煤气", content)
        # the building head, told alone, reads where to go
        sms = wait_until(lambda: [r for r in self.rx.requests("/sms/")
                                  if tc in r["json"]["content"]
                                  and r["json"]["to"] == "13900000005"], timeout=10)
        self.assertIn("B08 1单元", sms[0]["json"]["content"])
        # with consent the followers read the address and the words
        ok = new_case_id()
        petition(self.intake, ok, category="safety_hazard", building="B08",
                 description="楼道里煤气味很重，怕出事。", consent=True)
        alert = wait_until(lambda: [m for m in self.smtp.mails(addr)
                                    if "紧急提醒" in m["subject"] and "煤气" in m["text"]],
                           timeout=10)
        self.assertIn("B08 1单元", alert[0]["text"])

    def test_case_followers_read_no_notes_without_consent(self):
        cid = new_case_id()
        tc = "LSJ-" + cid[-6:]
        petition(self.intake, cid, category="facility_repair", building="B10")
        addr = "zhou.follower@example.cn"
        self.follow("case:" + tc, addr)
        transition(self.router, "CASE_PROGRESS", cid, building="B10", assignee="s06",
                   to_state="STATE_IN_PROGRESS", progress="已联系302住户周某协商。")
        mail = wait_until(lambda: [m for m in self.smtp.mails(addr)
                                   if "处理中" in m["subject"]], timeout=10)[0]
        self.assertIn(tc, mail["subject"])
        self.assertNotIn("302", mail["text"])
        self.assertNotIn("协商", mail["text"])

    def test_integrity_report_never_reaches_a_group_robot(self):
        # an ordinary assignment is posted to the shared WeCom robot
        plain = new_case_id()
        transition(self.router, "CASE_ASSIGNED", plain, building="B03", assignee="s04")
        wait_until(lambda: [r for r in self.rx.requests("/wecom/")
                            if plain[-6:] in r["json"]["text"]["content"]], timeout=10)
        # an integrity report goes to its handler's mail, never to the robot
        cid = new_case_id()
        petition(self.intake, cid, category="integrity_report", building="B01",
                 concerns="s04")
        self.router.emit("CASE_ASSIGNED", key="sensitive", case_id=cid, payload={
            "case_id": cid, "tracking_code": "LSJ-" + cid[-6:], "to_state": "STATE_ASSIGNED",
            "assignee": "s02", "category": "integrity_report", "priority": "sensitive",
            "at_ms": now_ms(), "respond_due_ms": now_ms() + 3600000})
        wait_until(lambda: [m for m in self.smtp.mails("s02@lsj.example.cn")
                            if cid[-6:] in m["subject"]], timeout=10)
        time.sleep(0.5)
        self.assertEqual([r for r in self.rx.requests("/wecom/")
                          if cid[-6:] in r["json"]["text"]["content"]], [])
        self.assertEqual([d for d in self.n.deliveries(cid) if d["to"] in ("group", "follower")],
                         [])

    def test_private_expired_makes_texts_and_contact_unreadable(self):
        plant = "QFPLANT" + secrets.token_hex(8)
        cid = new_case_id()
        tc = "LSJ-" + cid[-6:]
        # urgent: the staff's messages quote the petition (urgent_staff)
        petition(self.intake, cid, category="safety_hazard", building="B09",
                 contact={"email": "wu.resident@example.cn"}, pk=self.n.seal_pk,
                 consent=True, description="门口电线裸露 %s 很危险" % plant)
        wait_until(lambda: self.smtp.mails("wu.resident@example.cn"), timeout=10)
        follower = "he.neighbour@example.cn"
        fid, unsub = self.follow("case:" + tc, follower)
        transition(self.router, "CASE_ASSIGNED", cid, building="B09", assignee="s06",
                   consent_public=True)
        wait_until(lambda: [d for d in self.n.deliveries(cid) if d["state"] == "delivered"
                            and d["recipient_kind"] == "assignee"], timeout=10)
        texts = [d.get("text", "") for d in self.n.deliveries(cid)]
        self.assertTrue([t for t in texts if plant in t])
        self.assertNotIn(plant.encode(), self.store_files())   # sealed at rest
        transition(self.router, "CASE_CLOSED", cid, building="B09", assignee="s06",
                   to_state="STATE_CLOSED", consent_public=True)
        before = self.n.metric("qf_notifier_private_expired_total")
        self.router.emit("PRIVATE_EXPIRED", key="B09", case_id=cid, payload={
            "subject": cid, "case_id": cid, "final_ms": now_ms(), "retention_days": 1095,
            "at_ms": now_ms()})
        wait_until(lambda: self.n.metric("qf_notifier_private_expired_total") > before,
                   timeout=10)
        items = self.n.deliveries(cid)
        self.assertTrue(items)
        for d in items:
            self.assertTrue(d.get("private_expired"), d)
            self.assertNotIn("text", d)
            self.assertNotIn("subject", d)
        self.assertNotIn(plant, str(items))
        self.assertNotIn(plant.encode(), self.store_files())
        self.assertNotIn(b"wu.resident@example.cn", self.store_files())
        # the follow ended with the case; nothing more is planned for it
        token = unsub.rsplit("token=", 1)[1]
        st, _ = self.n.proc.json("GET", "/v1/follows/%s?token=%s" % (fid, token))
        self.assertEqual(st, 404)
        n_before = len(items)
        transition(self.router, "CASE_REOPENED", cid, building="B09", assignee="s06",
                   to_state="STATE_REOPENED")
        time.sleep(0.5)
        self.assertEqual(len(self.n.deliveries(cid)), n_before)


if __name__ == "__main__":
    unittest.main()
