"""Personal data at rest and its deletion (issue 12).

Intake writes personal data only sealed under the case's key (qf_vault):
the bytes of its store never hold a petitioner's name, phone, words,
address, coordinates or photo, nor staff notes, feedback, contact-view
reasons or a held submission's text. When the router says the retention
period is over (PRIVATE_EXPIRED), intake forgets the case's key: contact,
photos, notes and the private parts of its events become unreadable, the
public facts stay, and the follow view says so. Names are invented."""
import hashlib
import os
import base64
import time
import unittest
from urllib.parse import quote

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_intake import IntakeService, bearer, jpeg

NAME = "闵晓霏"
PHONE = "13700094321"
EMAIL = "minxiaofei@example.cn"
DESC = "紫藤花架旁的下水道反味已经第七天了"
ADDRESS = "5栋2单元402室 闵晓霏家"
LAT, LNG = 30.567891, 104.123457
STAFF_NOTE = "闵晓霏说物业答应周五派人来修"
ROUTER_NOTE = "紫藤花架排水管已疏通"
COMMENT = "下水道终于不臭了谢谢师傅"
VIEW_REASON = "需要上门回访核实漏点"
SPAM_TEXT = "加微信领取紫藤优惠券"
PHOTO = jpeg(1500, seed=77)


def transition(case_id, code, frm, to, **kw):
    p = {"case_id": case_id, "tracking_code": code, "from_state": frm, "to_state": to,
         "category": "facility_repair", "building": "B05", "at_ms": int(time.time() * 1000)}
    p.update(kw)
    return p


class RetentionTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("intake-retention")
        self.addCleanup(self.c.close)
        self.router = Emitter(self.c, "router")
        self.it = IntakeService(self.c, router=self.router,
                                settings={"intake.action_wait_ms": 300})

    def planted(self):
        vals = [NAME, PHONE, EMAIL, DESC, ADDRESS, "5栋2单元402室", STAFF_NOTE, ROUTER_NOTE,
                COMMENT, VIEW_REASON, SPAM_TEXT, "%.6f" % LAT, "%.6f" % LNG, "137****4321"]
        out = [v.encode("utf-8") for v in vals]
        out += [PHOTO[i:i + 48] for i in range(0, len(PHOTO) - 48, 300)]
        out.append(base64.b64encode(PHOTO[:300])[:64])
        return out

    def scan(self, code):
        with open(os.path.join(self.it.data, "data.mdb"), "rb") as f:
            data = f.read()
        # the public facts are there in clear: the scan reads committed pages
        self.assertIn(code.encode(), data)
        return [v for v in self.planted() if v in data]

    def test_sealed_at_rest_then_forgotten(self):
        it = self.it
        st, ans = it.petition({
            "category": "facility_repair", "building": "B05", "address": ADDRESS,
            "description": DESC, "name": NAME, "phone": PHONE, "email": EMAIL,
            "channel": "app", "anonymous": False, "consent_public": False,
            "lat": LAT, "lng": LNG,
            "media": [{"data": base64.b64encode(PHOTO).decode()}]})
        self.assertEqual(st, 201, ans)
        cid, code, secret = ans["case_id"], ans["tracking_code"], ans["secret"]
        sha = hashlib.sha256(PHOTO).hexdigest()
        # another case of the same store, not expired: stays readable
        st, other = it.petition({
            "category": "facility_repair", "building": "B05", "address": "6栋",
            "description": "6栋门禁坏了", "name": "吴晓明", "phone": "13912345678",
            "channel": "app", "anonymous": False})
        self.assertEqual(st, 201, other)
        # staff note, contact view, the router's note, feedback
        it.assign(cid, "s05", "B05")
        st, body = it.action(cid, "head2", {"action": "progress", "progress": STAFF_NOTE})
        self.assertIn(st, (200, 202), body)
        st, c = it.json("POST", "/v1/cases/%s/contact" % cid, {"reason": VIEW_REASON},
                        bearer("head2"))
        self.assertEqual((st, c["name"], c["phone"]), (200, NAME, PHONE))
        self.router.emit("CASE_PROGRESS", key="B05", case_id=cid, payload=transition(
            cid, code, "STATE_ACCEPTED", "STATE_IN_PROGRESS", progress=ROUTER_NOTE))
        self.router.emit("CASE_RESOLVED", key="B05", case_id=cid, payload=transition(
            cid, code, "STATE_IN_PROGRESS", "STATE_RESOLVED", result="已修好"))
        wait_until(lambda: it.track(code, secret)[1]["status"] == "resolved", what="resolved")
        st, body = it.json("POST", "/v1/track/%s/feedback" % code,
                           {"rating": 5, "comment": COMMENT}, {"X-Tracking-Secret": secret})
        self.assertIn(st, (200, 202), body)
        # a held submission's text is sealed too
        st, held = it.petition({
            "category": "facility_repair", "building": "B05", "address": "5栋",
            "description": SPAM_TEXT + " http://spam.example/x", "name": NAME,
            "phone": PHONE, "channel": "app", "anonymous": False})
        self.assertEqual((st, held["code"]), (422, "rejected_as_spam"))
        # everything is readable through the API...
        st, v = it.json("GET", "/v1/cases/" + cid, headers=bearer("secretary"))
        self.assertEqual((v["description"], v["address"]), (DESC, ADDRESS))
        self.assertEqual(it.request("GET", "/v1/media/" + sha, headers=bearer("secretary"))[0],
                         200)
        # ...and none of it is in the store's bytes
        self.assertEqual(self.scan(code), [])

        # the router's retention job: PRIVATE_EXPIRED
        now = int(time.time() * 1000)
        self.router.emit("PRIVATE_EXPIRED", key="B05", case_id=cid, payload={
            "subject": cid, "case_id": cid, "final_ms": now - 3 * 86400000,
            "retention_days": 1095, "at_ms": now})

        def deleted():
            st, v = it.track(code, secret)
            return v if st == 200 and v.get("personal_data_deleted") else None
        view = wait_until(deleted, timeout=10, what="expiry applied")
        self.assertEqual(view["notice"], "个人信息已按保存期限删除")
        # public facts stay: status, category, the handling's steps
        self.assertEqual((view["status"], view["category"]), ("resolved", "facility_repair"))
        self.assertIn("resolved", [e["event"] for e in view["timeline"]])
        text = str(view)
        for v in (DESC, ADDRESS, ROUTER_NOTE, "137****4321"):
            self.assertNotIn(v, text)
        # receipts: the event ids stay, the openings are gone
        self.assertTrue(view["receipts"])
        for r in view["receipts"]:
            self.assertTrue(r["event_id"])
            self.assertTrue(r.get("private_expired") or "nonce" not in r, r)
            self.assertNotIn("private", r)
        # contact, photo, description, staff notes: gone for staff too
        st, body = it.json("GET", "/v1/cases/%s/contact?reason=%s" % (cid, quote("回访")),
                           headers=bearer("secretary"))
        self.assertEqual((st, body["code"]), (404, "no_contact"))
        self.assertEqual(it.request("GET", "/v1/media/" + sha,
                                    headers=bearer("secretary"))[0], 404)
        st, v = it.json("GET", "/v1/cases/" + cid, headers=bearer("secretary"))
        self.assertEqual(st, 200)
        self.assertNotIn("description", v)
        self.assertNotIn(STAFF_NOTE, str(v))
        # the outbox's private parts are gone: replay carries the public part
        pet = [e for e in it.watch(types=["PETITION_SUBMITTED"]) if e["case_id"] == cid][0]
        self.assertFalse(pet.get("whole"))
        self.assertNotIn("text", pet["payload"])
        # export says what is left
        st, doc = it.json("GET", "/v1/track/%s/export" % code,
                          headers={"X-Tracking-Secret": secret})
        self.assertEqual(st, 200, doc)
        self.assertTrue(doc["personal_data_deleted"])
        self.assertNotIn("contact", doc)
        # the other case is untouched
        st, v = it.json("GET", "/v1/cases/" + other["case_id"], headers=bearer("secretary"))
        self.assertEqual(v["description"], "6栋门禁坏了")
        # a restart changes nothing; the bytes still hold none of it
        it.restart()
        st, view = it.track(code, secret)
        self.assertTrue(view["personal_data_deleted"])
        self.assertEqual(self.scan(code), [])
        self.assertEqual(it.stop(), 0)

    def test_retry_after_expiry_makes_no_second_case(self):
        h = {"Idempotency-Key": "retention-retry-1"}
        body = {"category": "facility_repair", "building": "B05", "address": "5栋",
                "description": "楼道灯坏了", "name": NAME, "phone": PHONE, "channel": "app",
                "anonymous": False}
        st, ans = self.it.petition(dict(body), h)
        self.assertEqual(st, 201, ans)
        cid = ans["case_id"]
        self.router.emit("PRIVATE_EXPIRED", key="B05", case_id=cid, payload={
            "subject": cid, "case_id": cid, "retention_days": 0,
            "at_ms": int(time.time() * 1000)})
        wait_until(lambda: self.it.track(ans["tracking_code"], ans["secret"])[1]
                   .get("personal_data_deleted"), what="expiry applied")
        st, again = self.it.petition(dict(body), h)
        self.assertEqual((st, again["code"]), (410, "personal_data_deleted"))
        self.assertEqual(len(self.it.watch(types=["PETITION_SUBMITTED"])), 1)
        self.assertEqual(self.it.stop(), 0)

    def test_expiry_bad_input_is_ignored(self):
        st, ans = self.it.petition({
            "category": "facility_repair", "building": "B05", "address": "5栋",
            "description": "楼道灯坏了", "name": NAME, "phone": PHONE, "channel": "app",
            "anonymous": False})
        self.assertEqual(st, 201, ans)
        # no subject, a subject with spaces, an unknown case: no crash, nothing lost
        self.router.emit("PRIVATE_EXPIRED", key="B05", payload={"retention_days": 1})
        self.router.emit("PRIVATE_EXPIRED", key="B05", payload={"subject": "a b"})
        self.router.emit("PRIVATE_EXPIRED", key="B05",
                         payload={"subject": "C" + "0" * 26, "case_id": "C" + "0" * 26})
        self.router.emit("PRIVATE_EXPIRED", key="B05", payload={"subject": "visit:V0"})
        self.router.emit("CASE_ACCEPTED", key="B05", case_id=ans["case_id"], payload=transition(
            ans["case_id"], ans["tracking_code"], "STATE_ASSIGNED", "STATE_ACCEPTED"))
        wait_until(lambda: self.it.track(ans["tracking_code"], ans["secret"])[1]["status"]
                   == "accepted", what="later events still applied")
        st, view = self.it.track(ans["tracking_code"], ans["secret"])
        self.assertNotIn("personal_data_deleted", view)
        st, c = self.it.json("GET", "/v1/cases/%s/contact?reason=%s"
                             % (ans["case_id"], quote("回访")), headers=bearer("secretary"))
        self.assertEqual((st, c.get("name")), (200, NAME))
        self.assertEqual(self.it.stop(), 0)


if __name__ == "__main__":
    unittest.main()
