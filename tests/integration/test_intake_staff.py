"""intake, staff side: contact details on explicit request (each view an
event; never for the subject of an integrity report), the supervisor's
visit records (a finding becomes a petition in one step), disclosure
records with corrections as new versions, photo uploads, case views."""
import hashlib
import json
import unittest
from urllib.parse import quote

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_intake import (SAMPLE, IntakeService, bearer, events_of, jpeg,
                                      multipart, png)

LEDGER = {"kind": "ledger", "ledger": {"date": "2026-07-15", "direction": "expense",
                                       "amount_fen": 128050, "reason": "更换3栋楼道声控灯",
                                       "counterparty": "明亮五金店", "voucher": "PZ-2026-0715-03"}}


class StaffTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("intake-staff")
        cls.router = Emitter(cls.c, "router")
        cls.it = IntakeService(cls.c, router=cls.router)

    def assign(self, cid, building, staff):
        """The router's CASE_ASSIGNED, as intake consumes it."""
        self.router.emit("CASE_ASSIGNED", key=building, case_id=cid, payload={
            "case_id": cid, "from_state": "STATE_SUBMITTED", "to_state": "STATE_ASSIGNED",
            "assignee": staff, "building": building, "actor": {"role": "system"}})
        wait_until(lambda: self.it.json("GET", "/v1/cases/" + cid,
                                        headers=bearer("secretary"))[1].get("assignee") == staff,
                   timeout=10, what="the assignment")

    @classmethod
    def tearDownClass(cls):
        rc = cls.it.stop()
        cls.c.close()
        assert rc == 0, "qf-intake exited with %s (see its log)" % rc

    # ------------------------------------------------------------ contact
    def test_contact_view_is_recorded(self):
        st, ans = self.it.petition(dict(SAMPLE, name="冯建设", phone="13855556666",
                                        email="fjs@example.org"))
        cid = ans["case_id"]
        self.assign(cid, "B03", "s04")
        st, c = self.it.json("GET", "/v1/cases/%s/contact?reason=%s" % (cid, quote("回访确认")),
                             headers=bearer("head1"))
        self.assertEqual(st, 200, c)
        self.assertEqual((c["name"], c["phone"], c["email"]),
                         ("冯建设", "13855556666", "fjs@example.org"))
        st, c2 = self.it.json("POST", "/v1/cases/%s/contact" % cid, {"reason": "上门维修前联系"},
                              bearer("secretary"))
        self.assertEqual(st, 200, c2)
        views = [e for e in self.it.watch(types=["CONTACT_VIEWED"]) if e["case_id"] == cid]
        self.assertEqual(len(views), 2)
        self.assertEqual(views[0]["payload"]["actor"]["staff_id"], "s04")
        self.assertEqual(views[0]["payload"]["reason"], "回访确认")
        self.assertEqual(views[1]["payload"]["actor"]["staff_id"], "s01")
        self.assertEqual(views[0]["partition_key"], "B03")
        self.assertNotIn("13855556666", str(views))
        # the reason is private: never in the event's public part
        self.assertNotIn("reason", views[0]["public"])
        # the petitioner sees who looked, when and why
        st, v = self.it.track(ans["tracking_code"], ans["secret"])
        self.assertEqual([(x["actor"]["staff_id"], x["reason"]) for x in v["contact_views"]],
                         [("s04", "回访确认"), ("s01", "上门维修前联系")])
        # no token, a bad one
        self.assertEqual(self.it.json("GET", "/v1/cases/%s/contact" % cid)[0], 401)
        self.assertEqual(self.it.json("GET", "/v1/cases/%s/contact" % cid,
                                      headers={"Authorization": "Bearer x"})[0], 401)

    def test_contact_only_for_handlers_with_a_reason(self):
        # issue 13: s08, s07 and s04 read the contact of a B05 petitioner
        # whose case was assigned to s05: now only the handler, the
        # secretary and the supervisor may, and each must say why
        st, ans = self.it.petition(dict(SAMPLE, building="B05", address="5栋1单元"))
        cid = ans["case_id"]
        self.assign(cid, "B05", "s05")
        for who in ("order", "civil", "head1", "staff"):
            with self.subTest(who=who):
                st, err = self.it.json("GET", "/v1/cases/%s/contact?reason=x" % cid,
                                       headers=bearer(who))
                self.assertEqual((st, err["code"]), (404, "not_found"), who)
        st, err = self.it.json("GET", "/v1/cases/%s/contact" % cid, headers=bearer("head2"))
        self.assertEqual((st, err["code"], err["field"]), (400, "missing_field", "reason"))
        st, err = self.it.json("POST", "/v1/cases/%s/contact" % cid, {"reason": ""},
                               bearer("head2"))
        self.assertEqual((st, err["field"]), (400, "reason"))
        for who in ("head2", "secretary", "supervisor"):
            st, c = self.it.json("GET", "/v1/cases/%s/contact?reason=%s" % (cid, quote("核实")),
                                 headers=bearer(who))
            self.assertEqual(st, 200, (who, c))

    def test_contact_never_for_the_reported_staff(self):
        st, ans = self.it.petition(dict(SAMPLE, category="integrity_report",
                                        concerns_staff="s04", parties=["s05"],
                                        description="楼长收取维修费不开收据。"))
        cid = ans["case_id"]
        # the person reported, a party and the reported person's supervisor:
        # the case does not exist for them (404, not a telling 403)
        for who in ("head1", "head2", "staff"):
            with self.subTest(who=who):
                st, err = self.it.json("GET", "/v1/cases/%s/contact?reason=x" % cid,
                                       headers=bearer(who))
                self.assertEqual((st, err["code"]), (404, "not_found"))
                st, _ = self.it.json("GET", "/v1/cases/%s" % cid, headers=bearer(who))
                self.assertEqual(st, 404)
        st, c = self.it.json("GET", "/v1/cases/%s/contact?reason=%s" % (cid, quote("核实举报")),
                             headers=bearer("supervisor"))
        self.assertEqual(st, 200, c)
        views = [e for e in self.it.watch(types=["CONTACT_VIEWED"]) if e["case_id"] == cid]
        self.assertEqual([v["payload"]["actor"]["staff_id"] for v in views], ["s02"])
        # an integrity report's contact view names nobody in public
        self.assertNotIn("actor", views[0]["public"])

    def test_report_hidden_from_its_subject_and_their_supervisors(self):
        # a report on s03: hidden from s03 and from the secretary above her;
        # building heads do not handle it, so it is not theirs to know of
        st, ans = self.it.petition(dict(SAMPLE, category="integrity_report",
                                        concerns_staff="s03",
                                        description="居委会主任处理投诉时态度恶劣。"))
        cid = ans["case_id"]
        for who in ("staff", "secretary", "head1", "head3", "civil"):
            with self.subTest(who=who):
                self.assertEqual(self.it.json("GET", "/v1/cases/%s" % cid,
                                              headers=bearer(who))[0], 404)
        for who in ("head1", "secretary"):
            st, lst = self.it.json("GET", "/v1/cases?category=integrity_report",
                                   headers=bearer(who))
            self.assertNotIn(cid, [c["case_id"] for c in lst["cases"]])
        self.assertEqual(self.it.json("GET", "/v1/cases/%s" % cid,
                                      headers=bearer("supervisor"))[0], 200)

    def test_contact_of_anonymous_or_unknown(self):
        st, ans = self.it.petition(dict(SAMPLE, name="", phone="", anonymous=True))
        st, err = self.it.json("GET", "/v1/cases/%s/contact?reason=x" % ans["case_id"],
                               headers=bearer("secretary"))
        self.assertEqual((st, err["code"]), (404, "no_contact"))
        st, err = self.it.json("GET", "/v1/cases/C%s/contact?reason=x" % ("0" * 26),
                               headers=bearer("secretary"))
        self.assertEqual((st, err["code"]), (404, "not_found"))

    # ------------------------------------------------------------ cases
    def test_case_view_and_list(self):
        st, ans = self.it.petition(dict(SAMPLE, building="B11", category="safety_hazard",
                                        description="11栋电梯困人。"))
        st, v = self.it.json("GET", "/v1/cases/%s" % ans["case_id"], headers=bearer("staff"))
        self.assertEqual(st, 200)
        self.assertEqual(v["building"], "B11")
        self.assertEqual(v["name_masked"], "吴**")
        self.assertNotIn("13912345678", str(v))
        self.assertTrue(v["has_contact"])
        st, lst = self.it.json("GET", "/v1/cases?building=B11&category=safety_hazard",
                               headers=bearer("staff"))
        self.assertIn(ans["case_id"], [c["case_id"] for c in lst["cases"]])
        self.assertTrue(all(c["building"] == "B11" for c in lst["cases"]))
        st, _ = self.it.json("GET", "/v1/cases?limit=0", headers=bearer("staff"))
        self.assertEqual(st, 400)

    # ------------------------------------------------------------ media
    def test_staff_photo_upload(self):
        p = png(3000, seed=5)
        st, hd, raw = self.it.request("POST", "/v1/media", p,
                                      dict(bearer("head1"), **{"Content-Type": "image/png"}))
        self.assertEqual(st, 201, raw)
        sha = hashlib.sha256(p).hexdigest()
        up = json.loads(raw)
        self.assertEqual(up["sha256"], sha)
        self.assertTrue(up["upload_token"].startswith("U"), up)
        body, ctype = multipart({}, [("file", "现场.jpg", "image/jpeg", jpeg(500, 3))])
        st, _, raw = self.it.request("POST", "/v1/media", body,
                                     dict(bearer("head1"), **{"Content-Type": ctype}))
        self.assertEqual(st, 201, raw)
        st, _, _ = self.it.request("POST", "/v1/media", p, {"Content-Type": "image/png"})
        self.assertEqual(st, 401)
        st, _, raw = self.it.request("POST", "/v1/media", b"%PDF-1.4",
                                     dict(bearer("head1"), **{"Content-Type": "image/png"}))
        self.assertEqual(st, 415)
        st, _, raw = self.it.request("POST", "/v1/media", b"{}",
                                     dict(bearer("head1"),
                                          **{"Content-Type": "application/json"}))
        self.assertEqual(st, 415)
        # a petition may refer to the uploaded photo with its upload token
        st, ans = self.it.petition(dict(SAMPLE, media=[{"sha256": sha}]))
        self.assertEqual(st, 422, ans)
        self.assertEqual(ans["code"], "unknown_media")
        st, ans = self.it.petition(dict(SAMPLE, media=[
            {"sha256": sha, "upload_token": up["upload_token"]}]))
        self.assertEqual(st, 201, ans)
        ev = [e for e in self.it.watch(types=["PETITION_SUBMITTED"])
              if e["case_id"] == ans["case_id"]][0]
        self.assertEqual(ev["payload"]["media"][0]["content_type"], "image/png")
        self.assertEqual(ev["payload"]["media"][0]["size"], len(p))

    # ------------------------------------------------------------ visits
    def test_visit_records(self):
        st, v = self.it.json("POST", "/v1/visits",
                             {"date": "2026-03-02", "place": "5栋2单元301", "building": "B05",
                              "household": True, "findings": "独居老人，身体尚好，无诉求。"},
                             bearer("supervisor"))
        self.assertEqual(st, 201, v)
        self.assertTrue(v["visit_id"].startswith("V"))
        evs = [e for e in self.it.watch(types=["VISIT_RECORDED"])
               if e["payload"]["visit_id"] == v["visit_id"]]
        self.assertEqual(len(evs), 1)
        self.assertEqual(evs[0]["partition_key"], "s02")
        self.assertTrue(evs[0]["payload"]["household"])
        st, lst = self.it.json("GET", "/v1/visits?month=2026-03", headers=bearer("supervisor"))
        self.assertEqual(st, 200)
        self.assertGreaterEqual(lst["households"], 1)
        st, lst = self.it.json("GET", "/v1/visits?month=2026-03&staff=s02",
                               headers=bearer("secretary"))
        self.assertGreaterEqual(lst["count"], 1)
        # whose log one may read is the policy's (visit.read:all for the
        # secretary, :own for the supervisor), not a role name in code
        st, lst = self.it.json("GET", "/v1/visits?month=2026-03", headers=bearer("secretary"))
        self.assertEqual(st, 200)
        self.assertIn("s02", [x["actor"]["staff_id"] for x in lst["visits"]], lst)
        st, err = self.it.json("GET", "/v1/visits?month=2026-03&staff=s01",
                               headers=bearer("supervisor"))
        self.assertEqual((st, err["code"]), (403, "forbidden_role"), err)
        st, lst = self.it.json("GET", "/v1/visits?month=2026-03&staff=s02",
                               headers=bearer("supervisor"))
        self.assertEqual(st, 200)
        for body, field in [({"place": "x"}, "date"), ({"date": "2026-02-30", "place": "x"},
                                                       "date"),
                            ({"date": "2026-03-02"}, "place"),
                            ({"date": "2026-03-02", "place": "x", "building": "B99"},
                             "building")]:
            with self.subTest(body=body):
                st, err = self.it.json("POST", "/v1/visits", body, bearer("supervisor"))
                self.assertEqual(err["field"], field, err)
                self.assertIn(st, (400, 422))

    def test_finding_becomes_a_petition(self):
        st, v = self.it.json("POST", "/v1/visits", {
            "date": "2026-03-03", "place": "东院车棚", "building": "Y01", "household": False,
            "findings": "车棚私拉电线给电动车充电。", "media": [{"data": __import__("base64")
                                                             .b64encode(jpeg(100, 4)).decode()}],
            "petition": {"category": "safety_hazard"}}, bearer("supervisor"))
        self.assertEqual(st, 201, v)
        cid, vid = v["case_id"], v["visit_id"]
        evs = self.it.watch(types=["VISIT_RECORDED", "PETITION_SUBMITTED"])
        visit = [e for e in events_of(evs, "VISIT_RECORDED")
                 if e["payload"]["visit_id"] == vid][0]["payload"]
        pet = [e for e in events_of(evs, "PETITION_SUBMITTED") if e["case_id"] == cid][0]
        self.assertEqual(visit["petition_case_id"], cid)
        self.assertEqual(pet["payload"]["source_visit_id"], vid)
        self.assertEqual(pet["payload"]["channel"], "patrol")
        self.assertEqual(pet["payload"]["entered_by"]["staff_id"], "s02")
        self.assertEqual(pet["payload"]["building"], "Y01")
        # no public consent was given for this petition: the finding stays in
        # intake (staff see it there) and is not put into the public events
        self.assertNotIn("description", pet["public"])
        self.assertNotIn("source_visit_id", pet["public"])
        st, case = self.it.json("GET", "/v1/cases/" + cid, headers=bearer("secretary"))
        self.assertEqual(st, 200, case)
        self.assertEqual(case["description"], "车棚私拉电线给电动车充电。")
        self.assertEqual(len(pet["payload"]["media"]), 1)
        st, err = self.it.json("POST", "/v1/visits", {
            "date": "2026-03-03", "place": "x", "building": "B01", "findings": "y",
            "petition": {"category": "nope"}},
            bearer("supervisor"))
        self.assertEqual((st, err["field"]), (422, "petition.category"))

    # ------------------------------------------------------------ disclosures
    def test_disclosure_and_correction(self):
        st, d = self.it.json("POST", "/v1/disclosures/" + LEDGER["kind"], LEDGER,
                             bearer("secretary"))
        self.assertEqual(st, 201, d)
        rid = d["record_id"]
        self.assertEqual(d["version"], 1)
        fixed = {"kind": "ledger", "ledger": dict(LEDGER["ledger"], amount_fen=120850),
                 "correction_reason": "金额录入错误，以发票为准"}
        # separation of duties: the books are the secretary's (or finance's)
        st, err = self.it.json("POST", "/v1/disclosures/%s/corrections" % rid, fixed,
                               bearer("staff"))
        self.assertEqual((st, err["code"]), (403, "forbidden_role"), err)
        st, d2 = self.it.json("POST", "/v1/disclosures/%s/corrections" % rid, fixed,
                              bearer("secretary"))
        self.assertEqual((st, d2["record_id"], d2["version"]), (201, rid, 2))
        st, err = self.it.json("POST", "/v1/disclosures/%s/corrections" % rid, LEDGER,
                               bearer("secretary"))
        self.assertEqual((st, err["field"]), (400, "correction_reason"))
        st, err = self.it.json("POST", "/v1/disclosures/%s/corrections" % rid,
                               {"kind": "notice", "correction_reason": "x",
                                "notice": {"affair": "party", "title": "t", "body": "b",
                                           "date": "2026-07-01"}}, bearer("secretary"))
        self.assertEqual((st, err["code"]), (422, "kind_mismatch"))
        st, err = self.it.json("POST", "/v1/disclosures/D%s/corrections" % ("0" * 26), fixed,
                               bearer("secretary"))
        self.assertEqual(st, 404)
        st, all_ = self.it.json("GET", "/v1/disclosures/%s" % rid, headers=bearer("supervisor"))
        self.assertEqual([v["version"] for v in all_["versions"]], [1, 2])
        self.assertEqual(all_["versions"][0]["ledger"]["amount_fen"], 128050)  # kept
        evs = [e for e in self.it.watch(types=["DISCLOSURE_SUBMITTED"])
               if e["payload"]["record_id"] == rid]
        self.assertEqual([e["payload"]["version"] for e in evs], [1, 2])
        self.assertEqual(evs[0]["partition_key"], rid)
        self.assertEqual(evs[0]["payload"]["kind"], "DISCLOSURE_LEDGER_ENTRY")
        self.assertEqual(evs[0]["payload"]["ledger"]["amount_fen"], 128050)
        self.assertNotIn("income", evs[0]["payload"]["ledger"])  # expense: false, default
        self.assertEqual(evs[1]["payload"]["correction_reason"], "金额录入错误，以发票为准")
        self.assertEqual(evs[1]["payload"]["actor"]["staff_id"], "s01")

    def test_disclosure_kinds(self):
        bodies = [
            {"kind": "balance", "balance": {"quarter": "2026Q2", "opening_fen": 5230000,
                                            "closing_fen": 4980000, "account": "社区居委会基本户",
                                            "as_of": "2026-06-30"}},
            {"kind": "notice", "notice": {"affair": "residential", "title": "停水通知",
                                          "body": "因管网维修，7月20日8时至18时停水。",
                                          "date": "2026-07-18"}},
            {"kind": "list", "list": {"title": "2026年第二季度医疗救助申请人", "list_kind":
                                      "medical_aid", "period": "2026Q2",
                                      "items": [{"name": "韩某某", "building": "B02",
                                                 "detail": "住院费用救助", "amount_fen": 300000}]}},
            {"kind": "roster", "roster": {"staff_id": "s07", "name": "赵丽娟", "post": "民政专干",
                                          "responsibilities": "民政救助、政策咨询",
                                          "duty": "周一至周五", "office_phone": "0818-2100007"}},
        ]
        # who may enter what: the community file's grants (docs/SECURITY.md)
        may = {"balance": "secretary", "notice": "staff", "list": "staff", "roster": "civil"}
        for b in bodies:
            with self.subTest(kind=b["kind"]):
                st, d = self.it.json("POST", "/v1/disclosures/" + b["kind"], b,
                                     bearer(may[b["kind"]]))
                self.assertEqual(st, 201, d)
                self.assertEqual(d["record_id"][0], "D")

    def test_disclosure_separation_of_duties(self):
        roster = {"kind": "roster", "roster": {"staff_id": "s07", "name": "赵丽娟",
                                               "post": "民政专干", "duty": "周一至周五"}}
        for who, path, body, status in (
                ("staff", "ledger", LEDGER, 403),          # s03 keeps no books
                ("head1", "notice", {"kind": "notice", "notice": {
                    "affair": "party", "title": "t", "body": "b", "date": "2026-07-01"}}, 403),
                ("order", "roster", roster, 403),          # s08 for s07: not his entry
                ("civil", "roster", roster, 201),          # s07's own entry
                ("secretary", "roster", roster, 201)):     # the secretary for anyone
            with self.subTest(who=who, path=path):
                st, d = self.it.json("POST", "/v1/disclosures/" + path, body, bearer(who))
                self.assertEqual(st, status, d)
        # the path says the kind: a body saying otherwise is refused
        st, err = self.it.json("POST", "/v1/disclosures/notice", LEDGER, bearer("secretary"))
        self.assertEqual((st, err["field"]), (400, "kind"))

    def test_disclosure_validation(self):
        bad = [({"kind": "ledger"}, 400, "ledger"),
               ({"kind": "ledger", "ledger": dict(LEDGER["ledger"], amount_fen=0)}, 400,
                "ledger.amount_fen"),
               ({"kind": "ledger", "ledger": dict(LEDGER["ledger"], amount_fen=12.5)}, 400,
                "ledger.amount_fen"),
               ({"kind": "ledger", "ledger": dict(LEDGER["ledger"], date="2026-13-01")}, 400,
                "ledger.date"),
               ({"kind": "ledger", "ledger": dict(LEDGER["ledger"], direction="sideways")},
                400, "ledger.direction"),
               ({"kind": "balance", "balance": {"quarter": "2026Q5", "opening_fen": 1,
                                                "closing_fen": 1, "account": "a",
                                                "as_of": "2026-06-30"}}, 400,
                "balance.quarter"),
               ({"kind": "notice", "notice": {"affair": "gossip", "title": "t", "body": "b",
                                              "date": "2026-07-01"}}, 400, "notice.affair"),
               ({"kind": "list", "list": {"title": "t", "list_kind": "Bad Kind", "period": "p",
                                          "items": []}}, 400, "list.list_kind"),
               ({"kind": "list", "list": {"title": "t", "list_kind": "k", "period": "p",
                                          "items": [{"name": "x", "building": "B99"}]}}, 422,
                "list.items[0].building"),
               ({"kind": "roster", "roster": {"staff_id": "s07", "name": "x", "post": "y",
                                              "office_phone": "12"}}, 400,
                "roster.office_phone")]
        for body, status, field in bad:
            with self.subTest(body=body):
                st, err = self.it.json("POST", "/v1/disclosures/" + body["kind"], body,
                                       bearer("secretary"))
                self.assertEqual((st, err.get("field")), (status, field), err)
        # a kind that does not exist has no address
        st, err = self.it.json("POST", "/v1/disclosures/poem", {"kind": "poem"},
                               bearer("secretary"))
        self.assertIn(st, (404, 405))

    def test_disclosure_idempotent(self):
        h = dict(bearer("secretary"), **{"Idempotency-Key": "ledger-0715-03"})
        st, a = self.it.json("POST", "/v1/disclosures/" + LEDGER["kind"], LEDGER, h)
        st2, b = self.it.json("POST", "/v1/disclosures/" + LEDGER["kind"], LEDGER, h)
        self.assertEqual((st, st2), (201, 201))
        self.assertEqual(a["record_id"], b["record_id"])


if __name__ == "__main__":
    unittest.main()
