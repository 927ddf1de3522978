"""A petitioner's export of what intake holds about their petition (issue
12, the right of access of China's Personal Information Protection Law):
GET /v1/track/<code>/export with the secret in a header, or POST with the
secret in a JSON or form body. Everything: the petition as written, the
contact, photos, the handling, feedback, contact views, receipts; the
export itself is an event, DATA_EXPORTED. Errors and limits as the follow
view's."""
import base64
import hashlib
import json
import unittest
from urllib.parse import urlencode

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_intake import SAMPLE, IntakeService, bearer, jpeg

PHOTO = jpeg(700, seed=55)


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-export")
        cls.router = Emitter(cls.c, "router")
        cls.it = IntakeService(cls.c, router=cls.router,
                               settings={"intake.action_wait_ms": 200})

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s" % rc

    def submit(self, **kw):
        body = dict(SAMPLE, consent_public=False, lat=30.5, lng=104.1,
                    email="wuxiaoming@example.cn",
                    media=[{"data": base64.b64encode(PHOTO).decode()}])
        body.update(kw)
        st, ans = self.it.petition(body)
        self.assertEqual(st, 201, ans)
        return ans

    def export(self, code, secret):
        return self.it.json("GET", "/v1/track/%s/export" % code,
                            headers={"X-Tracking-Secret": secret})

    def test_everything_about_the_petition(self):
        ans = self.submit()
        cid, code, secret = ans["case_id"], ans["tracking_code"], ans["secret"]
        self.it.assign(cid, "s04")
        st, c = self.it.json("POST", "/v1/cases/%s/contact" % cid, {"reason": "回访"},
                             bearer("head1"))
        self.assertEqual(st, 200, c)
        st, doc = self.export(code.lower(), secret)
        self.assertEqual(st, 200, doc)
        p = doc["petition"]
        self.assertEqual((p["description"], p["address"], p["lat"]),
                         (SAMPLE["description"], SAMPLE["address"], 30.5))
        self.assertEqual(doc["contact"], {"name": SAMPLE["name"], "phone": SAMPLE["phone"],
                                          "email": "wuxiaoming@example.cn"})
        self.assertEqual(base64.b64decode(p["media"][0]["data"]), PHOTO)
        self.assertEqual(p["media"][0]["sha256"], hashlib.sha256(PHOTO).hexdigest())
        self.assertEqual(doc["case"]["case_id"], cid)
        self.assertTrue(doc["case"]["timeline"])
        self.assertEqual(doc["contact_views"][0]["reason"], "回访")
        self.assertEqual(doc["contact_views"][0]["actor"]["staff_id"], "s04")
        self.assertEqual(doc["tracking_code"], code)
        self.assertIn("exported_at", doc)
        # receipts: the petition, and this export
        self.assertEqual([r["type"] for r in doc["receipts"]],
                         ["PETITION_SUBMITTED", "DATA_EXPORTED"])
        self.assertEqual(doc["receipts"][0], ans["receipt"])
        # the export is on the record, with nothing but the case and the time
        ev = wait_until(lambda: [e for e in self.it.watch(types=["DATA_EXPORTED"])
                                 if e["case_id"] == cid], what="DATA_EXPORTED")[0]
        self.assertEqual(ev["event_id"], doc["receipts"][1]["event_id"])
        self.assertEqual(set(ev["payload"]), {"case_id", "at_ms"})
        self.assertFalse(ev.get("whole"))
        # the follow view shows the export's receipt too
        st, view = self.it.track(code, secret)
        self.assertEqual([r["type"] for r in view["receipts"]],
                         ["PETITION_SUBMITTED", "DATA_EXPORTED"])

    def test_post_variants(self):
        ans = self.submit()
        code, secret = ans["tracking_code"], ans["secret"]
        st, doc = self.it.json("POST", "/v1/track/%s/export" % code, {"secret": secret})
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["contact"]["phone"], SAMPLE["phone"])
        # a page's form: the answer is a file to save
        st, hd, raw = self.it.request("POST", "/v1/track/%s/export" % code,
                                      urlencode({"secret": secret}),
                                      {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(st, 200, raw)
        self.assertIn("attachment", hd["content-disposition"])
        self.assertIn(code, hd["content-disposition"])
        self.assertEqual(hd["cache-control"], "no-store")
        self.assertEqual(json.loads(raw)["case"]["case_id"], ans["case_id"])

    def test_held_submission(self):
        st, held = self.it.petition(dict(SAMPLE, description="免费领取 http://spam.example/a"))
        self.assertEqual((st, held["code"]), (422, "rejected_as_spam"))
        st, doc = self.export(held["tracking_code"], held["secret"])
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["case"]["status"], "held_for_review")
        self.assertIn("spam.example", doc["petition"]["description"])
        self.assertEqual(doc["contact"]["name"], SAMPLE["name"])

    def test_bad_input(self):
        ans = self.submit()
        code, secret = ans["tracking_code"], ans["secret"]
        path = "/v1/track/%s/export" % code
        st, b = self.it.json("GET", path)
        self.assertEqual((st, b["code"], b["field"]), (401, "missing_secret", "X-Tracking-Secret"))
        st, b = self.it.json("GET", path + "?secret=" + secret)
        self.assertEqual((st, b["code"], b["field"]), (400, "secret_in_url", "secret"))
        st, b = self.export(code, "0" * 20)
        self.assertEqual((st, b["code"]), (404, "not_found"))
        st, b = self.export("LSJ-ZZZZZZ", secret)
        self.assertEqual((st, b["code"]), (404, "not_found"))
        for bad in ("nodash", "LSJ-!!", "x" * 200):
            st, b = self.export(bad, secret)
            self.assertEqual(st, 404, bad)
        st, b = self.export(code, "s" * 500)
        self.assertEqual(st, 404)
        st, b = self.it.json("POST", path, {"secret": 7})
        self.assertEqual((st, b["code"], b["field"]), (400, "invalid_type", "secret"))
        st, b = self.it.json("POST", path, {})
        self.assertEqual((st, b["code"]), (401, "missing_secret"))
        st, b = self.it.json("POST", path, "{not json", {"Content-Type": "application/json"})
        self.assertEqual((st, b["code"]), (400, "malformed_json"))
        st, b = self.it.json("POST", path, "[1]", {"Content-Type": "application/json"})
        self.assertEqual(st, 400)
        st, _, _ = self.it.request("POST", path + "?secret=" + secret, "",
                                   {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(st, 400)
        st, _, _ = self.it.request("PUT", path, "")
        self.assertEqual(st, 405)


class ExportLimitTest(unittest.TestCase):
    def test_rate_limited_like_following(self):
        with Cluster("intake-export-limit") as c:
            it = IntakeService(c, settings={"ratelimit.follow_per_ip": 2})
            st, ans = it.petition(dict(SAMPLE))
            self.assertEqual(st, 201, ans)
            codes = []
            for _ in range(3):
                st, hd, _ = it.request("GET", "/v1/track/%s/export" % ans["tracking_code"],
                                       headers={"X-Tracking-Secret": ans["secret"]})
                codes.append(st)
            self.assertEqual(codes[:2], [200, 200])
            self.assertEqual(codes[2], 429)
            self.assertEqual(it.stop(), 0)


if __name__ == "__main__":
    unittest.main()
