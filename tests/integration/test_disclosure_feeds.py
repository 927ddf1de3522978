"""Statistics through the API against hand-computed numbers, filtered case
lists, Atom feeds that parse as Atom, CSV that spreadsheet programs read
(UTF-8 with BOM, RFC 4180, formulas neutralised), and the static export."""
import pathlib
import csv
import io
import json
import os
import unittest
import xml.etree.ElementTree as ET

from tests.harness import paging
from tests.harness.qf import Cluster
from tests.harness.svc_disclosure import (DAY, HOUR, Disclosure, Sources, new_case_id,
                                          new_record_id, now_ms)

ATOM = "{http://www.w3.org/2005/Atom}"


class StatsTest(unittest.TestCase):
    def test_measures_over_a_period(self):
        """Three cases submitted 40 h ago (now = T):
        A safety B01: accepted after 30 min (due 2 h), resolved after 10 h
                      (due 24 h), rated 5
        B safety B01: accepted after 3 h (late), resolved after 30 h (late),
                      rated 2 -> closed anyway
        C repair B05: never accepted, response due after 24 h (passed)
        response 1/3, resolution 2/3, on time 1/2, satisfaction 1/2."""
        with Cluster("dstats") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            t = now_ms() - 40 * HOUR
            a, b, cc = new_case_id(), new_case_id(), new_case_id()
            for cid, cat, bld, sub in ((a, "safety_hazard", "B01", t),
                                       (b, "safety_hazard", "B01", t + 1000),
                                       (cc, "facility_repair", "B05", t + 2000)):
                src.petition(cid, cat, bld, description=cat, submitted_ms=sub)
            da = dict(respond_due_ms=t + 2 * HOUR, resolve_due_ms=t + 24 * HOUR,
                      category="safety_hazard")
            src.transition("CASE_ASSIGNED", a, "B01", to="assigned", assignee="s04",
                           at_ms=t + 60000, **da)
            src.transition("CASE_ACCEPTED", a, "B01", to="accepted", assignee="s04",
                           at_ms=t + HOUR // 2, **da)
            src.transition("CASE_RESOLVED", a, "B01", to="resolved", assignee="s04",
                           at_ms=t + 10 * HOUR, **da)
            src.transition("CASE_RATED", a, "B01", rating=5, at_ms=t + 11 * HOUR, **da)
            db = dict(respond_due_ms=t + 2 * HOUR, resolve_due_ms=t + 24 * HOUR,
                      category="safety_hazard")
            src.transition("CASE_ASSIGNED", b, "B01", to="assigned", assignee="s04",
                           at_ms=t + 60000, **db)
            src.transition("CASE_ACCEPTED", b, "B01", to="accepted", assignee="s04",
                           at_ms=t + 3 * HOUR, **db)
            src.transition("CASE_RESOLVED", b, "B01", to="resolved", assignee="s04",
                           at_ms=t + 30 * HOUR, **db)
            src.transition("CASE_RATED", b, "B01", rating=2, at_ms=t + 31 * HOUR, **db)
            src.transition("CASE_CLOSED", b, "B01", to="closed", at_ms=t + 31 * HOUR + 1,
                           actor="system", **db)
            src.transition("CASE_ASSIGNED", cc, "B05", to="assigned", assignee="s05",
                           at_ms=t + 60000, respond_due_ms=t + 24 * HOUR,
                           resolve_due_ms=t + 72 * HOUR, category="facility_repair")
            d.sync(src)
            s = d.json("/v1/public/stats")
            o = s["overall"]
            self.assertEqual((o["total"], o["base"], o["responded"], o["responded_on_time"],
                              o["response_due"]), (3, 3, 2, 1, 3))
            self.assertAlmostEqual(o["response_rate"], 1 / 3)
            self.assertAlmostEqual(o["resolution_rate"], 2 / 3)
            self.assertAlmostEqual(o["on_time_rate"], 1 / 2)
            self.assertAlmostEqual(o["satisfaction_rate"], 1 / 2)
            self.assertEqual(o["median_response_s"], (30 * 60 + (3 * 3600 - 1)) // 2)
            self.assertEqual(o["median_resolve_s"], (10 * 3600 + (30 * 3600 - 1)) // 2)
            self.assertEqual((o["open"], o["overdue"]), (1, 1))
            by = {x["key"]: x for x in s["by_building"]}
            self.assertEqual(by["B01"]["total"], 2)
            self.assertEqual(by["B05"]["response_rate"], 0.0)
            hd = {x["key"]: x for x in s["by_handler"]}
            self.assertEqual(hd["s04"]["name"], "李建国")
            self.assertEqual(hd["s04"]["post"], "1-4栋楼长")
            self.assertIn("response_rate", s["definitions"])
            # a period without these cases
            s = d.json("/v1/public/stats?period=2019")
            self.assertEqual(s["overall"]["total"], 0)
            self.assertIsNone(s["overall"]["response_rate"])
            page = d.html("/stats")
            self.assertIn("33.3%", page)
            self.assertIn("66.7%", page)
            # filtered lists agree
            self.assertEqual(d.json("/v1/public/cases?building=B01")["total"], 2)
            self.assertEqual(d.json("/v1/public/cases?overdue=1")["items"][0]["id"], cc)
            self.assertEqual(d.json("/v1/public/cases?state=closed")["total"], 1)
            self.assertEqual(d.json("/v1/public/cases?state=open")["total"], 1)
            self.assertEqual(d.json("/v1/public/cases?handler=s05")["total"], 1)
            self.assertEqual(d.json("/v1/public/cases?page_size=1&page=2")["items"][0]["id"], b)
            # one pagination convention: cursor + limit, next_cursor + Link;
            # page and page_size stay as deprecated aliases for one release
            def get(path):
                st, hd, body = d.get(path)
                return st, hd, json.loads(body.decode("utf-8"))
            everything = [i["id"] for i in d.json("/v1/public/cases?limit=100")["items"]]
            self.assertEqual(len(everything), 3)
            for limit in (1, 2, 3):
                got = paging.walk(self, get, "/v1/public/cases?limit=%d" % limit, "items", "id")
                self.assertEqual(got, everything, limit)
            got = paging.walk(self, get, "/v1/public/cases?building=B01&page_size=1", "items",
                              "id")
            self.assertEqual(len(got), 2)
            st, hd, _ = get("/v1/public/cases?building=B01&page_size=1&page=1")
            target = paging.next_link(hd)
            self.assertIn("building=B01", target)
            self.assertNotIn("page", target.replace("/v1/public", ""))
            for path, field in (("/v1/public/cases?limit=0", "limit"),
                                ("/v1/public/cases?limit=1000", "limit"),
                                ("/v1/public/cases?cursor=x", "cursor"),
                                ("/v1/public/cases?cursor=a%20b", "cursor")):
                st, _, body = get(path)
                self.assertEqual((st, body["field"]), (400, field), path)


class FeedsTest(unittest.TestCase):
    def test_atom_csv_and_export(self):
        with Cluster("dfeeds") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            ids = [new_case_id() for _ in range(3)]
            for i, cid in enumerate(ids):
                src.petition(cid, "sanitation_hazard", "B02",
                             description='=HYPERLINK("http://evil")，"引号"，垃圾第%d天' % i)
            rid = new_record_id()
            src.ledger(rid, "2026-07-03", True, 123456, "拨款")
            src.ledger(rid, "2026-07-03", True, 123400, "拨款", version=2,
                       correction_reason="更正")
            d.sync(src)
            # Atom: well-formed, one entry per case, newest first
            st, hd, body = d.get("/feeds/cases.atom")
            self.assertIn("application/atom+xml", hd["content-type"])
            feed = ET.fromstring(body)
            entries = feed.findall(ATOM + "entry")
            self.assertEqual(len(entries), 3)
            self.assertTrue(entries[0].find(ATOM + "id").text.endswith("/cases/" + ids[2]))
            self.assertIsNotNone(feed.find(ATOM + "updated").text)
            self.assertIsNotNone(feed.find(ATOM + "author"))
            feed = ET.fromstring(d.get("/feeds/disclosures.atom")[2])
            titles = [e.find(ATOM + "title").text for e in feed.findall(ATOM + "entry")]
            self.assertEqual(len(titles), 2)
            self.assertIn("第2版更正", titles[0])
            # CSV: BOM, header, quoting, formula neutralised
            st, hd, body = d.get("/v1/public/cases.csv?building=B02")
            self.assertTrue(body.startswith(b"\xef\xbb\xbf"))
            self.assertIn("attachment", hd["content-disposition"])
            rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
            self.assertEqual(rows[0][0], "案件编号")
            self.assertEqual(len(rows), 4)
            self.assertEqual(rows[1][0], ids[2])
            summary = rows[1][-1]
            self.assertTrue(summary.startswith("'="), summary)
            self.assertIn('"引号"', summary)
            st, _, body = d.get("/v1/public/cases.csv?category=bogus")
            self.assertEqual(st, 400)
            rows = list(csv.reader(io.StringIO(
                d.get("/v1/public/ledger.csv")[2].decode("utf-8-sig"))))
            self.assertEqual(rows[1][3], "1234.00")
            self.assertEqual(rows[1][9], "2")
            # the static export: pages, assets, feeds, CSV
            out = os.path.dirname(c.path("site", "x"))
            r = d.export(out)
            self.assertEqual(r.returncode, 0, r.stderr)
            for rel in ("index.html", "static/site.css", "feeds/cases.atom",
                        "feeds/disclosures.atom", "cases.csv", "ledger.csv",
                        "affairs/index.html", "roster/index.html", "stats/index.html",
                        "verify/index.html", "affairs/ledger/2026Q3/index.html",
                        "records/%s/index.html" % rid,
                        "cases/%s/index.html" % ids[0]):
                self.assertTrue(os.path.exists(os.path.join(out, rel)), rel)
            index = pathlib.Path(out, "index.html").read_text(encoding="utf-8")
            self.assertIn('href="cases/%s/index.html"' % ids[1], index)
            self.assertNotIn('href="/', index)  # no server-absolute links
            self.assertNotIn("/static/live.js", index)
            ET.fromstring(pathlib.Path(out, "feeds", "cases.atom").read_bytes())
            # an export into a place that cannot be written fails loudly
            r = d.export("/proc/forbidden/site")
            self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main()
