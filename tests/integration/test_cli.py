"""Every program answers -h/--help on stdout with status 0, --version with
the release and event catalogue, and an unknown option with status 2 and a
message on stderr (issue 17's convention); so does every qfctl command."""
import http.server
import json
import os
import re
import subprocess
import threading
import unittest

from tests.harness.qf import CONFIG, Cluster, binary
from tests.harness.svc_intake import IntakeService

SERVICES = ["qf-intake", "qf-router", "qf-notifier", "qf-disclosure", "qf-audit"]
QFCTL = ["watch", "store", "keygen", "health", "audit", "notify", "policy"]
# every command that reports takes --json (issue 17)
JSON = ["watch", "store", "health", "notify", "policy", "audit"]


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


class CliTest(unittest.TestCase):
    def test_services(self):
        for exe in SERVICES:
            with self.subTest(exe=exe):
                for flag in ("-h", "--help"):
                    r = run([binary(exe), flag])
                    self.assertEqual((r.returncode, r.stderr), (0, ""), flag)
                    self.assertIn("usage: %s" % exe, r.stdout)
                    self.assertIn("--config", r.stdout)
                r = run([binary(exe), "--version"])
                self.assertEqual(r.returncode, 0)
                self.assertRegex(r.stdout, r"^%s \(qingfeng\) \d+\.\d+\.\d+, event catalogue v\d+\n$"
                                 % exe)
                r = run([binary(exe), "--no-such-option"])
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertTrue(r.stderr.strip())

    def test_qfctl(self):
        r = run([binary("qfctl"), "--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^qfctl \(qingfeng\) \d+\.\d+\.\d+, event catalogue v\d+\n$")
        r = run([binary("qfctl"), "--help"])
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        for cmd in QFCTL:
            self.assertIn(cmd, r.stdout)
            with self.subTest(cmd=cmd):
                r2 = run([binary("qfctl"), cmd, "--help"])
                self.assertEqual((r2.returncode, r2.stderr), (0, ""), r2.stdout)
                self.assertIn("usage", r2.stdout.lower())
                if cmd in JSON:
                    self.assertIn("--json", r2.stdout)
        r = run([binary("qfctl"), "no-such-command"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command", r.stderr)

    def test_json_reports(self):
        """--json on the commands that report: the same facts as the text."""
        # policy: the Markdown table and the JSON agree cell by cell
        community = os.path.join(CONFIG, "community.cfg")
        md = run([binary("qfctl"), "policy", "--community", community]).stdout
        r = run([binary("qfctl"), "policy", "--community", community, "--json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        rows = [l for l in md.splitlines() if l.startswith("| `")]
        self.assertEqual(len(rows), len(doc["actions"]))
        roles = [c.strip() for c in md.splitlines()[0].split("|")[4:-1]]
        for row, act in zip(rows, doc["actions"]):
            cells = [c.strip() for c in row.split("|")[1:-1]]
            self.assertEqual(cells[0], "`%s`" % act["action"])
            for role, cell in zip(roles, cells[3:]):
                self.assertEqual(bool(cell), role in act["roles"], (act["action"], role))
        # health: one line per URL, against a real HTTP server
        class Ok(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200 if self.path == "/healthz" else 503)
                self.end_headers()

            def log_message(self, *a):
                pass
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.shutdown)
        base = "http://127.0.0.1:%d" % srv.server_address[1]
        r = run([binary("qfctl"), "health", "--json", base + "/healthz", base + "/readyz"])
        self.assertEqual(r.returncode, 1)
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual([(l["status"], l["ok"]) for l in lines], [(200, True), (503, False)])
        self.assertEqual(lines[1]["error"], "not 200")
        # store stat: the same databases and entries as the text
        with Cluster("cli-store") as c:
            it = IntakeService(c)
            st, _ = it.petition()
            self.assertEqual(st, 201)
            self.assertEqual(it.stop(), 0)
            text = run([binary("qfctl"), "store", "stat", it.data]).stdout
            r = run([binary("qfctl"), "store", "stat", "--json", it.data])
            self.assertEqual(r.returncode, 0, r.stderr)
            doc = json.loads(r.stdout)
            want = {m.group(1): int(m.group(2)) for m in
                    re.finditer(r"^database   name=(\S+) entries=(\d+)$", text, re.M)}
            self.assertTrue(want)
            self.assertEqual({d["name"]: d["entries"] for d in doc["databases"]}, want)
            self.assertEqual(len(doc["streams"]), text.count("\nstream "))
            self.assertTrue(doc["streams"])

    def test_audit_json(self):
        """audit verify, case and receipt --json: the very lines of the text,
        ok and exit as the status, and facts that the text states too."""
        from tests.harness.svc_audit import Audit, PrivEmitter
        from tests.harness.svc_router import new_case_id
        with Cluster("cli-audit") as c:
            intake = PrivEmitter(c, "intake")
            a = Audit(c, [intake])
            text = "2栋楼道的灯坏了三天（测试）"
            cid, evs = new_case_id(), []
            for i in range(3):
                evs.append(intake.emit_whole(
                    "PETITION_SUBMITTED", key="B02", case_id=cid if i == 0 else new_case_id(),
                    payload={"case_id": cid, "category": "facility_repair", "building": "B02",
                             "description": text, "text": text, "name_masked": "韦**"}))
            a.wait_size(3)
            a.wait_checkpoint(3)

            def both(cmd, *args):
                t = a.qfctl("audit", cmd, *args)
                j = a.qfctl("audit", cmd, "--json", *args)
                self.assertEqual(t.returncode, j.returncode, j.stdout + j.stderr)
                doc = json.loads(j.stdout)
                self.assertEqual(doc["lines"], t.stdout.splitlines())
                self.assertEqual((doc["ok"], doc["exit"]), (t.returncode == 0, t.returncode))
                return t.stdout, doc

            key = ("--url", a.url, "--vkey", a.vkey_path())
            out, doc = both("verify", *key)
            self.assertTrue(doc["ok"])
            self.assertEqual(doc["checkpoint"]["size"], 3)
            self.assertIn("大小 %d" % doc["checkpoint"]["size"], out)
            self.assertIn(doc["root"], out)
            self.assertIn("%d 个生产者，%d 个分区流，共 %d 个事件" % (
                doc["producers"], doc["streams"], doc["events"]), out)
            self.assertIn("哈希瓦片：%d 个" % doc["tiles_checked"], out)
            self.assertEqual(doc["problems"], 0)
            out, doc = both("case", *key, cid)
            self.assertTrue(doc["ok"])
            self.assertEqual(doc["case_id"], cid)
            self.assertEqual(len(doc["entries"]), 1)
            for e in doc["entries"]:
                self.assertTrue(e["proven"])
                self.assertIn("#%-8d %s" % (e["index"], e["time"]), out)
            self.assertIn("%d 条记录已证明" % doc["proven"], out)
            # a failed check is a report too: ok false, exit 1, the same lines
            out, doc = both("case", *key, "C-not-in-the-log")
            self.assertEqual((doc["ok"], doc["exit"]), (False, 1))
            self.assertIn("没有案件", doc["lines"][-1])
            path = c.path("receipts", "r.json")
            with open(path, "w") as f:
                json.dump(evs[0].receipt(), f, ensure_ascii=False)
            out, doc = both("receipt", *key, path)
            self.assertTrue(doc["ok"], out)
            self.assertEqual(doc["text"], text)
            self.assertIn(text, out)
            self.assertIn("第 %d 条" % doc["record"]["index"], out)
            self.assertEqual(doc["record"]["case_id"], cid)
            self.assertIn("记录时间：%s" % doc["recorded_at"], out)
            # usage errors stay plain text on stderr, status 2
            r = a.qfctl("audit", "case", "--json", *key)
            self.assertEqual((r.returncode, r.stdout), (2, ""))


if __name__ == "__main__":
    unittest.main()
