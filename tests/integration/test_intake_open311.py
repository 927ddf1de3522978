"""intake: Open311 GeoReport v2: discovery, services and definitions,
POST requests with api_key, GET requests with the spec's filters and
page/page_size, JSON and XML, errors as [{code, description}], and no
personal data in any GET answer."""
import json
import unittest
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from tests.harness.qf import Cluster
from tests.harness.svc_intake import OPEN311_KEY, SAMPLE, IntakeService, jpeg, multipart

FORM = "application/x-www-form-urlencoded"


class Open311Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-o311")
        cls.it = IntakeService(cls.c)

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s (see its log)" % rc

    def post(self, fields, fmt="json", headers=None):
        h = {"Content-Type": FORM}
        h.update(headers or {})
        st, hd, data = self.it.request("POST", "/open311/v2/requests.%s" % fmt,
                                       urlencode(fields), h)
        return st, hd, data

    def base(self, **kw):
        f = {"api_key": OPEN311_KEY, "service_code": "sanitation_hazard", "address_id": "B06",
             "address_string": "6栋东侧垃圾桶", "description": "6栋东侧的垃圾桶满了两天没人清理。",
             "first_name": "秀兰", "last_name": "蒋", "phone": "13566667777",
             "email": "jxl@example.org", "lat": "30.651", "long": "104.075"}
        f.update(kw)
        return f

    def assertErrors(self, st, data, status, fmt="json"):
        self.assertEqual(st, status, data)
        if fmt == "json":
            body = json.loads(data)
            self.assertIsInstance(body, list)
            self.assertEqual(body[0]["code"], status)
            self.assertTrue(body[0]["description"])
        else:
            root = ET.fromstring(data)
            self.assertEqual(root.tag, "errors")
            self.assertEqual(root.find("error/code").text, str(status))

    # ------------------------------------------------------------ discovery
    def test_discovery(self):
        st, d = self.it.json("GET", "/open311/discovery.json")
        self.assertEqual(st, 200)
        ep = d["endpoints"][0]
        self.assertEqual(ep["specification"], "http://wiki.open311.org/GeoReport_v2")
        self.assertTrue(ep["url"].endswith("/open311/v2"))
        self.assertEqual(set(ep["formats"]), {"text/xml", "application/json"})
        st, _, x = self.it.request("GET", "/open311/discovery.xml")
        root = ET.fromstring(x)
        self.assertEqual(root.tag, "discovery")
        self.assertEqual(root.find("endpoints/endpoint/type").text, "production")
        self.assertEqual(len(root.findall("endpoints/endpoint/formats/format")), 2)

    def test_services(self):
        st, s = self.it.json("GET", "/open311/v2/services.json")
        self.assertEqual(st, 200)
        codes = {x["service_code"]: x for x in s}
        self.assertIn("safety_hazard", codes)
        self.assertEqual(codes["safety_hazard"]["service_name"], "安全隐患")
        for k in ("service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"):
            self.assertIn(k, codes["rental_dispute"])
        st, hd, x = self.it.request("GET", "/open311/v2/services.xml")
        self.assertTrue(hd["content-type"].startswith("text/xml"))
        root = ET.fromstring(x)
        self.assertEqual(root.tag, "services")
        self.assertEqual(len(root.findall("service")), len(s))

    def test_service_definition(self):
        st, d = self.it.json("GET", "/open311/v2/services/integrity_report.json")
        self.assertEqual(st, 200)
        self.assertEqual(d["service_code"], "integrity_report")
        codes = [a["code"] for a in d["attributes"]]
        self.assertIn("consent_public", codes)
        self.assertIn("concerns_staff", codes)
        a = d["attributes"][0]
        for k in ("variable", "code", "datatype", "required", "datatype_description", "order",
                  "description", "values"):
            self.assertIn(k, a)
        st, _, x = self.it.request("GET", "/open311/v2/services/safety_hazard.xml")
        root = ET.fromstring(x)
        self.assertEqual(root.tag, "service_definition")
        self.assertEqual(root.find("attributes/attribute/values/value/key").text, "true")
        st, _, data = self.it.request("GET", "/open311/v2/services/nothing.json")
        self.assertErrors(st, data, 404)

    # ------------------------------------------------------------ POST
    def test_post_and_get_request(self):
        st, _, data = self.post(self.base(**{"attribute[consent_public]": "true"}))
        self.assertEqual(st, 201, data)
        r = json.loads(data)[0]
        rid = r["service_request_id"]
        self.assertTrue(rid.startswith("C"))
        self.assertIn("service_notice", r)
        self.assertIn("account_id", r)
        st, got = self.it.json("GET", "/open311/v2/requests/%s.json" % rid)
        self.assertEqual(st, 200)
        g = got[0]
        for k in ("service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "lat", "long", "media_url"):
            self.assertIn(k, g)
        self.assertEqual(g["status"], "open")
        self.assertEqual(g["address_id"], "B06")
        self.assertEqual(g["service_code"], "sanitation_hazard")
        self.assertEqual(g["lat"], 30.651)
        self.assertIn("垃圾桶", g["description"])
        text = json.dumps(got, ensure_ascii=False)
        for personal in ("蒋", "秀兰", "13566667777", "jxl@example.org"):
            self.assertNotIn(personal, text)
        # the petition event names the client and the channel
        ev = [e for e in self.it.watch(types=["PETITION_SUBMITTED"]) if e["case_id"] == rid]
        self.assertEqual(ev[0]["payload"]["channel"], "open311")
        self.assertEqual(ev[0]["payload"]["client"], "test-app")
        self.assertEqual(ev[0]["payload"]["name_masked"], "蒋**")
        # the petitioner can follow with the extension fields
        st, view = self.it.track(r["tracking_code"], r["tracking_secret"])
        self.assertEqual((st, view["case_id"]), (200, rid))

    def test_no_personal_or_private_data_without_consent(self):
        st, _, data = self.post(self.base(description="我家（6栋3单元502）门口的垃圾没人收。"))
        self.assertEqual(st, 201, data)
        rid = json.loads(data)[0]["service_request_id"]
        st, got = self.it.json("GET", "/open311/v2/requests/%s.json" % rid)
        g = got[0]
        self.assertEqual(g["description"], "")
        self.assertIsNone(g["lat"])
        self.assertNotIn("6栋东侧垃圾桶", g["address"])
        self.assertIn("6栋", g["address"])  # the building is public
        st, lst = self.it.json("GET", "/open311/v2/requests.json")
        self.assertNotIn("502", json.dumps(lst, ensure_ascii=False))

    def test_post_xml_and_multipart_with_photo(self):
        st, _, data = self.post(self.base(), fmt="xml")
        self.assertEqual(st, 201, data)
        root = ET.fromstring(data)
        self.assertEqual(root.tag, "service_requests")
        self.assertTrue(root.find("request/service_request_id").text.startswith("C"))
        body, ctype = multipart(self.base(**{"attribute[consent_public]": "true"}),
                                [("media", "bin.jpg", "image/jpeg", jpeg())])
        st, _, data = self.it.request("POST", "/open311/v2/requests.json", body,
                                      {"Content-Type": ctype})
        self.assertEqual(st, 201, data)
        rid = json.loads(data)[0]["service_request_id"]
        g = self.it.json("GET", "/open311/v2/requests/%s.json" % rid)[1][0]
        self.assertIn("/v1/media/", g["media_url"])

    def test_post_errors(self):
        cases = [({"api_key": "wrong"}, 403), ({"api_key": ""}, 403),
                 ({"service_code": "nope"}, 422),
                 ({"address_id": "B99"}, 422), ({"description": ""}, 400),
                 ({"phone": "123"}, 400), ({"lat": "north"}, 400),
                 ({"jurisdiction_id": "elsewhere"}, 404)]
        for kw, status in cases:
            with self.subTest(kw=kw):
                f = self.base(**kw)
                st, _, data = self.post(f)
                self.assertErrors(st, data, status)
        st, _, data = self.post(self.base(api_key="wrong"), fmt="xml")
        self.assertErrors(st, data, 403, fmt="xml")
        st, _, data = self.it.request("POST", "/open311/v2/requests.json",
                                      json.dumps(SAMPLE), {"Content-Type": "application/json"})
        self.assertEqual(st, 415)

    def test_spam_via_open311(self):
        st, _, data = self.post(self.base(description="低息贷款 http://loan.example.com"))
        self.assertErrors(st, data, 422)
        self.assertIn("rejected_as_spam", json.loads(data)[0]["description"])

    # ------------------------------------------------------------ GET filters
    def test_get_requests_filters_and_paging(self):
        ids = []
        for code in ("public_order", "public_order", "rental_dispute"):
            st, _, data = self.post(self.base(service_code=code))
            self.assertEqual(st, 201, data)
            ids.append(json.loads(data)[0]["service_request_id"])
        st, got = self.it.json("GET", "/open311/v2/requests.json?service_code=public_order")
        self.assertEqual(st, 200)
        got_ids = [g["service_request_id"] for g in got]
        self.assertEqual(set(ids[:2]) & set(got_ids), set(ids[:2]))
        self.assertTrue(all(g["service_code"] == "public_order" for g in got))
        st, got = self.it.json("GET", "/open311/v2/requests.json?service_request_id=%s,%s"
                               % (ids[0], ids[2]))
        self.assertEqual({g["service_request_id"] for g in got}, {ids[0], ids[2]})
        st, p1 = self.it.json("GET", "/open311/v2/requests.json?page_size=2&page=1")
        st, p2 = self.it.json("GET", "/open311/v2/requests.json?page_size=2&page=2")
        self.assertEqual(len(p1), 2)
        self.assertFalse({g["service_request_id"] for g in p1} &
                         {g["service_request_id"] for g in p2})
        # newest first
        self.assertGreater(p1[0]["service_request_id"], p1[1]["service_request_id"])
        st, got = self.it.json("GET", "/open311/v2/requests.json?status=closed")
        self.assertEqual(got, [])
        st, got = self.it.json("GET", "/open311/v2/requests.json?status=open")
        self.assertGreaterEqual(len(got), 3)
        st, got = self.it.json("GET", "/open311/v2/requests.json?start_date=2000-01-01&"
                               "end_date=2000-02-01T00:00:00Z")
        self.assertEqual(got, [])
        st, got = self.it.json("GET", "/open311/v2/requests.json?start_date=2020-01-01T00:00:00"
                               "%2B08:00")
        self.assertGreaterEqual(len(got), 3)
        st, _, x = self.it.request("GET", "/open311/v2/requests.xml?service_code=rental_dispute")
        root = ET.fromstring(x)
        self.assertEqual(root.tag, "service_requests")
        self.assertTrue(root.findall("request"))

    def test_get_errors(self):
        for q in ("status=pending", "start_date=yesterday", "page=0", "page_size=100000",
                  "start_date=2026-02-01&end_date=2026-01-01"):
            with self.subTest(q=q):
                st, _, data = self.it.request("GET", "/open311/v2/requests.json?" + q)
                self.assertErrors(st, data, 400)
        st, _, data = self.it.request("GET", "/open311/v2/requests/C000.json")
        self.assertErrors(st, data, 404)
        st, _, data = self.it.request("GET", "/open311/v2/requests/C000.xml")
        self.assertErrors(st, data, 404, fmt="xml")
        st, _, data = self.it.request("GET", "/open311/v2/services.txt")
        self.assertEqual(st, 404)
        st, _, data = self.it.request("GET", "/open311/v2/services.json?jurisdiction_id=x")
        self.assertErrors(st, data, 404)

    def test_xml_escaping(self):
        desc = "<script>alert('x')</script> & \"引号\""
        st, _, data = self.post(self.base(description=desc,
                                          **{"attribute[consent_public]": "true"}))
        self.assertEqual(st, 201, data)
        rid = json.loads(data)[0]["service_request_id"]
        st, _, x = self.it.request("GET", "/open311/v2/requests/%s.xml" % rid)
        self.assertNotIn(b"<script>", x)
        root = ET.fromstring(x)  # well-formed
        self.assertEqual(root.find("request/description").text, desc)


if __name__ == "__main__":
    unittest.main()


class TrustConfigTest(unittest.TestCase):
    """open311.api_keys' trust and hosts (issue 16): every mistake named
    with file, line and setting, and the trusted client's entry accepted."""

    def test_trust_settings(self):
        bad = [('trust = "very";', "trust"),
               ('hosts = [ "fms.example.org" ];', "hosts are for trust"),
               ('trust = "trusted"; hosts = [ "FMS.example.org" ];', "host name"),
               ('trust = "trusted"; hosts = [ ".example.org" ];', "host name"),
               ('trust = "trusted"; hosts = "fms.example.org";', "hosts"),
               ('trust = "trusted"; hosts = [ 7 ];', "host name"),
               ('trust = "trusted"; hosts = [ "a.org", "b.org", "c.org", "d.org", "e.org", '
                '"f.org", "g.org", "h.org", "i.org" ];', "at most 8"),
               ('trust = "trusted"; sites = [ "a.org" ];', "unknown setting")]
        with Cluster("intake-o311-cfg") as c:
            for i, (extra, word) in enumerate(bad):
                with self.subTest(extra=extra):
                    it = IntakeService(c, name="intake-%d" % i, start=False, sections={
                        "open311": 'enabled = true; api_keys = ( { client = "fms"; '
                                   'key = "a-long-enough-key"; %s } );' % extra})
                    r = it.check_config()
                    self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                    self.assertRegex(r.stderr,
                                     r"intake\.cfg:\d+: setting 'open311\.api_keys")
                    self.assertIn(word, r.stderr)
            it = IntakeService(c, name="intake-ok", start=False, sections={
                "open311": 'enabled = true; api_keys = ( { client = "fms"; '
                           'key = "a-long-enough-key"; trust = "trusted"; '
                           'hosts = [ "fms.example.org", "example.com" ]; } );'})
            r = it.check_config()
            self.assertEqual(r.returncode, 0, r.stderr)
