"""intake: bad input of every kind gets the right status and a
{code, message, field} body, and the process never falls over."""
import json
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_intake import SAMPLE, IntakeService, bearer, jpeg, multipart


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-bad")
        cls.it = IntakeService(cls.c, settings={"intake.max_media_bytes": 65536,
                                                 "intake.petition_max_body": 1048576})

    @classmethod
    def tearDownClass(cls):
        # after everything thrown at it, the service still answers
        st, _ = cls.it.json("GET", "/healthz")
        alive = cls.it.proc.alive()
        rc = cls.it.stop()
        cls.c.close()
        assert st == 200 and alive, "intake died during the bad-input tests"
        assert rc == 0, "qf-intake exited with %s" % rc

    def raw(self, body, ctype="application/json", headers=None, path="/v1/petitions"):
        h = {"Content-Type": ctype} if ctype else {}
        h.update(headers or {})
        st, _, data = self.it.request("POST", path, body, h)
        try:
            return st, json.loads(data)
        except ValueError:
            return st, None

    def assertError(self, got, status, code=None, field=None):
        st, body = got
        self.assertEqual(st, status, body)
        self.assertIsInstance(body, dict)
        self.assertIn("detail", body)
        self.assertEqual(body["status"], status)
        self.assertTrue(body["detail"])
        if code:
            self.assertEqual(body["code"], code)
        if field is not None:
            self.assertEqual(body["field"], field)

    # ------------------------------------------------------------ bodies
    def test_invalid_utf8(self):
        body = json.dumps(SAMPLE, ensure_ascii=False).encode().replace(
            "声控灯".encode(), b"\xff\xfe\xfd")
        self.assertError(self.raw(body), 400, "invalid_utf8")

    def test_overlong_utf8(self):
        body = b'{"description": "\xc0\xaf"}'
        self.assertError(self.raw(body), 400, "invalid_utf8")

    def test_malformed_json(self):
        self.assertError(self.raw(b'{"category": "safety_hazard",'), 400, "malformed_json")

    def test_duplicate_keys(self):
        self.assertError(self.raw(b'{"category": "a", "category": "b"}'), 400, "malformed_json")

    def test_not_an_object(self):
        self.assertError(self.raw(b'["safety_hazard"]'), 400, "not_an_object")

    def test_empty_body(self):
        self.assertError(self.raw(b"", ctype="application/json"), 400)

    def test_wrong_content_type(self):
        self.assertError(self.raw(json.dumps(SAMPLE).encode(), ctype="text/plain"), 415,
                         "unsupported_media_type", "Content-Type")

    def test_missing_content_type(self):
        self.assertError(self.raw(json.dumps(SAMPLE).encode(), ctype=None), 415)

    def oversize(self, path, length):
        """Announce a body over the limit: the answer comes before the body
        is read (the server may close while we would still be sending)."""
        import socket
        s = socket.create_connection(("127.0.0.1", self.it.http_port), timeout=10)
        try:
            s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n\r\n" % (path, length)).encode())
            try:
                s.sendall(b"{" + b" " * 65536)
            except OSError:
                pass
            data = b""
            while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 20:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split()[1])
        return status, json.loads(body[body.index(b"{"):body.rindex(b"}") + 1])

    def test_oversize_body(self):
        self.assertError(self.oversize("/v1/petitions", 1100 * 1024), 413, "body_too_large")

    def test_oversize_body_on_small_route(self):
        self.assertError(self.oversize("/v1/track", 300 * 1024), 413, "body_too_large")

    def test_oversize_chunked_body(self):
        # no Content-Length: the limit is enforced while reading
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.it.http_port, timeout=10)
        try:
            def chunks():
                for _ in range(40):
                    yield b"x" * 32768
            conn.request("POST", "/v1/petitions", body=chunks(),
                         headers={"Content-Type": "application/json"}, encode_chunked=True)
            r = conn.getresponse()
            st, body = r.status, json.loads(r.read())
        except (BrokenPipeError, ConnectionResetError):
            return  # refused while sending: also a refusal
        finally:
            conn.close()
        self.assertError((st, body), 413, "body_too_large")

    # ------------------------------------------------------------ fields
    def test_missing_fields(self):
        # no building is no error: it is found from the place or dispatched
        # (test_intake_locate)
        for f in ("category", "address", "description", "channel", "name", "phone"):
            with self.subTest(field=f):
                body = dict(SAMPLE)
                del body[f]
                self.assertError(self.it.petition(body), 400, "missing_field", f)

    def test_blank_fields(self):
        for f in ("address", "description", "name"):
            with self.subTest(field=f):
                self.assertError(self.it.petition(dict(SAMPLE, **{f: "   "})), 400,
                                 "missing_field", f)

    def test_wrong_types(self):
        cases = [("anonymous", "yes"), ("consent_public", 1), ("description", 42),
                 ("category", ["safety_hazard"]), ("name", {"x": 1}), ("parties", "s04"),
                 ("media", "https://example.org/a.jpg")]
        for f, v in cases:
            with self.subTest(field=f):
                st, body = self.it.petition(dict(SAMPLE, **{f: v}))
                self.assertEqual(st, 400, body)
                self.assertEqual(body["field"], f)

    def test_location(self):
        self.assertError(self.it.petition(dict(SAMPLE, lat=30.1)), 400, "invalid_location",
                         "lng")
        self.assertError(self.it.petition(dict(SAMPLE, lat=91.0, lng=104.0)), 400,
                         "invalid_location", "lat")
        self.assertError(self.it.petition(dict(SAMPLE, lat=30.0, lng=-181)), 400,
                         "invalid_location", "lng")
        self.assertError(self.it.petition(dict(SAMPLE, lat="30", lng=104.0)), 400,
                         "invalid_location", "lat")

    def test_unknown_category_and_building(self):
        self.assertError(self.it.petition(dict(SAMPLE, category="no_such")), 422,
                         "unknown_category", "category")
        self.assertError(self.it.petition(dict(SAMPLE, building="B99")), 422,
                         "unknown_building", "building")

    def test_bad_phones(self):
        for ph in ("12345", "1381234567", "138123456789", "12812345678", "abc13812345678",
                   "+1 4155550100", "0818-123", "0818-21000021234567", "010-0123456"):
            with self.subTest(phone=ph):
                self.assertError(self.it.petition(dict(SAMPLE, phone=ph)), 400,
                                 "invalid_phone", "phone")

    def test_good_phones(self):
        for ph in ("13812345678", "138 1234 5678", "138-1234-5678", "+86 13812345678",
                   "008613812345678", "0818-2100002", "028-85551234", "02885551234",
                   "0818-2100002-12"):
            with self.subTest(phone=ph):
                st, body = self.it.petition(dict(SAMPLE, phone=ph))
                self.assertEqual(st, 201, body)

    def test_bad_email(self):
        for em in ("nobody", "a@b", "a b@example.org", "<x>@example.org"):
            with self.subTest(email=em):
                self.assertError(self.it.petition(dict(SAMPLE, email=em)), 400,
                                 "invalid_email", "email")

    def test_bad_channel(self):
        self.assertError(self.it.petition(dict(SAMPLE, channel="fax")), 400, "invalid_channel",
                         "channel")
        # open311 is the Open311 endpoint's own channel
        self.assertError(self.it.petition(dict(SAMPLE, channel="open311")), 400,
                         "invalid_channel", "channel")

    def test_description_length(self):
        text = "".join(chr(0x4E00 + (i * 7) % 2000) for i in range(4000))
        self.assertEqual(self.it.petition(dict(SAMPLE, description=text))[0], 201)
        self.assertError(self.it.petition(dict(SAMPLE, description=text + "楼")), 400,
                         "too_long", "description")

    def test_control_characters(self):
        self.assertError(self.it.petition(dict(SAMPLE, description="路灯坏了\u0007请修")), 400,
                         "invalid_text", "description")
        self.assertError(self.it.petition(dict(SAMPLE, name="张\n三")), 400, "invalid_text",
                         "name")
        self.assertError(self.raw(b'{"description": "a\\u0000b"}'), 400)

    def test_unknown_party(self):
        self.assertError(self.it.petition(dict(SAMPLE, parties=["s04", "zz"])), 422,
                         "unknown_staff", "parties")

    # ------------------------------------------------------------ tokens
    def test_bad_token(self):
        self.assertError(self.it.petition(dict(SAMPLE), {"Authorization": "Bearer nope"}), 401,
                         "invalid_token", "Authorization")
        self.assertError(self.it.petition(dict(SAMPLE), {"Authorization": "Basic eDp5"}), 401,
                         "invalid_token")
        self.assertError(self.it.json("GET", "/v1/cases"), 401, "missing_token")

    def test_role_may_not(self):
        st, body = self.it.json("POST", "/v1/visits", {"date": "2026-03-01", "place": "3栋"},
                                bearer("head1"))
        self.assertError((st, body), 403, "forbidden_role")
        st, body = self.it.json("POST", "/v1/disclosures/ledger", {"kind": "ledger"},
                                bearer("supervisor"))
        self.assertError((st, body), 403, "forbidden_role")

    # ------------------------------------------------------------ routing
    def test_unknown_route_and_method(self):
        st, body = self.it.json("GET", "/v1/nothing")
        self.assertError((st, body), 404, "not_found")
        st, hd, _ = self.it.request("DELETE", "/v1/petitions")
        self.assertEqual(st, 405)
        self.assertIn("POST", hd["allow"])

    # ------------------------------------------------------------ forms
    def test_form_invalid_utf8(self):
        fields = {k: str(v).lower() if isinstance(v, bool) else v for k, v in SAMPLE.items()}
        body, ctype = multipart(fields)
        body = body.replace("声控灯".encode(), b"\xff\xfe")
        self.assertError(self.raw(body, ctype), 400, "invalid_utf8", "description")

    def test_form_duplicate_field(self):
        fields = {k: str(v).lower() if isinstance(v, bool) else v for k, v in SAMPLE.items()}
        fields["category"] = ["safety_hazard", "facility_repair"]
        body, ctype = multipart(fields)
        self.assertError(self.raw(body, ctype), 400, "duplicate_field", "category")

    def test_form_bad_boolean(self):
        fields = {k: str(v).lower() if isinstance(v, bool) else v for k, v in SAMPLE.items()}
        fields["anonymous"] = "maybe"
        body, ctype = multipart(fields)
        self.assertError(self.raw(body, ctype), 400, "invalid_type", "anonymous")

    def test_form_urlencoded(self):
        from urllib.parse import urlencode
        fields = {k: str(v).lower() if isinstance(v, bool) else v for k, v in SAMPLE.items()}
        st, body = self.raw(urlencode(fields).encode(), "application/x-www-form-urlencoded")
        self.assertEqual(st, 201, body)

    def test_form_truncated(self):
        fields = {k: str(v).lower() if isinstance(v, bool) else v for k, v in SAMPLE.items()}
        body, ctype = multipart(fields, [("media", "a.jpg", "image/jpeg", jpeg())])
        st, _ = self.raw(body[: len(body) // 2], ctype)
        self.assertIn(st, (400, 422))

    def test_form_without_boundary(self):
        st, body = self.raw(b"--x\r\n", "multipart/form-data")
        self.assertIn(st, (400, 415))


if __name__ == "__main__":
    unittest.main()
