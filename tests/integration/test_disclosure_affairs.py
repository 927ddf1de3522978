"""The three affairs through the running service: the ledger's running
balance and its reconciliation against the published balance (a mismatch is
flagged on the page, not hidden), corrections kept as versions beside the
superseded ones, lists, notices, the roster, and tamper evidence: every
snapshot announced on the bus with the SHA-256 of bytes anyone can fetch,
and the audit checkpoint that followed it shown on the page."""
import hashlib
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_disclosure import (Disclosure, Sources, Watch, new_record_id,
                                          now_ms)


class LedgerTest(unittest.TestCase):
    def test_running_balance_reconciliation_and_corrections(self):
        with Cluster("daffairs") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            w = Watch(c, d)
            r1, r2, r3, b1 = (new_record_id() for _ in range(4))
            src.ledger(r1, "2026-07-03", True, 5000000, "街道拨付办公经费", "街道办事处", "J-1")
            src.ledger(r2, "2026-07-15", False, 128000, "购买灭火器", "消防器材店", "F-1")
            src.ledger(r3, "2026-08-02", False, 86050, "楼道照明维修", "电器维修部", "F-2")
            src.balance(b1, "2026Q3", 2350000, 2350000 + 5000000 - 128000 - 86050)
            d.sync(src)
            q = d.json("/v1/public/ledger/2026Q3")
            self.assertEqual([e["balance_fen"] for e in q["entries"]],
                             [7350000, 7222000, 7135950])
            self.assertEqual(q["computed_closing_fen"], 7135950)
            self.assertEqual(q["published_closing_fen"], 7135950)
            self.assertIs(q["reconciled"], True)
            page = d.html("/affairs/ledger/2026Q3")
            self.assertIn("账实相符", page)
            self.assertIn("¥71,359.50", page)

            # a correction makes the figures disagree: flagged, with the old
            # version beside the new one
            src.ledger(r3, "2026-08-02", False, 68050, "楼道照明维修", "电器维修部", "F-2",
                       version=2, correction_reason="按发票更正金额")
            d.sync(src)
            q = d.json("/v1/public/ledger/2026Q3")
            self.assertIs(q["reconciled"], False)
            self.assertEqual(q["difference_fen"], -18000)
            row = [e for e in q["entries"] if e["record_id"] == r3][0]
            self.assertEqual(row["version"], 2)
            self.assertEqual(row["amount_fen"], 68050)
            self.assertEqual(row["previous"]["amount_fen"], 86050)
            self.assertEqual(row["correction_reason"], "按发票更正金额")
            page = d.html("/affairs/ledger/2026Q3")
            self.assertIn("不一致", page)
            self.assertIn('class="card flag"', page)
            self.assertIn("¥860.50", page)          # the superseded amount, struck through
            self.assertIn('<tr class="old">', page)
            self.assertIn("第2版·已更正", page)
            board = d.html("/affairs")
            self.assertIn('<tr class="flag">', board)
            idx = d.json("/v1/public/ledger")["quarters"]
            self.assertEqual(idx[0]["quarter"], "2026Q3")
            self.assertIs(idx[0]["reconciled"], False)

            # the record's history: both versions, the old one superseded
            rec = d.json("/v1/public/records/" + r3)
            self.assertEqual(rec["current_version"], 2)
            self.assertEqual([(v["version"], v["status"]) for v in rec["versions"]],
                             [(2, "current"), (1, "superseded")])
            hist = d.html("/records/" + r3)
            self.assertIn("第1版（已更正）", hist)
            self.assertIn("¥860.50", hist)
            self.assertIn("¥680.50", hist)

            # tamper evidence: one announcement per change, hashes of the
            # canonical bytes served, the latest one current
            evs = w.wait_events("SNAPSHOT_PUBLISHED", count=5,
                             pred=lambda p: p.get("snapshot_kind") == "ledger_quarter")
            last = evs[-1]["payload"]
            self.assertEqual(last["key"], "2026Q3")
            self.assertEqual(last["version"], 5)
            self.assertEqual(last["item_count"], 3)
            self.assertFalse(last.get("reconciled", False))
            self.assertTrue(evs[3]["payload"]["reconciled"])
            st, _, canon = d.get("/v1/public/snapshots/ledger_quarter/2026Q3/canonical")
            self.assertEqual(st, 200)
            self.assertEqual(hashlib.sha256(canon).hexdigest(), last["sha256"])
            snap = q["snapshot"]
            self.assertEqual(snap["sha256"], last["sha256"])
            self.assertEqual(snap["announcement"]["seq"], evs[-1]["seq"])
            self.assertEqual(snap["announcement"]["producer"], "disclosure")
            hist = d.json("/v1/public/snapshots/ledger_quarter/2026Q3")
            self.assertEqual([v["version"] for v in hist["versions"]], [5, 4, 3, 2, 1])

            # the audit checkpoint signed after the announcement is shown
            self.assertIsNone(snap["announcement"]["checkpoint"])
            src.raw("audit", "AUDIT_CHECKPOINT", key="audit",
                    payload={"origin": "qingfeng.test/audit", "size": 42,
                             "root_hash": "cd" * 32, "note": "qingfeng.test/audit\n42\n",
                             "at_ms": snap["announcement"]["at_ms"] + 60000})
            d.sync(src)
            snap = d.json("/v1/public/ledger/2026Q3")["snapshot"]
            self.assertEqual(snap["announcement"]["checkpoint"]["size"], 42)
            self.assertEqual(snap["announcement"]["checkpoint"]["root_hash"], "cd" * 32)
            self.assertIn("qingfeng.test/audit", d.html("/affairs/ledger/2026Q3"))

            # CSV: UTF-8 with BOM, one row per entry, amounts in yuan
            st, hd, body = d.get("/v1/public/ledger.csv?quarter=2026Q3")
            self.assertEqual(st, 200)
            self.assertTrue(body.startswith(b"\xef\xbb\xbf"))
            self.assertIn("text/csv", hd["content-type"])
            rows = body.decode("utf-8-sig").strip().split("\r\n")
            self.assertEqual(len(rows), 4)
            self.assertIn("680.50", rows[3])
            self.assertIn("71539.50", rows[3])

    def test_opening_from_previous_quarter(self):
        with Cluster("daffairs") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            src.balance(new_record_id(), "2026Q2", 100000, 150000)
            src.ledger(new_record_id(), "2026-07-01", False, 20000, "支出")
            d.sync(src)
            q = d.json("/v1/public/ledger/2026Q3")
            self.assertEqual(q["opening_source"], "previous_statement")
            self.assertEqual(q["opening_fen"], 150000)
            self.assertEqual(q["computed_closing_fen"], 130000)
            self.assertIsNone(q["reconciled"])
            self.assertIn("尚未公布银行余额", d.html("/affairs/ledger/2026Q3"))
            # a statement whose opening does not continue the last quarter
            src.balance(new_record_id(), "2026Q3", 140000, 120000)
            d.sync(src)
            q = d.json("/v1/public/ledger/2026Q3")
            self.assertIs(q["opening_matches_previous"], False)
            self.assertIs(q["reconciled"], True)
            self.assertIn("期初余额与上季度公布的期末余额不一致", d.html("/affairs/ledger/2026Q3"))


class ListsNoticesRosterTest(unittest.TestCase):
    def test_lists_notices_roster_and_versions(self):
        with Cluster("daffairs") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            w = Watch(c, d)
            lid, nid, r1, r2 = (new_record_id() for _ in range(4))
            items = [{"name": "蒋*华", "building": "B05", "detail": "慢性病门诊",
                      "amount_fen": 150000},
                     {"name": "任*", "building": "Y01", "detail": "重大疾病",
                      "amount_fen": 500000}]
            src.disclosure(lid, "DISCLOSURE_LIST",
                           list={"title": "医疗救助拟救助对象公示", "list_kind": "medical_aid",
                                 "period": "2026Q3", "items": items})
            src.disclosure(lid, "DISCLOSURE_LIST", version=2,
                           correction_reason="经质询核实，任*不符合条件",
                           list={"title": "医疗救助拟救助对象公示", "list_kind": "medical_aid",
                                 "period": "2026Q3", "items": items[:1]})
            d.sync(src)
            l = d.json("/v1/public/lists/" + lid)
            self.assertEqual(l["version"], 2)
            self.assertEqual(len(l["items"]), 1)
            self.assertEqual(l["items"][0]["building_name"], "5栋")
            self.assertEqual(len(l["previous"]["items"]), 2)
            page = d.html("/affairs/lists/" + lid)
            self.assertIn("更正前（第1版）", page)
            self.assertIn("经质询核实", page)
            self.assertIn("ref=list%3A" + lid, page)  # the question link
            lists = d.json("/v1/public/lists")["lists"]
            self.assertEqual(lists[0]["item_count"], 1)
            self.assertEqual(lists[0]["snapshot"]["version"], 2)

            src.disclosure(nid, "DISCLOSURE_NOTICE",
                           notice={"affair": "party", "title": "党员大会通知",
                                   "body": "9月28日下午召开", "date": "2026-09-20"})
            src.disclosure(nid, "DISCLOSURE_NOTICE", version=2, correction_reason="改期",
                           notice={"affair": "party", "title": "党员大会通知（改期）",
                                   "body": "改为9月29日下午召开", "date": "2026-09-21"})
            d.sync(src)
            ns = d.json("/v1/public/notices?affair=party")["notices"]
            self.assertEqual(len(ns), 1)
            self.assertEqual(ns[0]["title"], "党员大会通知（改期）")
            self.assertEqual(ns[0]["previous"]["title"], "党员大会通知")
            self.assertEqual(d.json("/v1/public/notices?affair=residential")["notices"], [])
            self.assertIn("改为9月29日下午召开", d.html("/affairs"))

            src.disclosure(r1, "DISCLOSURE_ROSTER",
                           roster={"staff_id": "s04", "name": "李建国", "post": "1-4栋楼长",
                                   "responsibilities": "1-4栋诉求", "duty": "每日",
                                   "office_phone": "0818-2100004"})
            src.disclosure(r2, "DISCLOSURE_ROSTER",
                           roster={"staff_id": "s05", "name": "张秀英", "post": "5-8栋楼长",
                                   "duty": "每日", "office_phone": "0818-2100005"})
            src.raw("router", "DUTY_QUOTA", key="s04",
                    payload={"staff_id": "s04", "duty": "household_visits",
                             "month": "2026-09", "done": 9, "target": 15, "behind": True})
            d.sync(src)
            ro = d.json("/v1/public/roster")
            self.assertEqual([e["staff_id"] for e in ro["entries"]], ["s04", "s05"])
            self.assertEqual(ro["entries"][0]["office_phone"], "0818-2100004")
            self.assertEqual(ro["duties"][0]["done"], 9)
            # removal is a new version; the roster shrinks
            src.disclosure(r2, "DISCLOSURE_ROSTER", version=2, correction_reason="调离",
                           roster={"staff_id": "s05", "removed": True})
            d.sync(src)
            ro = d.json("/v1/public/roster")
            self.assertEqual([e["staff_id"] for e in ro["entries"]], ["s04"])
            page = d.html("/roster")
            self.assertIn("0818-2100004", page)  # office phones are published on purpose
            self.assertIn("9 / 15 户", page)
            self.assertNotIn("张秀英", page)
            # announcements: list x2, notices x2, roster x3
            kinds = [e["payload"]["snapshot_kind"] for e in
                     w.wait_events("SNAPSHOT_PUBLISHED", count=7)]
            self.assertEqual(sorted(kinds), ["list", "list", "notices", "notices", "roster",
                                             "roster", "roster"])
            for kind, key in (("list", lid), ("roster", "current"), ("notices", "party")):
                snap = d.json("/v1/public/snapshots/%s/%s" % (kind, key))["current"]
                st, _, canon = d.get("/v1/public/snapshots/%s/%s/canonical" % (kind, key))
                self.assertEqual(hashlib.sha256(canon).hexdigest(), snap["sha256"])
            verify = d.html("/verify")
            self.assertIn(snap["sha256"], verify)
            # the disclosures feed names corrections
            feed = d.html("/feeds/disclosures.atom")
            self.assertIn("第2版更正", feed)


if __name__ == "__main__":
    unittest.main()
