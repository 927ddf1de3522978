"""qf-disclosure end to end: configuration checks, a petition on the public
board with personal data masked, its timeline growing as staff act, the
live stream announcing it, health and metrics."""
import pathlib
import json
import os
import unittest

from tests.harness.qf import Cluster, binary
from tests.harness.svc_disclosure import (DAY, HOUR, Disclosure, Sources, new_case_id,
                                          now_ms, sse_read)


class ConfigTest(unittest.TestCase):
    def test_default_config_passes_check(self):
        with Cluster("dcfg") as c:
            r = c.run([binary("qf-disclosure"), "--config",
                       os.path.join(os.path.dirname(__file__), "..", "..", "config",
                                    "disclosure.cfg"), "--check-config"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("configuration ok", r.stdout)

    def test_bad_settings_are_reported_with_file_and_line(self):
        with Cluster("dcfg") as c:
            c.copy_config("community.cfg")
            path = c.write("bad.cfg", 'service = { node = "d"; };\n'
                                      'http = { port = 70000; };\n'
                                      'disclosure = { page_size = 0; colour = "red"; };\n')
            r = c.run([binary("qf-disclosure"), "--config", path, "--check-config"])
            self.assertEqual(r.returncode, 1)
            self.assertIn("bad.cfg:2: setting 'http.port'", r.stderr)
            self.assertIn("bad.cfg:3: setting 'disclosure.page_size'", r.stderr)
            self.assertIn("disclosure.colour", r.stderr)

    def test_cross_checks(self):
        with Cluster("dcfg") as c:
            c.copy_config("community.cfg")
            path = c.write("bad.cfg", 'disclosure = { intake_url = "javascript:alert(1)"; '
                                      'question_path = "x"; page_size = 200; '
                                      'max_page_size = 100; };\n')
            r = c.run([binary("qf-disclosure"), "--config", path, "--check-config"])
            self.assertEqual(r.returncode, 1)
            self.assertIn("disclosure.intake_url", r.stderr)
            self.assertIn("disclosure.question_path", r.stderr)
            self.assertIn("disclosure.page_size", r.stderr)

    def test_missing_community_file(self):
        with Cluster("dcfg") as c:
            path = c.write("d.cfg", 'service = { community = "nowhere.cfg"; };\n')
            r = c.run([binary("qf-disclosure"), "--config", path, "--check-config"])
            self.assertEqual(r.returncode, 1)
            self.assertIn("nowhere.cfg", r.stderr)


class BoardTest(unittest.TestCase):
    def test_case_appears_masked_and_timeline_grows(self):
        with Cluster("dbasic") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            cid = new_case_id()
            sub = now_ms()
            code = src.petition(cid, "safety_hazard", "B03",
                                description="我叫聂云帆，电话13912345678，3栋1单元楼道堵塞",
                                address="3栋1单元", name_masked="聂**",
                                phone_masked="139****5678", submitted_ms=sub)
            case = d.wait_case(cid)
            self.assertEqual(case["tracking_code"], code)
            self.assertEqual(case["state"], "submitted")
            self.assertEqual(case["name"], "聂**")
            self.assertEqual(case["phone"], "139****5678")
            self.assertEqual(case["description"], "我叫聂**，电话139****5678，3栋1单元楼道堵塞")
            self.assertEqual(case["category_name"], "安全隐患")
            self.assertEqual(case["building_name"], "3栋")
            # staff act: the timeline grows, the state follows
            due = dict(respond_due_ms=sub + 2 * HOUR, resolve_due_ms=sub + DAY,
                       category="safety_hazard")
            src.transition("CASE_ASSIGNED", cid, "B03", to="assigned", frm="submitted",
                           assignee="s04", actor="system", **due)
            # the petitioner's supplement (the router's CASE_PROGRESS that
            # keeps the state): no entry of the board's, no first response
            src.transition("CASE_PROGRESS", cid, "B03", to="assigned", frm="assigned",
                           assignee="s04", actor="system", comment="居民补充的话", **due)
            src.transition("CASE_ACCEPTED", cid, "B03", to="accepted", frm="assigned",
                           assignee="s04", owner="s04", **due)
            src.transition("CASE_PROGRESS", cid, "B03", to="in_progress", frm="accepted",
                           assignee="s04", cause="杂物堆放", progress="已通知住户清理",
                           **due)
            case = d.wait_case(cid, lambda c: c["state"] == "in_progress")
            self.assertNotIn("居民补充的话", json.dumps(case, ensure_ascii=False))
            types = [e["type"] for e in case["timeline"]]
            self.assertEqual(types, ["PETITION_SUBMITTED", "CASE_ASSIGNED", "CASE_ACCEPTED",
                                     "CASE_PROGRESS"])
            self.assertEqual(case["handler"]["name"], "李建国")
            self.assertEqual(case["owner"], "s04")
            self.assertEqual(case["timeline"][3]["progress"], "已通知住户清理")
            self.assertFalse(case["overdue"])
            # the list and the pages show it
            lst = d.json("/v1/public/cases")
            self.assertEqual(lst["total"], 1)
            self.assertEqual(lst["items"][0]["id"], cid)
            self.assertEqual(lst["items"][0]["state_name"], "处理中")
            page = d.html("/cases/" + cid)
            self.assertIn("已通知住户清理", page)
            self.assertIn("聂**", page)
            self.assertNotIn("聂云帆", page)
            self.assertIn("李建国", d.html("/"))
            # lookup by tracking code too
            self.assertEqual(d.json("/v1/public/cases/" + code)["id"], cid)

    def test_live_stream_announces_new_cases(self):
        with Cluster("dbasic") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            cid = new_case_id()
            seen = {}

            def until(events):
                if not seen.get("sent") and any(e[1] == "counters" for e in events):
                    # connected: now the petition arrives
                    seen["sent"] = True
                    src.petition(cid, "facility_repair", "B05", description="路灯不亮",
                                 name_masked="甘**")
                return any(e[1] == "case" and cid in e[2] for e in events) and \
                    any(e[1] == "counters" and json.loads(e[2]).get("total") == 1
                        for e in events)

            events = sse_read(d.http_port, until=until, timeout=10)
            case_ev = [e for e in events if e[1] == "case"][0]
            rec = json.loads(case_ev[2])
            self.assertEqual(rec["kind"], "case")
            self.assertEqual(rec["data"]["case_id"], cid)
            self.assertEqual(rec["data"]["title"], "路灯不亮")
            self.assertTrue(case_ev[0].isdigit())

    def test_sighup_reloads_the_community_file(self):
        import signal
        with Cluster("dbasic") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            path = os.path.join(c.dir, "community.cfg")
            text = pathlib.Path(path).read_text(encoding="utf-8")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace('name = "设施报修"', 'name = "公共设施报修"'))
            d.proc.signal(signal.SIGHUP)
            from tests.harness.qf import wait_until
            wait_until(lambda: "event=reloaded" in d.output(), what="reload")
            cid = new_case_id()
            src.petition(cid, "facility_repair", "B05", description="门禁坏了")
            self.assertEqual(d.wait_case(cid)["category_name"], "公共设施报修")
            # a broken file is refused; the service keeps the last good one
            with open(path, "w", encoding="utf-8") as f:
                f.write("categories = ( { code = 1; } );")
            d.proc.signal(signal.SIGHUP)
            wait_until(lambda: "event=reload_failed" in d.output(), what="reload refused")
            self.assertIn("公共设施报修", d.html("/?category=facility_repair"))

    def test_health_and_metrics(self):
        with Cluster("dbasic") as c:
            src = Sources(c)
            d = Disclosure(c, src.all())
            self.assertEqual(d.get("/healthz")[0], 200)
            self.assertEqual(d.get("/readyz")[0], 200)
            src.petition(new_case_id(), "safety_hazard", "B01", description="x")
            d.wait_applied(1)
            st, _, body = d.get("/metrics")
            self.assertEqual(st, 200)
            self.assertIn(b"qf_bus_events_applied_total", body)
            self.assertIn(b"qf_http_requests_total", body)


if __name__ == "__main__":
    unittest.main()
