"""Open311 interoperability (issue 16): intake's GeoReport v2 endpoints
driven exactly as FixMyStreet's Open311 client drives them (its
perllib/Open311.pm and Open311/GetServiceRequestUpdates.pm, read, not run:
the client below is written from what they send and read), against the
whole system on the default configuration (config/*.cfg: the development
keys, the real router assigning cases).

What FixMyStreet's client does, and this one does the same:
- every request carries jurisdiction_id; POSTs also carry api_key, GETs of
  servicerequestupdates too; POST bodies are form-urlencoded UTF-8;
- a report is sent as description ("title\\n\\ndetail\\n\\nURL\\n", the report's
  URL last), service_code, first_name/last_name (its split_name: the first
  word, then the rest), email, phone, lat/long (6 decimals, trailing zeros
  cut) and no address_id nor address_string (a report not placed on the
  map sends address_string instead of lat/long);
- the answer is XML, read by a generic parser (here xml.etree): request's
  service_request_id, or a token it then polls at tokens/<token>.xml;
- updates are GET servicerequestupdates.xml with start_date and end_date
  (W3C datetimes) and read as request_update elements (update_id,
  service_request_id, status, updated_datetime, description).

Every JSON answer that the Open311 schema repository describes (services,
service definitions, requests) is validated against the GeoReport v2 JSON
schemas of open311/schema-validation (tests/data/open311-georeport-v2, with
their licence) by a standard validator (tests/js/validate-json.mjs: ajv,
pinned in tests/js/package.json); the answers no schema there covers (POST,
tokens, updates, errors) are checked field by field."""
import json
import os
import subprocess
import time
import unittest
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from tests.harness.qf import ROOT, Cluster, wait_until
from tests.harness.system import System

SCHEMAS = os.path.join(ROOT, "tests", "data", "open311-georeport-v2")
VALIDATE = os.path.join(ROOT, "tests", "js", "validate-json.mjs")
TRUSTED_KEY = "qf-dev-fixmystreet"   # config/intake.cfg: trusted, hosts fms.example.org
STANDARD_KEY = "qf-dev-open311"      # config/intake.cfg: a standard client
IN_B07 = (30.65065, 104.05165)       # config/community.cfg: inside 7栋's footprint (head s05)
NOWHERE = (30.70, 104.10)            # far from every building
SECRETARY = {"Authorization": "Bearer qf-dev-s01"}
HEAD_B07 = {"Authorization": "Bearer qf-dev-s05"}


def truncate_coordinate(x):
    """FixMyStreet's Utils::truncate_coordinate: 6 decimals, zeros cut."""
    s = "%0.6f" % x
    return s.rstrip("0").rstrip(".") if "." in s else s


def split_name(name):
    """FixMyStreet's Open311::split_name: the first word, then the rest."""
    parts = (name or "").split(None, 1)
    return (parts[0] if parts else "", parts[1] if len(parts) > 1 else "")


def w3c(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


class FmsClient:
    """The requests FixMyStreet's Open311 client makes, over real HTTP."""

    def __init__(self, intake, api_key, jurisdiction="lsj"):
        self.intake = intake
        self.api_key = api_key
        self.jurisdiction = jurisdiction

    def _request(self, method, path, params=None):
        params = dict(params or {})
        params["jurisdiction_id"] = self.jurisdiction
        if method == "POST":
            params["api_key"] = self.api_key
            return self.intake.request(
                "POST", "/open311/v2/" + path, urlencode(params).encode("utf-8"),
                {"Content-Type": "application/x-www-form-urlencoded"})
        return self.intake.request("GET", "/open311/v2/%s?%s" % (path, urlencode(params)))

    def xml(self, method, path, params=None):
        st, hd, data = self._request(method, path, params)
        return st, hd, ET.fromstring(data)

    def send_service_request(self, service_code, title, detail, url, name, email, phone,
                             lat, lng, extra=None):
        first, last = split_name(name)
        params = {"description": "%s\n\n%s\n\n%s\n" % (title, detail, url),
                  "service_code": service_code, "first_name": first, "last_name": last,
                  "lat": truncate_coordinate(lat), "long": truncate_coordinate(lng)}
        # as Open311.pm: phone and email only when the report has them
        if phone:
            params["phone"] = phone
        if email:
            params["email"] = email
        params.update(extra or {})
        return self.xml("POST", "requests.xml", params)

    def get_service_request_id_from_token(self, token):
        st, _, root = self.xml("GET", "tokens/%s.xml" % token)
        if st != 200:
            return None
        sid = root.find("request/service_request_id")
        return sid.text if sid is not None and sid.text else None

    def get_service_requests(self, ids):
        st, _, root = self.xml("GET", "requests.xml", {"service_request_id": ",".join(ids)})
        return st, root.findall("request")

    def get_service_request_updates(self, start, end):
        st, _, root = self.xml("GET", "servicerequestupdates.xml",
                               {"api_key": self.api_key, "start_date": w3c(start),
                                "end_date": w3c(end)})
        return st, root


class Open311InteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("open311-interop")
        cls.s = System(cls.c)
        cls.intake = cls.s.procs["intake"]
        cls.fms = FmsClient(cls.intake, TRUSTED_KEY)
        cls.other = FmsClient(cls.intake, STANDARD_KEY)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.c.close()

    # ------------------------------------------------------------ helpers
    def report(self, client=None, lat=IN_B07[0], lng=IN_B07[1], n=1, **kw):
        args = dict(service_code="facility_repair", title="7栋门口路灯不亮",
                    detail="7栋单元门口的路灯坏了三天，晚上进出看不见台阶。",
                    url="https://fms.example.org/report/%d" % (4200 + n),
                    name="Lan Jiang", email="jiang.lan@example.org",
                    phone="135666677%02d" % n, lat=lat, lng=lng)
        args.update(kw)
        return (client or self.fms).send_service_request(**args)

    def validate(self, schema, docs):
        files = []
        for i, d in enumerate(docs):
            f = self.c.path("o311-%s-%d.json" % (schema, i))
            with open(f, "w", encoding="utf-8") as out:
                json.dump(d, out, ensure_ascii=False)
            files.append(f)
        r = subprocess.run(["node", VALIDATE, SCHEMAS, schema + ".json"] + files,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count("valid %s.json" % schema), len(files), r.stdout)
        return len(files)

    # ------------------------------------------------------------ services
    def test_service_list_and_definitions(self):
        st, hd, root = self.fms.xml("GET", "services.xml")
        self.assertEqual(st, 200)
        self.assertTrue(hd["content-type"].startswith("text/xml"))
        self.assertEqual(root.tag, "services")
        services = root.findall("service")
        self.assertGreaterEqual(len(services), 9)
        for s in services:
            for k in ("service_code", "service_name", "metadata", "type"):
                self.assertTrue(s.find(k).text, k)
        st, _, meta = self.fms.xml("GET", "services/facility_repair.xml")
        self.assertEqual((st, meta.tag), (200, "service_definition"))
        codes = [a.find("code").text for a in meta.findall("attributes/attribute")]
        self.assertIn("consent_public", codes)
        # the same in JSON, against the schemas
        st, svc = self.intake.json("GET", "/open311/v2/services.json?jurisdiction_id=lsj")
        self.assertEqual(st, 200)
        self.validate("services", [svc])
        defs = []
        for s in svc:
            st, d = self.intake.json("GET", "/open311/v2/services/%s.json" % s["service_code"])
            self.assertEqual(st, 200, s)
            defs.append(d)
        self.assertEqual(self.validate("service-definition", defs), len(svc))

    # ------------------------------------------------------------ submit
    def test_submit_with_coordinates_and_read_back(self):
        st, _, root = self.report(n=1)
        self.assertEqual(st, 201, ET.tostring(root))
        self.assertEqual(root.tag, "service_requests")
        sid = root.find("request/service_request_id").text
        self.assertTrue(sid)
        self.assertIsNone(root.find("request/token"))
        # read back as FixMyStreet does: the building found from lat/long
        st, reqs = self.fms.get_service_requests([sid])
        self.assertEqual((st, len(reqs)), (200, 1))
        r = reqs[0]
        self.assertEqual(r.find("service_request_id").text, sid)
        self.assertEqual(r.find("status").text, "open")
        self.assertEqual(r.find("address_id").text, "B07")
        self.assertEqual(r.find("service_code").text, "facility_repair")
        # the router assigns it to 7栋's head: the agency responsible shows
        wait_until(lambda: (self.fms.get_service_requests([sid])[1][0]
                            .find("agency_responsible").text or ""),
                   timeout=15, what="the agency responsible")
        # the petitioner's name, e-mail and phone never appear
        st, _, raw = self.fms._request("GET", "requests.xml", {"service_request_id": sid})
        text = raw.decode("utf-8")
        for v in ("Lan", "Jiang", "jiang.lan@example.org", "1356666770", "6666"):
            self.assertNotIn(v, text)
        # JSON answers against the schemas: one request, and the list
        st, one = self.intake.json("GET", "/open311/v2/requests/%s.json" % sid)
        self.assertEqual(st, 200)
        st, many = self.intake.json("GET", "/open311/v2/requests.json?jurisdiction_id=lsj")
        self.assertEqual(st, 200)
        self.assertIn(sid, [x["service_request_id"] for x in many])
        self.validate("requests", [one, many])
        self.validate("request", [one[0]])

    def test_address_string_without_coordinates(self):
        # Open311.pm sends address_string (the report's postcode field)
        # instead of lat/long for a report not placed on the map
        for addr, bld in (("三号楼2单元", "B03"), ("平安街门面", "S01")):
            with self.subTest(address_string=addr):
                st, _, data = self.fms._request("POST", "requests.xml", {
                    "service_code": "facility_repair", "address_string": addr,
                    "description": "楼道灯坏了\n\n楼道灯坏了\n\n"
                                   "https://fms.example.org/report/99\n",
                    "first_name": "Lan", "last_name": "Jiang",
                    "email": "jiang.lan@example.org"})
                self.assertEqual(st, 201, data)
                sid = ET.fromstring(data).find("request/service_request_id").text
                st, reqs = self.fms.get_service_requests([sid])
                self.assertEqual(reqs[0].find("address_id").text, bld)

    def test_post_answer_in_json(self):
        first, last = split_name("Lan Jiang")
        st, _, data = self.intake.request(
            "POST", "/open311/v2/requests.json", urlencode({
                "jurisdiction_id": "lsj", "api_key": TRUSTED_KEY,
                "service_code": "sanitation_hazard",
                "description": "垃圾桶满了\n\n6栋东侧垃圾桶两天没人清理\n\n"
                               "https://fms.example.org/report/77\n",
                "first_name": first, "last_name": last, "email": "jiang.lan@example.org",
                "lat": truncate_coordinate(IN_B07[0]),
                "long": truncate_coordinate(IN_B07[1])}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(st, 201, data)
        ans = json.loads(data)
        self.assertIsInstance(ans, list)
        self.assertEqual(len(ans), 1)
        self.assertTrue(ans[0]["service_request_id"])
        self.assertIn("service_notice", ans[0])
        self.assertIn("account_id", ans[0])

    # ------------------------------------------------------------ trust
    def test_report_url_of_a_trusted_client_is_not_spam(self):
        # a genuine report with one word that sells (扫码) scores under the
        # spam threshold on its own; the report URL's link pushes it over
        detail = "物业在单元门口贴告示让大家扫码登记电动车，可充电桩一直坏着没人修。"
        # from a standard client the link counts: held
        st, _, root = self.report(client=self.other, n=2, detail=detail)
        self.assertEqual(st, 422, ET.tostring(root))
        self.assertEqual(root.tag, "errors")
        self.assertIn("rejected_as_spam", root.find("error/description").text)
        # from the trusted client its own link does not: accepted, and the
        # description is kept as sent, URL included
        st, _, root = self.report(n=3, detail=detail)
        self.assertEqual(st, 201, ET.tostring(root))
        sid = root.find("request/service_request_id").text
        st, c = self.intake.json("GET", "/v1/cases/" + sid, headers=SECRETARY)
        self.assertIn("https://fms.example.org/report/4203", c["description"])
        # its own link on a subdomain neither
        st, _, root = self.report(n=4, detail=detail,
                                  url="https://www.fms.example.org/report/4204")
        self.assertEqual(st, 201, ET.tostring(root))
        # a foreign link from the trusted client still counts
        st, _, root = self.report(n=5, detail=detail + " 详见 http://shop.example.com/x")
        self.assertEqual(st, 422, ET.tostring(root))

    def test_rate_limited_answer_is_open311_xml(self):
        # config/intake.cfg: 5 petitions per phone number per hour
        for i in range(5):
            st, _, root = self.report(n=20 + i, phone="13577770000")
            self.assertEqual(st, 201, ET.tostring(root))
        st, hd, root = self.report(n=25, phone="13577770000")
        self.assertEqual(st, 429)
        self.assertEqual(root.tag, "errors")
        self.assertEqual(root.find("error/code").text, "429")
        self.assertIn("rate_limited", root.find("error/description").text)
        self.assertTrue(int(hd["retry-after"]) > 0)

    # ------------------------------------------------------------ tokens
    def test_no_building_found_answers_a_token(self):
        st, _, root = self.report(lat=NOWHERE[0], lng=NOWHERE[1], n=5,
                                  title="小区门口路灯不亮", detail="小区大门口的路灯不亮了。")
        self.assertEqual(st, 201, ET.tostring(root))
        token = root.find("request/token").text
        self.assertTrue(token)
        self.assertIsNone(root.find("request/service_request_id"))
        # polled as FixMyStreet polls: no id while it waits for the dispatcher
        self.assertIsNone(self.fms.get_service_request_id_from_token(token))
        st, tok = self.intake.json("GET", "/open311/v2/tokens/%s.json" % token)
        self.assertEqual(st, 200)
        self.assertEqual(tok, [{"token": token, "service_request_id": None}])
        # the secretary assigns the building; the token then answers the id
        st, case = self.intake.json("POST", "/v1/dispatch/" + token, {"building": "B01"},
                                    SECRETARY)
        self.assertEqual(st, 201, case)
        sid = self.fms.get_service_request_id_from_token(token)
        self.assertEqual(sid, case["case_id"])
        st, reqs = self.fms.get_service_requests([sid])
        self.assertEqual(reqs[0].find("address_id").text, "B01")

    def test_token_errors(self):
        for path in ("tokens/HNOSUCH.xml", "tokens/nosuch.xml", "tokens/HNOSUCH.txt",
                     "tokens/" + "H" * 80 + ".xml"):
            with self.subTest(path=path):
                st, hd, data = self.fms._request("GET", path)
                self.assertEqual(st, 404, data)
        # a spam hold is no token
        st, _, root = self.report(client=self.other, n=6,
                                  detail="低息贷款，秒批秒到，加微信 abc12345")
        self.assertEqual(st, 422, ET.tostring(root))
        st, h = self.intake.json("GET", "/v1/spam", headers={
            "Authorization": "Bearer qf-dev-s02"})
        hold = h["holds"][0]["hold_id"]
        st, _, data = self.fms._request("GET", "tokens/%s.xml" % hold)
        self.assertEqual(st, 404, data)
        st, _, root = self.fms.xml("GET", "tokens/HNOSUCH.xml", {"jurisdiction_id": "x"})
        self.assertEqual(root.find("error/code").text, "404")

    # ------------------------------------------------------------ updates
    def test_service_request_updates(self):
        st, _, root = self.report(n=7)
        self.assertEqual(st, 201, ET.tostring(root))
        sid = root.find("request/service_request_id").text
        # an integrity report at the same time: nothing of it may show
        st, ir = self.intake.json("POST", "/v1/petitions", {
            "category": "integrity_report", "building": "B07", "address": "7栋",
            "description": "楼长收取好处费", "name": "蒋兰", "phone": "13566660000",
            "channel": "app", "anonymous": False, "concerns_staff": "s05"})
        self.assertEqual(st, 201, ir)

        def assigned():
            st, c = self.intake.json("GET", "/v1/cases/" + sid, headers=SECRETARY)
            return c.get("assignee") if st == 200 else None
        self.assertEqual(wait_until(assigned, timeout=15, what="assigned"), "s05")
        for body in ({"action": "accept"},
                     {"action": "progress", "cause": "灯泡烧坏", "progress": "张秀英已买灯泡",
                      "result": "待更换"},
                     {"action": "resolve", "result": "张秀英已更换灯泡"}):
            st, a = self.intake.json("POST", "/v1/cases/%s/actions" % sid, body, HEAD_B07)
            self.assertEqual(st, 200, a)
        now = datetime.now(timezone.utc)
        start, end = now - timedelta(days=2), now + timedelta(days=2)

        def updates():
            st, root = self.fms.get_service_request_updates(start, end)
            self.assertEqual((st, root.tag), (200, "service_request_updates"))
            mine = [u for u in root.findall("request_update")
                    if u.find("service_request_id").text == sid]
            return mine if len(mine) >= 4 else None
        mine = wait_until(updates, timeout=15, what="four updates")
        statuses = [u.find("status").text for u in mine]
        self.assertEqual(statuses[-3:], ["investigating", "in_progress", "fixed"])
        ids = [u.find("update_id").text for u in mine]
        self.assertEqual(len(set(ids)), len(ids))
        for u in mine:
            self.assertTrue(u.find("updated_datetime").text)
            datetime.fromisoformat(u.find("updated_datetime").text)
            self.assertTrue(u.find("description").text)
        st, _, raw = self.fms._request("GET", "servicerequestupdates.xml", {
            "api_key": TRUSTED_KEY, "start_date": w3c(start), "end_date": w3c(end)})
        text = raw.decode("utf-8")
        for v in ("张秀英", "灯泡", "蒋兰", "Jiang", "1356666", "好处费", ir["case_id"]):
            self.assertNotIn(v, text)
        # JSON too
        st, js = self.intake.json("GET", "/open311/v2/servicerequestupdates.json?"
                                  + urlencode({"start_date": w3c(start), "end_date": w3c(end)}))
        self.assertEqual(st, 200)
        got = [u for u in js if u["service_request_id"] == sid]
        self.assertEqual([u["update_id"] for u in got], ids)
        for u in got:
            self.assertEqual(set(u), {"update_id", "service_request_id", "status",
                                      "updated_datetime", "description", "media_url"})
        # a window before everything: nothing
        st, root = self.fms.get_service_request_updates(now - timedelta(days=30),
                                                        now - timedelta(days=29))
        self.assertEqual(root.findall("request_update"), [])

    def test_updates_bad_dates(self):
        now = datetime.now(timezone.utc)
        for params in ({"start_date": "yesterday"}, {"end_date": "2026-13-01T00:00:00Z"},
                       {"start_date": w3c(now), "end_date": w3c(now - timedelta(hours=1))},
                       {"start_date": w3c(now - timedelta(days=40)), "end_date": w3c(now)}):
            with self.subTest(params=params):
                st, _, root = self.fms.xml("GET", "servicerequestupdates.xml", params)
                self.assertEqual(st, 400)
                self.assertEqual(root.tag, "errors")
                self.assertEqual(root.find("error/code").text, "400")
                self.assertTrue(root.find("error/description").text)
        st, _, data = self.fms._request("GET", "servicerequestupdates.txt")
        self.assertEqual(st, 404)


if __name__ == "__main__":
    unittest.main()
