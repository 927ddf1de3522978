"""Bad input, one kind per test: query parameters the API rejects with 400
and a {code, message, field} body (HTML pages with a Chinese error page),
unknown things with 404, wrong methods with 405, and bad events on the bus
that are skipped without stopping the service or leaving a trace."""
import json
import unittest
import urllib.parse

from tests.harness.qf import Cluster
from tests.harness.svc_disclosure import (Disclosure, Sources, new_case_id, new_record_id,
                                          now_ms)


class HttpBadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("dbad")
        cls.src = Sources(cls.cluster)
        cls.d = Disclosure(cls.cluster, cls.src.all())
        cls.cid = new_case_id()
        cls.src.petition(cls.cid, "safety_hazard", "B01", description="x")
        cls.d.sync(cls.src)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def err(self, path, status, code, field=None):
        st, hd, body = self.d.get(path)
        self.assertEqual(st, status, body)
        self.assertIn("application/problem+json", hd["content-type"])
        j = json.loads(body)
        self.assertEqual(j["code"], code)
        self.assertTrue(j["detail"])
        if field is not None:
            self.assertEqual(j["field"], field)
        return j

    def test_unknown_category(self):
        self.err("/v1/public/cases?category=flying_saucers", 400, "unknown_category", "category")

    def test_malformed_category(self):
        self.err("/v1/public/cases?category=" + urllib.parse.quote("<script>"), 400,
                 "bad_category", "category")

    def test_unknown_building(self):
        self.err("/v1/public/cases?building=B99", 400, "unknown_building", "building")

    def test_bad_state(self):
        self.err("/v1/public/cases?state=sleeping", 400, "bad_state", "state")

    def test_bad_dates(self):
        self.err("/v1/public/cases?from=2026-13-01", 400, "bad_date", "from")
        self.err("/v1/public/cases?to=yesterday", 400, "bad_date", "to")

    def test_inverted_range(self):
        self.err("/v1/public/cases?from=2026-05-01&to=2026-04-01", 400, "bad_range", "to")

    def test_bad_overdue(self):
        self.err("/v1/public/cases?overdue=maybe", 400, "bad_overdue", "overdue")

    def test_bad_paging(self):
        self.err("/v1/public/cases?page=0", 400, "bad_page", "page")
        self.err("/v1/public/cases?page=-1", 400, "bad_page", "page")
        self.err("/v1/public/cases?page=1e3", 400, "bad_page", "page")
        self.err("/v1/public/cases?page_size=1000", 400, "bad_page_size", "page_size")
        self.err("/v1/public/cases?page_size=0", 400, "bad_page_size", "page_size")

    def test_page_beyond_the_end_is_empty(self):
        j = self.d.json("/v1/public/cases?page=999")
        self.assertEqual(j["items"], [])
        self.assertEqual(j["total"], 1)

    def test_bad_case_id(self):
        self.err("/v1/public/cases/" + urllib.parse.quote("..%2F.."), 400, "bad_id", "id")

    def test_unknown_case(self):
        self.err("/v1/public/cases/C000000000000000000000000000", 404, "not_found")
        st, hd, body = self.d.get("/cases/C000000000000000000000000000")
        self.assertEqual(st, 404)
        self.assertIn("text/html", hd["content-type"])
        self.assertIn("没有找到", body.decode())

    def test_bad_stats_period(self):
        self.err("/v1/public/stats?period=2026Q7", 400, "bad_period", "period")
        self.err("/v1/public/stats?from=2026-02-30", 400, "bad_date", "from")
        self.err("/v1/public/stats?from=2026-05-01&to=2026-04-01", 400, "bad_range", "to")
        st, _, body = self.d.get("/stats?period=%3Cscript%3E")
        self.assertEqual(st, 400)
        self.assertNotIn(b"<script>", body)

    def test_bad_quarter(self):
        self.err("/v1/public/ledger/2026Q9", 400, "bad_quarter", "quarter")
        self.err("/v1/public/ledger.csv?quarter=Q3", 400, "bad_quarter", "quarter")
        self.err("/v1/public/ledger/2019Q1", 404, "not_found")
        self.err("/v1/public/ledger.csv?quarter=2019Q1", 404, "not_found")

    def test_bad_affair(self):
        self.err("/v1/public/notices?affair=gossip", 400, "bad_affair", "affair")

    def test_bad_snapshot_kind_and_key(self):
        self.err("/v1/public/snapshots?kind=secret", 400, "bad_kind", "kind")
        self.err("/v1/public/snapshots/secret/x", 400, "bad_kind", "kind")
        self.err("/v1/public/snapshots/list/" + urllib.parse.quote("a b"), 400, "bad_key", "key")
        self.err("/v1/public/snapshots/roster/current", 404, "not_found")
        self.err("/v1/public/snapshots/roster/current/canonical", 404, "not_found")

    def test_unknown_records_and_lists(self):
        self.err("/v1/public/records/R404", 404, "not_found")
        self.err("/v1/public/lists/R404", 404, "not_found")
        self.assertEqual(self.d.get("/affairs/lists/R404")[0], 404)
        self.assertEqual(self.d.get("/records/R404")[0], 404)
        self.assertEqual(self.d.get("/affairs/ledger/nonsense")[0], 404)

    def test_methods_and_paths(self):
        st, hd, body = self.d.proc.request("POST", "/v1/public/cases", body={"x": 1})
        self.assertEqual(st, 405)
        self.assertIn("GET", hd.get("allow", ""))
        st, _, _ = self.d.proc.request("DELETE", "/cases/" + self.cid)
        self.assertEqual(st, 405)
        self.err("/v1/private/everything", 404, "not_found")
        st, hd, body = self.d.proc.request("HEAD", "/v1/public/cases")
        self.assertEqual(st, 200)

    def test_bad_question_ref(self):
        st, _, body = self.d.get("/question?ref=" + urllib.parse.quote("case:<x>"))
        self.assertEqual(st, 400)
        self.assertNotIn(b"<x>", body)

    def test_html_board_bad_filter_is_a_page(self):
        st, hd, body = self.d.get("/?state=" + urllib.parse.quote("<b>"))
        self.assertEqual(st, 400)
        self.assertIn("text/html", hd["content-type"])
        self.assertNotIn(b"<b>", body)

    def test_bad_last_event_id_starts_fresh(self):
        from tests.harness.svc_disclosure import sse_read
        ev = sse_read(self.d.http_port, headers={"Last-Event-ID": "not-a-number"},
                      until=lambda e: any(x[1] == "counters" for x in e))
        self.assertTrue(any(x[1] == "counters" for x in ev))
        ev = sse_read(self.d.http_port, path="/v1/events/stream?since=99999999999",
                      until=lambda e: any(x[1] == "counters" for x in e))
        self.assertTrue(any(x[1] == "counters" for x in ev))

    def test_security_headers_on_pages(self):
        st, hd, body = self.d.get("/cases/" + self.cid)
        self.assertEqual(st, 200)
        csp = hd["content-security-policy"]
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(hd["x-content-type-options"], "nosniff")


class BadEventsTest(unittest.TestCase):
    """Events that make no sense are skipped; the service goes on."""

    def test_bad_events_are_skipped(self):
        with Cluster("dbadev") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            good = new_case_id()
            # ids that cannot be keys or URLs
            src.raw("intake", "PETITION_SUBMITTED", key="B01", case_id="",
                    payload={"case_id": "../../etc/passwd", "category": "safety_hazard",
                             "building": "B01", "description": "x"})
            src.raw("intake", "PETITION_SUBMITTED", key="B01",
                    payload={"case_id": "", "description": "no id at all"})
            src.raw("router", "CASE_ACCEPTED", key="B01",
                    payload={"case_id": "C x y", "to_state": "STATE_ACCEPTED"})
            src.raw("router", "DEADLINE_WARNING", key="B01", payload={"case_id": ""})
            src.raw("router", "HOTSPOT_WARNING", key="B01",
                    payload={"category": "<img>", "building": "B01", "count": 3})
            src.raw("router", "DUTY_QUOTA", key="s02", payload={"staff_id": "s02",
                                                                 "duty": "visits",
                                                                 "month": "September"})
            src.raw("audit", "AUDIT_CHECKPOINT", key="audit",
                    payload={"origin": "", "size": 1, "root_hash": "00"})
            src.raw("audit", "AUDIT_CHECKPOINT", key="audit",
                    payload={"origin": "x", "size": 1, "root_hash": "0011"})
            # disclosures with impossible content
            for ledger in ({"date": "2026-02-30", "income": True, "amount_fen": 100},
                           {"date": "2026-02-01", "income": True, "amount_fen": 0},
                           {"date": "2026-02-01", "income": False, "amount_fen": -100},
                           {"date": "2026-02-01", "income": True,
                            "amount_fen": 10**15}):
                src.disclosure(new_record_id(), "DISCLOSURE_LEDGER_ENTRY", ledger=ledger)
            src.disclosure(new_record_id(), "DISCLOSURE_BALANCE",
                           balance={"quarter": "2026Q5", "opening_fen": 0, "closing_fen": 0})
            src.disclosure(new_record_id(), "DISCLOSURE_NOTICE",
                           notice={"affair": "gossip", "title": "t"})
            src.disclosure(new_record_id(), "DISCLOSURE_ROSTER", roster={"staff_id": ""})
            src.disclosure(new_record_id(), "DISCLOSURE_LEDGER_ENTRY")  # no ledger
            src.disclosure(new_record_id(), "DISCLOSURE_LEDGER_ENTRY", version=0,
                           ledger={"date": "2026-02-01", "income": True, "amount_fen": 1})
            # and a good one after them all
            src.petition(good, "safety_hazard", "B01", description="正常的诉求")
            d.sync(src)
            self.assertTrue(d.proc.alive())
            cases = d.json("/v1/public/cases")
            self.assertEqual([x["id"] for x in cases["items"]], [good])
            self.assertEqual(d.json("/v1/public/ledger")["quarters"], [])
            self.assertEqual(d.json("/v1/public/notices")["notices"], [])
            self.assertEqual(d.json("/v1/public/roster")["entries"], [])
            self.assertEqual(d.json("/v1/public/checkpoints")["checkpoints"], [])
            dash = d.json("/v1/public/dashboard")
            self.assertEqual(dash["hotspots"], [])
            log = d.proc.output()
            for why in ("bad_case_id", "bad_date", "bad_amount", "bad_quarter", "bad_affair",
                        "bad_staff_id", "missing_ledger", "bad_version"):
                self.assertIn("reason=" + why, log)


if __name__ == "__main__":
    unittest.main()
