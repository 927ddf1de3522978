"""intake's life: --check-config (every error with file, line, setting),
SIGHUP reload of the community and tokens, SIGTERM answering what still
waits, replica codes, seal keys that are missing."""
import os
import re
import signal
import threading
import unittest

from tests.harness.qf import CONFIG, ROOT, Cluster, Emitter, binary, wait_until
from tests.harness.svc_intake import SAMPLE, IntakeService, bearer


class CheckConfigTest(unittest.TestCase):
    def test_default_config_passes(self):
        with Cluster("intake-cfg") as c:
            r = c.run([binary("qf-intake"), "--config", os.path.join(CONFIG, "intake.cfg"),
                       "--check-config"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("configuration ok", r.stdout)

    def test_errors_name_file_line_and_setting(self):
        with Cluster("intake-cfg") as c:
            it = IntakeService(c, start=False, settings={"ratelimit.per_ip": -5}, sections={
                "spam": 'keywords = [ "" ]; mystery = 1;',
                "open311": 'enabled = true; api_keys = ( { client = "x"; key = "short"; } );'})
            r = it.check_config()
            self.assertEqual(r.returncode, 1)
            err = r.stderr
            # every error is reported, each with file, line and setting
            self.assertRegex(err, r"intake\.cfg:\d+: setting 'ratelimit\.per_ip'")
            self.assertRegex(err, r"intake\.cfg:\d+: setting 'spam\.mystery'")
            self.assertRegex(err, r"intake\.cfg:\d+: setting 'spam\.keywords")
            self.assertRegex(err, r"intake\.cfg:\d+: setting 'open311\.api_keys")
            # duplicate groups are a libconfig syntax error: check one by one
            it2 = IntakeService(c, name="intake-b", start=False,
                                settings={"intake.replica_code": "U"})
            r = it2.check_config()
            self.assertEqual(r.returncode, 1)
            self.assertIn("intake.replica_code", r.stderr)
            it3 = IntakeService(c, name="intake-c", start=False,
                                settings={"intake.tokens": "nope.cfg"})
            r = it3.check_config()
            self.assertEqual(r.returncode, 1)
            self.assertIn("nope.cfg", r.stderr)
            it4 = IntakeService(c, name="intake-d", start=False)
            os.remove(it4.seal_prefix + ".pub")
            it4.write_config()  # no seal_to any more: fine
            with open(it4.config, "a", encoding="utf-8") as f:
                f.write("")
            self.assertEqual(it4.check_config().returncode, 0)

    def test_missing_required_seal_key_refuses_to_start(self):
        with Cluster("intake-cfg") as c:
            it = IntakeService(c, start=False)
            os.remove(it.seal_prefix + ".pub")
            r = it.check_config()
            self.assertEqual(r.returncode, 1)
            self.assertIn("seal_to", r.stderr)
            p = c.start("intake", [binary("qf-intake"), "--config", it.config])
            self.assertEqual(p.wait(20), 1)


class LifecycleTest(unittest.TestCase):
    def test_sighup_reloads_the_community(self):
        with Cluster("intake-hup") as c:
            it = IntakeService(c)
            st, ans = it.petition(dict(SAMPLE, category="noise_complaint"))
            self.assertEqual((st, ans["code"]), (422, "unknown_category"))
            path = os.path.join(it.cfg_dir, "community.cfg")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            text = text.replace('categories = (', 'categories = (\n  { code = "noise_complaint"; '
                                'name = "噪音投诉"; respond_within_h = 24; resolve_within_h = 72; '
                                'priority = "normal"; clock = "wall"; },', 1)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            it.proc.signal(signal.SIGHUP)
            wait_until(lambda: it.petition(dict(SAMPLE, category="noise_complaint"))[0] == 201,
                       timeout=10, what="reloaded community")
            # a broken file on reload keeps the working one
            with open(path, "w", encoding="utf-8") as f:
                f.write("categories = ( broken")
            it.proc.signal(signal.SIGHUP)
            wait_until(lambda: "reload_failed" in it.proc.output(), timeout=10)
            self.assertEqual(it.petition(dict(SAMPLE, category="noise_complaint"))[0], 201)

    def test_sigterm_answers_waiting_requests(self):
        with Cluster("intake-term") as c:
            router = Emitter(c, "router")
            it = IntakeService(c, router=router, settings={"intake.action_wait_ms": 30000})
            st, ans = it.petition(dict(SAMPLE))
            out = {}

            def act():
                out["r"] = it.action(ans["case_id"], "secretary", {"action": "accept"})
            t = threading.Thread(target=act)
            t.start()
            wait_until(lambda: "action_requested" in it.proc.output(), timeout=10)
            rc = it.proc.stop()
            t.join(20)
            self.assertEqual(rc, 0)
            self.assertEqual(out["r"][0], 202)
            self.assertTrue(out["r"][1]["command_id"].startswith("K"))

    def test_replica_code_and_prefix(self):
        with Cluster("intake-rep") as c:
            it = IntakeService(c, settings={"intake.replica_code": "7",
                                            "intake.tracking_prefix": "QF"})
            codes = {it.petition(dict(SAMPLE))[1]["tracking_code"] for _ in range(5)}
            for code in codes:
                self.assertRegex(code, r"^QF-7[0-9A-HJKMNP-TV-Z]{5}$")
            self.assertEqual(len(codes), 5)

    def test_missing_optional_seal_key(self):
        with Cluster("intake-seal") as c:
            it = IntakeService(c, start=False)
            os.remove(it.seal_prefix + ".pub")
            it.write_config()
            with open(it.config, encoding="utf-8") as f:
                text = f.read()
            text = text.replace('intake = {', 'intake = { seal_to = ( { recipient = "notifier"; '
                                'public_key_file = "notifier-seal.pub"; required = false; } ); ',
                                1)
            with open(it.config, "w", encoding="utf-8") as f:
                f.write(text)
            r = it.check_config()
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("warning", r.stderr)
            it.start()
            st, h = it.json("GET", "/healthz")
            self.assertEqual(h["seal_keys"], {"notifier": "missing"})
            st, ans = it.petition(dict(SAMPLE))
            self.assertEqual(st, 201)
            ev = [e for e in it.watch(types=["PETITION_SUBMITTED"])
                  if e["case_id"] == ans["case_id"]][0]
            self.assertNotIn("contact", ev["payload"])
            # the contact is still kept (encrypted) for staff
            st, cdet = it.json("GET", "/v1/cases/%s/contact?reason=x" % ans["case_id"],
                               headers=bearer("secretary"))
            self.assertEqual((st, cdet["phone"]), (200, "13912345678"))


if __name__ == "__main__":
    unittest.main()
