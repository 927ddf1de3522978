"""intake: submitting petitions through the native API.

Every line of tests/data/petitions.jsonl gets the verdict it expects; the
event carries masked data, a keyed pseudonym and a contact sealed to the
notifier; idempotency keys make retries safe; photos are stored by hash and
served back with their type.
"""
import base64
import hashlib
import json
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_intake import (SAMPLE, IntakeService, bearer, events_of, jpeg,
                                      multipart, png, sample_petitions, seal_open)


class PetitionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-pet")
        cls.it = IntakeService(cls.c, settings={"intake.max_media_bytes": 65536,
                                                 "intake.petition_max_body": 1048576})

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s (see its log)" % rc

    def post(self, body, headers=None):
        return self.it.petition(body, headers)

    # ------------------------------------------------------------ sample data
    def test_sample_petitions_get_their_verdicts(self):
        offline = {"patrol": "supervisor", "counter": "staff", "phone": "staff"}
        accepted = 0
        for i, line in enumerate(sample_petitions()):
            body = dict(line)
            expect = body.pop("expect")
            h = bearer(offline[body["channel"]]) if body["channel"] in offline else None
            st, ans = self.post(body, h)
            with self.subTest(line=i + 1, expect=expect):
                if expect == "accept":
                    self.assertEqual(st, 201, ans)
                    self.assertTrue(ans["case_id"].startswith("C"))
                    self.assertEqual(len(ans["case_id"]), 27)
                    self.assertRegex(ans["tracking_code"], r"^LSJ-[0-9A-HJKMNP-TV-Z]{6}$")
                    self.assertEqual(len(ans["secret"]), 20)
                    accepted += 1
                elif expect == "reject:spam":
                    self.assertEqual(st, 422, ans)
                    self.assertEqual(ans["code"], "rejected_as_spam")
                    self.assertTrue(ans["hold_id"].startswith("H"))
                else:
                    self.assertIn(st, (400, 422), ans)
                    self.assertIn(ans["field"], ("category", "building", "description",
                                                 "phone"))
                    self.assertTrue(ans.get("detail") or ans.get("message"))
        self.assertEqual(accepted, 26)

    def test_event_masks_and_seals_the_contact(self):
        body = dict(SAMPLE, name="郑国华", phone="+86 139-1111-2222", email="zgh@example.com",
                    description="5栋门口的下水道堵了，污水漫到路面。", building="B05",
                    consent_public=True, lat=30.1234, lng=104.5678)
        st, ans = self.post(body)
        self.assertEqual(st, 201, ans)
        evs = [e for e in self.it.wait_events(1, types=["PETITION_SUBMITTED"])
               if e["case_id"] == ans["case_id"]]
        if not evs:
            evs = [e for e in self.it.watch(types=["PETITION_SUBMITTED"])
                   if e["case_id"] == ans["case_id"]]
        self.assertEqual(len(evs), 1)
        e = evs[0]
        p = e["payload"]
        self.assertEqual(e["partition_key"], "B05")
        self.assertEqual(p["name_masked"], "郑**")
        self.assertEqual(p["phone_masked"], "139****2222")
        self.assertEqual(len(p["petitioner_pseudonym"]), 64)
        self.assertTrue(p["consent_public"])
        self.assertTrue(p["has_location"])
        raw = json.dumps(e, ensure_ascii=False)
        for secret in ("郑国华", "13911112222", "zgh@example.com"):
            self.assertNotIn(secret, raw)
        self.assertEqual(len(p["contact"]), 1)
        self.assertEqual(p["contact"][0]["recipient"], "notifier")
        opened = seal_open(self.it.seal_prefix, p["contact"][0]["sealed"])
        self.assertIsNotNone(opened)
        self.assertEqual(json.loads(opened), {"name": "郑国华", "phone": "13911112222",
                                              "email": "zgh@example.com"})
        # the same phone, however written, gives the same pseudonym
        st, ans2 = self.post(dict(SAMPLE, phone="13911112222"))
        self.assertEqual(st, 201)
        ev2 = [x for x in self.it.watch(types=["PETITION_SUBMITTED"])
               if x["case_id"] == ans2["case_id"]][0]
        self.assertEqual(ev2["payload"]["petitioner_pseudonym"], p["petitioner_pseudonym"])

    def test_anonymous_petition_has_no_contact(self):
        body = dict(SAMPLE, name="", phone="", anonymous=True)
        st, ans = self.post(body)
        self.assertEqual(st, 201, ans)
        ev = [x for x in self.it.watch(types=["PETITION_SUBMITTED"])
              if x["case_id"] == ans["case_id"]][0]["payload"]
        self.assertEqual(ev["name_masked"], "匿名")
        self.assertNotIn("contact", ev)
        self.assertNotIn("petitioner_pseudonym", ev)

    def test_offline_entry_records_the_staff_member(self):
        body = dict(SAMPLE, channel="counter")
        st, ans = self.post(body)
        self.assertEqual(st, 401, ans)
        self.assertEqual(ans["field"], "Authorization")
        st, ans = self.post(body, bearer("staff"))
        self.assertEqual(st, 201, ans)
        ev = [x for x in self.it.watch(types=["PETITION_SUBMITTED"])
              if x["case_id"] == ans["case_id"]][0]["payload"]
        self.assertEqual(ev["entered_by"]["staff_id"], "s03")
        self.assertEqual(ev["channel"], "counter")

    def test_integrity_report_names_the_staff_reported(self):
        body = dict(SAMPLE, category="integrity_report", concerns_staff="s04",
                    parties=["s04"], description="楼长处理维修费时要求居民额外付钱，不开收据。")
        st, ans = self.post(body)
        self.assertEqual(st, 201, ans)
        ev = [x for x in self.it.watch(types=["PETITION_SUBMITTED"])
              if x["case_id"] == ans["case_id"]][0]["payload"]
        self.assertEqual(ev["concerns_staff"], "s04")
        self.assertEqual(ev["parties"], ["s04"])
        st, ans = self.post(dict(SAMPLE, concerns_staff="s04"))
        self.assertEqual((st, ans["field"]), (422, "concerns_staff"))
        st, ans = self.post(dict(body, concerns_staff="s99"))
        self.assertEqual((st, ans["code"]), (422, "unknown_staff"))

    # ------------------------------------------------------------ idempotency
    def test_idempotency_key_replays_the_first_answer(self):
        h = {"Idempotency-Key": "retry-test-1"}
        st1, a1 = self.post(dict(SAMPLE), h)
        self.assertEqual(st1, 201)
        st2, hd, raw = self.it.request("POST", "/v1/petitions", dict(SAMPLE), h)
        a2 = json.loads(raw)
        self.assertEqual(st2, 201)
        self.assertEqual(a2, a1)
        self.assertEqual(hd.get("idempotent-replayed"), "true")
        st3, a3 = self.post(dict(SAMPLE, description="完全不同的另一件事情需要处理。"), h)
        self.assertEqual(st3, 422)
        self.assertEqual(a3["code"], "idempotency_key_reused")
        evs = [x for x in self.it.watch(types=["PETITION_SUBMITTED"])
               if x["case_id"] == a1["case_id"]]
        self.assertEqual(len(evs), 1)

    def test_concurrent_retries_make_one_case(self):
        import threading
        h = {"Idempotency-Key": "concurrent-1"}
        answers = []

        def go():
            answers.append(self.post(dict(SAMPLE, building="B09"), h))
        ts = [threading.Thread(target=go) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        ids = {a["case_id"] for st, a in answers if st == 201}
        self.assertEqual(len(ids), 1, answers)
        self.assertTrue(all(st == 201 for st, _ in answers))

    def test_malformed_idempotency_key(self):
        st, ans = self.post(dict(SAMPLE), {"Idempotency-Key": "x" * 300})
        self.assertEqual((st, ans["field"]), (400, "Idempotency-Key"))

    # ------------------------------------------------------------ photos
    def test_json_photos_are_stored_and_served(self):
        j, p = jpeg(), png()
        # shown to anyone because the petitioner consented (test_intake_media
        # has the other cases)
        body = dict(SAMPLE, consent_public=True, media=[
            {"data": base64.b64encode(j).decode(), "content_type": "image/jpeg"},
            {"data": "data:image/png;base64," + base64.b64encode(p).decode()},
            "https://example.org/photo/1.jpg"])
        st, ans = self.post(body)
        self.assertEqual(st, 201, ans)
        self.assertEqual(len(ans["media"]), 3)
        self.assertEqual(ans["media"][0]["sha256"], hashlib.sha256(j).hexdigest())
        st, hd, data = self.it.request("GET", ans["media"][0]["url"])
        self.assertEqual((st, hd["content-type"], data), (200, "image/jpeg", j))
        st, hd, data = self.it.request("GET", "/v1/media/" + hashlib.sha256(p).hexdigest())
        self.assertEqual((st, hd["content-type"], data), (200, "image/png", p))
        self.assertIn("public", hd["cache-control"])
        st, _, _ = self.it.request("GET", "/v1/media/" + "0" * 64)
        self.assertEqual(st, 404)
        st, _, _ = self.it.request("GET", "/v1/media/../../etc/passwd")
        self.assertEqual(st, 404)

    def test_multipart_upload_with_photos(self):
        fields = {k: ("true" if v is True else "false" if v is False else v)
                  for k, v in SAMPLE.items()}
        fields["consent_public"] = "on"
        fields["lat"] = "30.5"
        fields["lng"] = "104.1"
        j = jpeg(2000, seed=9)
        body, ctype = multipart(fields, [("media", "楼道.jpg", "image/jpeg", j),
                                         ("media", "b.png", "image/png", png(100, 7))])
        st, hd, raw = self.it.request("POST", "/v1/petitions", body,
                                      {"Content-Type": ctype})
        ans = json.loads(raw)
        self.assertEqual(st, 201, ans)
        self.assertEqual(ans["media"][0]["sha256"], hashlib.sha256(j).hexdigest())
        st, _, data = self.it.request("GET", ans["media"][0]["url"])
        self.assertEqual(data, j)
        st, view = self.it.track(ans["tracking_code"], ans["secret"])
        self.assertTrue(view["consent_public"])
        self.assertEqual(view["lat"], 30.5)

    def test_upload_name_with_path_tricks_is_refused(self):
        fields = {k: str(v).lower() if isinstance(v, bool) else v for k, v in SAMPLE.items()}
        for name in ("../../etc/passwd", "..\\x.jpg", "/tmp/a.jpg", ".hidden.jpg",
                     "a/b.jpg"):
            with self.subTest(name=name):
                body, ctype = multipart(fields, [("media", name, "image/jpeg", jpeg())])
                st, _, raw = self.it.request("POST", "/v1/petitions", body,
                                             {"Content-Type": ctype})
                ans = json.loads(raw)
                self.assertEqual((st, ans["code"], ans["field"]),
                                 (400, "bad_filename", "media[0]"))

    def test_photo_that_is_not_an_image(self):
        body = dict(SAMPLE, media=[{"data": base64.b64encode(b"GIF89a....").decode()}])
        st, ans = self.post(body)
        self.assertEqual((st, ans["code"], ans["field"]),
                         (415, "unsupported_media_type", "media[0]"))

    def test_photo_too_large(self):
        big = jpeg(70000)  # the test limit is 64 KiB
        body = dict(SAMPLE, media=[{"data": base64.b64encode(big).decode()}])
        st, ans = self.post(body)
        self.assertEqual((st, ans["code"], ans["field"]), (413, "media_too_large", "media[0]"))
        fields = {k: str(v).lower() if isinstance(v, bool) else v for k, v in SAMPLE.items()}
        mp, ctype = multipart(fields, [("media", "big.jpg", "image/jpeg", big)])
        st, _, raw = self.it.request("POST", "/v1/petitions", mp, {"Content-Type": ctype})
        self.assertEqual((st, json.loads(raw)["code"]), (413, "media_too_large"))

    def test_too_many_photos(self):
        media = [{"data": base64.b64encode(jpeg(50, seed=s)).decode()} for s in range(5)]
        st, ans = self.post(dict(SAMPLE, media=media))
        self.assertEqual((st, ans["code"]), (422, "too_many_media"))

    def test_bad_base64_and_bad_url(self):
        st, ans = self.post(dict(SAMPLE, media=[{"data": "!!!not base64!!!"}]))
        self.assertEqual((st, ans["code"]), (400, "invalid_media"))
        st, ans = self.post(dict(SAMPLE, media=["ftp://example.org/x.jpg"]))
        self.assertEqual((st, ans["code"]), (400, "invalid_media"))
        st, ans = self.post(dict(SAMPLE, media=["https://user:pw@example.org/x.jpg"]))
        self.assertEqual((st, ans["code"]), (400, "invalid_media"))
        st, ans = self.post(dict(SAMPLE, media=[{"sha256": "f" * 64}]))
        self.assertEqual((st, ans["code"]), (422, "unknown_media"))

    # ------------------------------------------------------------ follow
    def test_follow_needs_the_secret_outside_the_url(self):
        st, ans = self.post(dict(SAMPLE))
        code, secret = ans["tracking_code"], ans["secret"]
        st, view = self.it.track(code, secret)
        self.assertEqual(st, 200)
        self.assertEqual(view["case_id"], ans["case_id"])
        self.assertEqual(view["status"], "submitted")
        self.assertEqual(view["timeline"][0]["event"], "submitted")
        self.assertNotIn("secret_hash", json.dumps(view))
        # lower case and confusable letters are normalised
        st, _ = self.it.track(code.lower().replace("1", "l"), secret.lower())
        self.assertEqual(st, 200)
        st, err = self.it.track(code, "0" * 20)
        self.assertEqual((st, err["code"]), (404, "not_found"))
        st, err = self.it.track("LSJ-000000", secret)
        self.assertEqual(st, 404)
        st, err = self.it.json("GET", "/v1/track/%s" % code)
        self.assertEqual((st, err["code"]), (401, "missing_secret"))
        st, err = self.it.json("GET", "/v1/track/%s?secret=%s" % (code, secret))
        self.assertEqual((st, err["code"]), (400, "secret_in_url"))
        st, view = self.it.json("POST", "/v1/track", {"tracking_code": code, "secret": secret})
        self.assertEqual(st, 200)

    def test_community_lists_categories_and_buildings(self):
        st, c = self.it.json("GET", "/v1/community")
        self.assertEqual(st, 200)
        self.assertIn("safety_hazard", [x["code"] for x in c["categories"]])
        self.assertIn("B01", [x["id"] for x in c["buildings"]])
        self.assertNotIn("0818-2100001", json.dumps(c))
        self.assertNotIn("13900000004", json.dumps(c))

    def test_health_ready_metrics(self):
        self.assertEqual(self.it.json("GET", "/healthz")[0], 200)
        self.assertEqual(self.it.json("GET", "/readyz")[0], 200)
        st, _, m = self.it.request("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertIn(b"qf_intake_petitions_total", m)


if __name__ == "__main__":
    unittest.main()
