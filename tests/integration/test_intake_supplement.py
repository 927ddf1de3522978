"""A resident adds words and photos to their own open case (issue 15, item
1): through the API (POST /v1/track/:code/supplements, the tracking secret
authorises it as it does feedback) and through the follow page without
JavaScript (a plain multipart POST). The real router notes it on the
timeline ("居民补充：..."), which the resident and staff both see; staff
also read the words as written. A resolved case answers 409, a wrong secret
404, empty text 400 at its field, too large a photo 413; the event's public
part carries no supplement text for a case without consent, and a masked
one with consent."""
import base64
import json
import unittest

from tests.harness.qf import Cluster, wait_until
from tests.harness.svc_disclosure import Browser
from tests.harness.svc_intake import IntakeService, bearer, jpeg, multipart
from tests.harness.svc_router import Router
from tests.integration.test_intake_event_privacy import public_part

PETITION = {"channel": "app", "category": "facility_repair", "building": "B03",
            "address": "3栋2单元楼道", "description": "3栋2单元楼道的声控灯坏了一个星期。",
            "name": "吴晓明", "phone": "13912345678", "anonymous": False,
            "consent_public": False}


class SupplementTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("intake-supplement")
        cls.it = IntakeService(cls.cluster, start=False, settings={
            "intake.max_media_bytes": 200000})
        cls.router = Router(cls.cluster, [cls.it], start=False)
        cls.it.router = cls.router
        cls.it.write_config()
        cls.it.start(wait=False)
        cls.router.start()
        cls.it.proc.wait_ready()

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.cluster.close()
        assert rc == 0, "qf-intake exited with %s (see its log)" % rc

    def submit(self, **kw):
        body = dict(PETITION)
        body.update(kw)
        st, r = self.it.petition(body)
        self.assertEqual(st, 201, r)
        code, secret = r["tracking_code"], r["secret"]
        wait_until(lambda: self.it.track(code, secret)[1].get("handler"), timeout=15,
                   what="the assignment")
        return r["case_id"], code, secret

    def supplement(self, code, secret, body):
        return self.it.json("POST", "/v1/track/%s/supplements" % code, body,
                            {"X-Tracking-Secret": secret}, timeout=20)

    def notes(self, code, secret):
        return [e.get("note", "") for e in self.it.track(code, secret)[1].get("timeline", [])]

    def staff_view(self, cid):
        st, v = self.it.json("GET", "/v1/cases/" + cid, headers=bearer("supervisor"))
        self.assertEqual(st, 200, v)
        return v

    def test_api_text_and_photo(self):
        cid, code, secret = self.submit()
        photo = jpeg(3000)
        st, r = self.supplement(code, secret, {
            "text": "灯不亮后楼梯上有人摔倒了，我叫吴晓明。",
            "media": [{"data": base64.b64encode(photo).decode(),
                       "content_type": "image/jpeg"}]})
        self.assertIn(st, (200, 202), r)
        wait_until(lambda: any(n.startswith("居民补充：") for n in self.notes(code, secret)),
                   timeout=15, what="the supplement on the timeline")
        note = [n for n in self.notes(code, secret) if n.startswith("居民补充：")][0]
        self.assertIn("楼梯上有人摔倒了", note)
        # staff: the same timeline entry, and the words as written with the photo
        v = self.staff_view(cid)
        entry = [e for e in v["timeline"] if (e.get("note") or "").startswith("居民补充：")]
        self.assertEqual(len(entry), 1, v["timeline"])
        self.assertIn("我叫吴晓明", entry[0]["staff_notes"]["supplement"])
        # the staff case page shows it in its timeline
        st, _, page = self.it.request("GET", "/staff/cases/" + cid,
                                      headers=bearer("supervisor"))
        self.assertEqual(st, 200)
        self.assertIn("居民补充：", page.decode())
        sup = v["supplements"][0]
        self.assertIn("我叫吴晓明", sup["text"])
        self.assertEqual(len(sup["media"]), 1)
        st, _, raw = self.it.request("GET", "/v1/media/" + sup["media"][0],
                                     headers=bearer("supervisor"))
        self.assertEqual((st, raw), (200, photo))
        # no consent: the event's public part carries neither text nor photo
        evs = [e for e in self.it.watch(types=["PETITION_SUPPLEMENTED"])
               if e["case_id"] == cid]
        self.assertEqual(len(evs), 1, evs)
        pub = public_part(evs[0])
        self.assertNotIn("text", pub)
        self.assertNotIn("media", pub)
        self.assertNotIn("摔倒", json.dumps(pub, ensure_ascii=False))

    def test_consented_case_public_part_is_masked(self):
        cid, code, secret = self.submit(consent_public=True)
        st, r = self.supplement(code, secret, {"text": "我叫吴晓明，电话13912345678，灯还是不亮。"})
        self.assertIn(st, (200, 202), r)
        evs = [e for e in self.it.watch(types=["PETITION_SUPPLEMENTED"])
               if e["case_id"] == cid]
        self.assertEqual(len(evs), 1, evs)
        text = public_part(evs[0]).get("text", "")
        self.assertIn("灯还是不亮", text)
        self.assertNotIn("吴晓明", text)
        self.assertNotIn("13912345678", text)

    def test_sensitive_case_public_part_never_has_it(self):
        st, r = self.it.petition(dict(PETITION, category="integrity_report",
                                      description="经办人员要求请吃饭", consent_public=True))
        self.assertEqual(st, 201, r)
        st, ans = self.supplement(r["tracking_code"], r["secret"],
                                  {"text": "他又打电话来要钱了"})
        self.assertIn(st, (200, 202), ans)
        evs = [e for e in self.it.watch(types=["PETITION_SUPPLEMENTED"])
               if e["case_id"] == r["case_id"]]
        self.assertEqual(len(evs), 1, evs)
        self.assertNotIn("text", public_part(evs[0]))

    def test_page_without_js(self):
        cid, code, secret = self.submit()
        st, _, html = self.it.request("POST", "/t/" + code, "secret=" + secret,
                                      {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(st, 200)
        html = html.decode() if isinstance(html, bytes) else html
        self.assertIn('id="supplement-form"', html)
        body, ctype = multipart({"secret": secret, "text": "楼道窗户也坏了。"},
                                [("photos", "窗.jpg", "image/jpeg", jpeg(2000, seed=5))])
        st, _, html = self.it.request("POST", "/t/%s/supplements" % code, body,
                                      {"Content-Type": ctype})
        html = html.decode() if isinstance(html, bytes) else html
        self.assertEqual(st, 200, html[:1500])
        self.assertIn("已收到您的补充", html)
        wait_until(lambda: "居民补充：楼道窗户也坏了。" in self.notes(code, secret),
                   timeout=15, what="the supplement on the timeline")
        self.assertEqual(len(self.staff_view(cid)["supplements"][0]["media"]), 1)
        # the page shows it once rendered again
        st, _, html = self.it.request("POST", "/t/" + code, "secret=" + secret,
                                      {"Content-Type": "application/x-www-form-urlencoded"})
        html = html.decode() if isinstance(html, bytes) else html
        self.assertIn("居民补充：楼道窗户也坏了。", html)
        # empty text and no photo: the form again, the error at the text
        body, ctype = multipart({"secret": secret, "text": ""})
        st, _, html = self.it.request("POST", "/t/%s/supplements" % code, body,
                                      {"Content-Type": ctype})
        html = html.decode() if isinstance(html, bytes) else html
        self.assertEqual(st, 400, html[:1500])
        self.assertIn('aria-describedby="e-text"', html)

    def test_page_with_js(self):
        """The script's follow view (secret from the fragment) offers the same
        form; the browser posts it as a plain multipart form."""
        cid, code, secret = self.submit()
        base = "http://127.0.0.1:%d" % self.it.http_port
        with Browser(self.cluster) as b:
            b.open(base + "/t/%s#k=%s" % (code, secret))
            b.wait_for("!!document.getElementById('supplement-form')", timeout=20)
            b.eval("document.getElementById('f-text').value='单元门的锁也坏了。',1")
            b.eval("document.querySelector('#supplement-form button').click(),1")
            b.wait_for("document.readyState === 'complete' && "
                       "document.body.innerText.indexOf('已收到您的补充') >= 0", timeout=20)
        wait_until(lambda: "居民补充：单元门的锁也坏了。" in self.notes(code, secret),
                   timeout=15, what="the supplement on the timeline")

    def test_bad_input(self):
        cid, code, secret = self.submit()
        st, r = self.supplement(code, "0" * 20, {"text": "补充"})
        self.assertEqual((st, r["code"]), (404, "not_found"))
        st, r = self.supplement(code, secret, {"text": "   "})
        self.assertEqual((st, r["field"]), (400, "text"))
        st, r = self.supplement(code, secret, {})
        self.assertEqual((st, r["field"]), (400, "text"))
        big = jpeg(250000)
        st, r = self.supplement(code, secret, {
            "text": "大照片", "media": [{"data": base64.b64encode(big).decode()}]})
        self.assertEqual((st, r["code"], r["field"]), (413, "media_too_large", "media[0]"))
        mp, ctype = multipart({"secret": secret, "text": "大照片"},
                              [("photos", "big.jpg", "image/jpeg", big)])
        st, _, raw = self.it.request("POST", "/v1/track/%s/supplements" % code, mp,
                                     {"Content-Type": ctype})
        self.assertEqual((st, json.loads(raw)["code"]), (413, "media_too_large"))
        st, r = self.supplement(code, secret, {"text": "x" * 4001})
        self.assertEqual((st, r["field"]), (400, "text"))
        self.assertEqual(self.staff_view(cid).get("supplements"), None)

    def test_resolved_case_refuses(self):
        cid, code, secret = self.submit()
        for act in ({"action": "accept"}, {"action": "resolve", "result": "声控灯已更换。"}):
            st, body = self.it.action(cid, "head1", act)
            self.assertEqual(st, 200, body)
        wait_until(lambda: self.it.track(code, secret)[1].get("status") == "resolved",
                   timeout=15, what="resolved")
        self.assertFalse(self.it.track(code, secret)[1]["can_supplement"])
        st, r = self.supplement(code, secret, {"text": "还有问题"})
        self.assertEqual((st, r["code"]), (409, "state_forbids"), r)
        self.assertIn("不能再补充", r["detail"])
        body, ctype = multipart({"secret": secret, "text": "还有问题"})
        st, _, html = self.it.request("POST", "/t/%s/supplements" % code, body,
                                      {"Content-Type": ctype})
        html = html.decode() if isinstance(html, bytes) else html
        self.assertEqual(st, 409, html[:1500])
        self.assertIn("不能再补充", html)


if __name__ == "__main__":
    unittest.main()
