"""Who may see a photo (issue 12): GET /v1/media/<sha> answers without a
token only for a case whose petitioner consented and which is not
sensitive; otherwise only a staff member who may see the case; anyone else
gets 404, never 403. A petition references a photo by hash only with the
upload token POST /v1/media gave; staff may attach a photo already on the
case they act on. Above all: a photo withheld on case A cannot be put on
public case B."""
import base64
import hashlib
import unittest

from tests.harness.qf import Cluster, Emitter
from tests.harness.svc_intake import SAMPLE, IntakeService, bearer, jpeg, png


def b64(data):
    return base64.b64encode(data).decode()


class MediaAccessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-media")
        cls.router = Emitter(cls.c, "router")
        cls.it = IntakeService(cls.c, router=cls.router,
                               settings={"intake.action_wait_ms": 200})

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s" % rc

    def submit(self, **kw):
        st, ans = self.it.petition(dict(SAMPLE, **kw))
        self.assertEqual(st, 201, ans)
        return ans

    def get(self, sha, who=None):
        h = bearer(who) if who else {}
        st, hd, data = self.it.request("GET", "/v1/media/" + sha, headers=h)
        return st, hd, data

    def upload(self, data, who="head1", ctype="image/jpeg"):
        st, up = self.it.json("POST", "/v1/media", data,
                              dict(bearer(who), **{"Content-Type": ctype}))
        self.assertEqual(st, 201, up)
        return up

    def test_withheld_photo_is_not_public_and_cannot_be_moved(self):
        # the petition: no consent, an address with a room and a name,
        # coordinates and one photo
        photo = jpeg(900, seed=41)
        sha = hashlib.sha256(photo).hexdigest()
        a = self.submit(consent_public=False, address="5栋2单元402室 闵晓霏家",
                        lat=30.5, lng=104.1, media=[{"data": b64(photo)}])
        st, hd, body = self.get(sha)
        self.assertEqual(st, 404, body)
        self.assertEqual(body, self.get("f" * 64)[2])  # the same answer as no photo
        # staff who may see the case do see it, not cached for others
        st, hd, data = self.get(sha, "secretary")
        self.assertEqual((st, data), (200, photo))
        self.assertIn("private", hd["cache-control"])
        self.assertNotIn("etag", hd)
        # case B, public, cannot take A's photo by its hash
        st, ans = self.it.petition(dict(SAMPLE, consent_public=True, media=[{"sha256": sha}]))
        self.assertEqual((st, ans["code"], ans["field"]), (422, "unknown_media", "media[0]"))
        st, ans = self.it.petition(dict(SAMPLE, consent_public=True, media=[
            {"sha256": sha, "upload_token": "U01M8A1AAQ07ERATANNW2C008VF.0GHQBXPGRNNK5S185GSH"}]))
        self.assertEqual((st, ans["code"]), (422, "unknown_media"))
        # nor may staff attach it to another, public case
        b = self.submit(consent_public=True)
        self.it.assign(b["case_id"], "s04")
        self.it.assign(a["case_id"], "s04")
        st, ans = self.it.action(b["case_id"], "head1", {
            "action": "progress", "progress": "现场照片", "media": [{"sha256": sha}]})
        self.assertEqual((st, ans["code"]), (422, "unknown_media"))
        self.assertEqual(self.get(sha)[0], 404)
        # on A itself, a staff note may show A's own photo again
        st, ans = self.it.action(a["case_id"], "head1", {
            "action": "progress", "progress": "现场照片", "media": [{"sha256": sha}]})
        self.assertIn(st, (200, 202), ans)
        self.assertEqual(self.get(sha)[0], 404)

    def test_consented_photo_is_public(self):
        photo = png(700, seed=42)
        sha = hashlib.sha256(photo).hexdigest()
        self.submit(consent_public=True, media=[{"data": b64(photo)}])
        st, hd, data = self.get(sha)
        self.assertEqual((st, hd["content-type"], data), (200, "image/png", photo))
        self.assertIn("public", hd["cache-control"])
        st, _, _ = self.it.request("GET", "/v1/media/" + sha,
                                   headers={"If-None-Match": '"%s"' % sha})
        self.assertEqual(st, 304)

    def test_integrity_report_photo_only_for_who_may_see_it(self):
        photo = jpeg(800, seed=43)
        sha = hashlib.sha256(photo).hexdigest()
        self.submit(category="integrity_report", concerns_staff="s04", consent_public=True,
                    media=[{"data": b64(photo)}])
        self.assertEqual(self.get(sha)[0], 404)  # sensitive: never public
        self.assertEqual(self.get(sha, "supervisor")[0], 200)
        self.assertEqual(self.get(sha, "head1")[0], 404)  # s04: the person concerned
        self.assertEqual(self.get(sha, "secretary")[0], 404)  # s01 supervises s04
        self.assertEqual(self.get(sha, "civil")[0], 404)  # not handling it

    def test_upload_token(self):
        photo = jpeg(1000, seed=44)
        sha = hashlib.sha256(photo).hexdigest()
        up = self.upload(photo)
        self.assertEqual(up["sha256"], sha)
        # not attached yet: the uploader only
        self.assertEqual(self.get(sha)[0], 404)
        self.assertEqual(self.get(sha, "head1")[0], 200)
        self.assertEqual(self.get(sha, "head2")[0], 404)
        # a wrong secret half, another photo's hash: refused
        bad = up["upload_token"][:-1] + ("0" if up["upload_token"][-1] != "0" else "1")
        st, ans = self.it.petition(dict(SAMPLE, media=[{"sha256": sha, "upload_token": bad}]))
        self.assertEqual((st, ans["code"]), (422, "unknown_media"))
        other = hashlib.sha256(b"x").hexdigest()
        st, ans = self.it.petition(dict(SAMPLE, media=[
            {"sha256": other, "upload_token": up["upload_token"]}]))
        self.assertEqual((st, ans["code"]), (422, "unknown_media"))
        # attached to a withheld case: staff who may see it, not the public
        a = self.submit(consent_public=False, building="B05", media=[
            {"sha256": sha, "upload_token": up["upload_token"]}])
        self.assertEqual(self.get(sha)[0], 404)
        self.assertEqual(self.get(sha, "head2")[0], 200)  # heads B05: may see the case
        # attached by a staff note to a consented case: public from then on
        c = self.submit(consent_public=True)
        self.it.assign(c["case_id"], "s04")
        st, ans = self.it.action(c["case_id"], "head1", {
            "action": "progress", "progress": "已更换", "media": [
                {"sha256": sha, "upload_token": up["upload_token"]}]})
        self.assertIn(st, (200, 202), ans)
        self.assertEqual(self.get(sha)[0], 200)
        self.assertTrue(a)

    def test_released_hold_keeps_its_photo(self):
        photo = jpeg(650, seed=45)
        sha = hashlib.sha256(photo).hexdigest()
        st, held = self.it.petition(dict(SAMPLE, description="免费领取 http://spam.example/b",
                                         media=[{"data": b64(photo)}]))
        self.assertEqual((st, held["code"]), (422, "rejected_as_spam"))
        self.assertEqual(self.get(sha)[0], 404)
        self.assertEqual(self.get(sha, "supervisor")[0], 200)  # the reviewer
        self.assertEqual(self.get(sha, "head1")[0], 404)
        st, ans = self.it.json("POST", "/v1/spam/%s/release" % held["hold_id"], {},
                               bearer("supervisor"))
        self.assertEqual(st, 201, ans)
        # the case has it now (no consent: staff only); the hold's copy is gone
        self.assertEqual(self.get(sha, "head1")[0], 200)
        self.assertEqual(self.get(sha)[0], 404)
        st, v = self.it.json("GET", "/v1/cases/" + ans["case_id"], headers=bearer("head1"))
        self.assertEqual(v["media"][0]["sha256"], sha)

    def test_bad_input(self):
        for path in ("/v1/media/xyz", "/v1/media/" + "g" * 64, "/v1/media/" + "0" * 63,
                     "/v1/media/" + "0" * 65):
            st, _, _ = self.it.request("GET", path)
            self.assertEqual(st, 404, path)
        st, hd, _ = self.it.request("GET", "/v1/media/" + "0" * 64,
                                    headers={"Authorization": "Bearer nope"})
        self.assertEqual(st, 401)
        sha = "0" * 64
        for tok, want in ((7, 400), ("a b", 400), ("", 400), ("U" * 80, 400), (None, 422)):
            st, ans = self.it.petition(dict(SAMPLE, media=[{"sha256": sha, "upload_token": tok}]))
            self.assertEqual(st, want, (tok, ans))
            if want == 400:
                self.assertEqual((ans["code"], ans["field"]),
                                 ("invalid_media", "media[0].upload_token"))


if __name__ == "__main__":
    unittest.main()
