"""No petitioner's real name or phone in any public output. The test emits
petitions, staff notes, feedback, list details and notices whose free text
carries real names, mobile and landline numbers (also full-width, spaced and
read out in Chinese numerals), ID-card numbers and e-mail addresses, then
fetches every public output: JSON, HTML pages, Atom feeds, CSV, the live
event stream and a static export, and searches them all."""
import json
import os
import re
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_disclosure import (DAY, HOUR, Disclosure, Sources, new_case_id,
                                          new_record_id, now_ms, sse_read)

# invented petitioners: (name, masked name, phone forms appearing in text)
PEOPLE = [
    ("聂云帆", "聂**", "13912345678"),
    ("甘晓露", "甘**", "15811112222"),
    ("欧阳明月", "欧阳**", "18677778888"),
    ("卞小川", "匿名", "08182109876"),
]
ID_CARD = "51010119850312002X"
EMAIL = "gxl2026@example.com"
SECRETS = [p[0] for p in PEOPLE] + [p[2] for p in PEOPLE] + [
    ID_CARD, "510101198503120", EMAIL, "gxl2026", "2109876",
    "１３９１２３４５６７８", "139 1234 5678", "一五八一一一一二二二二"]


def _digits_only(text):
    """Digit runs of the text with separators removed, to catch numbers
    that were split by spaces or dashes."""
    t = re.sub(r"(?<=\d)[\s\-](?=\d)", "", text)
    return t


class PrivacyTest(unittest.TestCase):
    def test_no_personal_data_in_any_public_output(self):
        with Cluster("dprivacy") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            t0 = now_ms() - 3 * HOUR
            cases = []
            texts = [
                "我叫聂云帆，电话13912345678，3栋楼道堵塞，邮箱" + EMAIL,
                "本人甘晓露，手机１５８　１１１１　２２２２，身份证" + ID_CARD + "，垃圾站没人清运",
                "联系人欧阳明月，电话186-7777-8888，或打一五八一一一一二二二二",
                "我叫卞小川，座机0818-2109876，楼上漏水",
            ]
            cats = ["safety_hazard", "sanitation_hazard", "neighbor_dispute",
                    "facility_repair"]
            blds = ["B03", "B02", "B10", "B01"]
            for i, (name, masked, phone) in enumerate(PEOPLE):
                cid = new_case_id()
                cases.append(cid)
                anonymous = masked == "匿名"
                src.petition(cid, cats[i], blds[i], description=texts[i],
                             address="%s家门口（%s）" % (name, phone),
                             name_masked=masked, phone_masked="" if anonymous else
                             phone[:3] + "****" + phone[-4:], anonymous=anonymous,
                             submitted_ms=t0 + i * 1000)
                due = dict(respond_due_ms=t0 + DAY, resolve_due_ms=t0 + 3 * DAY,
                           category=cats[i])
                src.transition("CASE_ASSIGNED", cid, blds[i], to="assigned",
                               assignee="s04", actor="system", **due)
                src.transition("CASE_PROGRESS", cid, blds[i], to="in_progress",
                               assignee="s04",
                               progress="已电话联系%s（%s），约定明天上门" % (name, phone),
                               cause="%s反映的情况属实" % name, **due)
                src.transition("CASE_RESOLVED", cid, blds[i], to="resolved", assignee="s04",
                               result="已处理，%s确认" % name, **due)
                src.transition("CASE_RATED", cid, blds[i], actor="petitioner", rating=2,
                               comment="我是%s，电话%s，还是不满意" % (name, phone), **due)
                src.transition("CASE_REOPENED", cid, blds[i], to="reopened", assignee="s04",
                               reason="%s不满意（%s）" % (name, phone), **due)
            src.warning(cases[0], "B03", breached=True)
            lst = new_record_id()
            src.disclosure(lst, "DISCLOSURE_LIST",
                           list={"title": "医疗救助公示", "list_kind": "medical_aid",
                                 "period": "2026Q3",
                                 "items": [{"name": "阮*", "building": "B05",
                                            "detail": "申请人卞小川代办，电话0818-2109876，"
                                                      "身份证" + ID_CARD,
                                            "amount_fen": 150000}]})
            src.disclosure(new_record_id(), "DISCLOSURE_NOTICE",
                           notice={"affair": "residential", "title": "意见征集",
                                   "body": "联系人：欧阳明月 18677778888，" + EMAIL,
                                   "date": "2026-09-01"})
            src.ledger(new_record_id(), "2026-08-01", False, 5000,
                       "退还押金，经办电话13912345678")
            src.raw("audit", "AUDIT_ALERT", key="audit",
                    payload={"kind": "ALERT_CONTACT_VIEW", "case_id": cases[1],
                             "staff_id": "s04", "detail": "查看了15811112222的联系方式"})
            d.sync(src)

            outputs = d.scan_all()
            # the live stream: everything the hub still holds
            events = sse_read(d.http_port, path="/v1/events/stream?since=1",
                              until=lambda ev: sum(1 for e in ev if e[1] == "state") >= 16)
            outputs["sse"] = "\n".join(e[2] for e in events)
            # the static export
            exp = c.path("export", "x")
            exp = os.path.dirname(exp)
            r = d.export(exp)
            self.assertEqual(r.returncode, 0, r.stderr)
            nfiles = 0
            for root, _, files in os.walk(exp):
                for f in files:
                    with open(os.path.join(root, f), encoding="utf-8") as fh:
                        outputs["export/" + os.path.relpath(os.path.join(root, f), exp)] = fh.read()
                    nfiles += 1
            self.assertGreater(nfiles, 10)

            # the content is there, masked (the scan is not vacuous)
            joined = "\n".join(outputs.values())
            # (a mobile is 158****2222 whatever its script and grouping:
            # the full-width, spaced １５８　１１１１　２２２２ included)
            for m in ("聂**", "甘**", "欧阳**", "139****5678", "158****2222",
                      "510**************X", "g***@e***.com", "已电话联系聂**（139****5678）"):
                self.assertIn(m, joined, "masked form %s missing" % m)
            # and nothing personal anywhere
            for path, body in outputs.items():
                for s in SECRETS:
                    self.assertNotIn(s, body, "%s leaks %r" % (path, s))
                    self.assertNotIn(s, _digits_only(body), "%s leaks %r" % (path, s))
            # JSON escapes: check the decoded form too
            for path, body in outputs.items():
                if path.startswith("/v1/public") and not path.endswith(".csv"):
                    text = json.dumps(json.loads(body), ensure_ascii=False)
                    for s in SECRETS:
                        self.assertNotIn(s, text, "%s leaks %r" % (path, s))
            # the anonymous petitioner is 匿名 with no phone
            anon = d.json("/v1/public/cases/" + cases[3])
            self.assertEqual(anon["name"], "匿名")
            self.assertEqual(anon["phone"], "")


if __name__ == "__main__":
    unittest.main()
