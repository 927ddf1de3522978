"""Configuration errors are found at start (and by --check-config), each
reported as file:line: setting 'path': reason, all of them in one run; a
service with a bad configuration never starts. The repository's default
configuration passes."""
import os
import re
import unittest

from tests.harness.qf import CONFIG, ROOT, Cluster, binary
from tests.harness.svc_notifier import Notifier, Receiver, SmtpSink, channels_text, notifier_config

T_OK = """
templates = (
  { name = "t"; subject = "派单 {tracking_code}"; text = "{recipient}：{category}"; },
  { name = "follow_confirm"; subject = "确认 {follow_target}"; text = "{confirm} {unsubscribe}"; }
);
"""
R_OK = """
rules = (
  { name = "r"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ]; channels = [ "hook" ];
    template = "t"; }
);
"""


class NotifierConfigTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        cls.smtp = SmtpSink()

    @classmethod
    def tearDownClass(cls):
        cls.rx.stop()
        cls.smtp.stop()

    def setUp(self):
        self.c = Cluster("notifier-cfg")
        self.addCleanup(self.c.close)

    def check(self, body, channels=None, **kw):
        """Write a configuration with this body; return (rc, stderr)."""
        n = Notifier(self.c, [], self.rx, self.smtp, body=body, start=False,
                     channels=channels, **kw)
        r = self.c.run([binary("qf-notifier"), "--config", n.config, "--check-config"])
        self.config = n.config
        return r.returncode, r.stderr

    def assertError(self, body, setting, reason, channels=None, **kw):
        rc, err = self.check(body, channels=channels, **kw)
        self.assertEqual(rc, 1, err)
        pat = r"%s:(\d+): setting '%s': .*%s" % (re.escape(self.config), setting, reason)
        m = re.search(pat, err)
        self.assertIsNotNone(m, "no %r in:\n%s" % (pat, err))
        return int(m.group(1)), err

    def line_of(self, text):
        with open(self.config, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if text in line:
                    return i
        raise AssertionError("%r not in the configuration" % text)

    def test_valid_configuration_passes(self):
        rc, err = self.check(T_OK + R_OK)
        self.assertEqual(rc, 0, err)

    def test_repository_default_configuration_passes(self):
        r = Cluster.run(self.c, [binary("qf-notifier"), "--config",
                                 os.path.join(CONFIG, "notifier.cfg"), "--check-config"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration ok", r.stdout)

    def test_unknown_placeholder(self):
        body = T_OK.replace("{recipient}：{category}", "{recipient}：{categroy}") + R_OK
        line, _ = self.assertError(body, r"templates\[0\]\.text", r"unknown placeholder \{categroy\}")
        self.assertEqual(line, self.line_of("{categroy}"))

    def test_unclosed_brace(self):
        body = T_OK.replace("派单 {tracking_code}", "派单 {tracking_code") + R_OK
        self.assertError(body, r"templates\[0\]\.subject", "unclosed")

    def test_placeholder_the_event_cannot_provide(self):
        body = T_OK.replace("{recipient}：{category}", "评价 {rating} 分") + R_OK
        line, _ = self.assertError(body, r"rules\.\[0\]", r"uses \{rating\}, which CASE_ASSIGNED "
                                   "does not provide")
        self.assertEqual(line, self.line_of('name = "r"'))

    def test_unknown_template_and_channel(self):
        body = T_OK + R_OK.replace('template = "t"', 'template = "nope"').replace(
            '[ "hook" ]', '[ "pigeon" ]')
        _, err = self.assertError(body, r"rules\.\[0\]", "template 'nope' is not defined")
        self.assertIn("channel 'pigeon' is not defined", err)

    def test_petitioner_never_on_a_staff_robot_group(self):
        body = T_OK + R_OK.replace('[ "assignee" ]', '[ "petitioner" ]').replace(
            '[ "hook" ]', '[ "wecom" ]')
        self.assertError(body, r"rules\.\[0\]", "must not carry messages to petitioners")

    def test_recipient_the_event_cannot_name(self):
        body = T_OK + R_OK.replace('[ "assignee" ]', '[ "escalated_to" ]')
        self.assertError(body, r"rules\.\[0\]", "recipient 'escalated_to' cannot be found for "
                         "CASE_ASSIGNED")

    def test_unknown_recipient_kind(self):
        body = T_OK + R_OK.replace('[ "assignee" ]', '[ "mayor" ]')
        self.assertError(body, r"rules\[0\]\.recipients", "'mayor' is not a recipient")

    def test_unknown_staff_and_group(self):
        body = T_OK + R_OK.replace('[ "assignee" ]', '[ "staff:s99", "group:nobody" ]')
        _, err = self.assertError(body, r"rules\.\[0\]", "staff 's99' is not in the community file")
        self.assertIn("group 'nobody' is not defined", err)

    def test_unknown_event(self):
        body = T_OK + R_OK.replace("CASE_ASSIGNED", "CASE_EXPLODED")
        self.assertError(body, r"rules\[0\]\.event", "not an event the notifier can notify about")

    def test_unknown_category_filter(self):
        body = T_OK + R_OK.replace('template = "t";', 'template = "t"; categories = [ "ufo" ];')
        self.assertError(body, r"rules\.\[0\]", "category 'ufo' is not in the community file")

    def test_filter_on_the_wrong_event(self):
        body = T_OK + R_OK.replace('template = "t";', 'template = "t"; breached = true;')
        self.assertError(body, r"rules\.\[0\]", "filter DEADLINE_WARNING only")

    def test_webhook_without_secret(self):
        ch = channels_text(self.rx, self.smtp).replace('secret_file = "webhook.secret";', "")
        self.assertError(T_OK + R_OK, r"channels\[1\]", "needs secret_file", channels=ch)

    def test_unreadable_secret_file(self):
        ch = channels_text(self.rx, self.smtp).replace('"webhook.secret"', '"missing.secret"')
        self.assertError(T_OK + R_OK, r"channels\[1\]\.secret_file", "cannot read 'missing.secret'",
                         channels=ch)

    def test_misspelt_channel_setting(self):
        ch = channels_text(self.rx, self.smtp).replace("concurrency = 8;", "concurency = 8;")
        self.assertError(T_OK + R_OK, r"channels\[1\]\.concurency", "unknown setting", channels=ch)

    def test_limits_out_of_range(self):
        ch = channels_text(self.rx, self.smtp).replace("concurrency = 8;", "concurrency = 0;")
        self.assertError(T_OK + R_OK, r"channels\[1\]\.concurrency", "outside 1..1024", channels=ch)

    def test_duplicate_channel(self):
        ch = channels_text(self.rx, self.smtp).replace('name = "wecom"', 'name = "hook"')
        self.assertError(T_OK + R_OK, r"channels\[2\]", "duplicate channel name 'hook'", channels=ch)

    def test_bad_sms_template_placeholder(self):
        ch = channels_text(self.rx, self.smtp).replace('{text}', '{message}')
        self.assertError(T_OK + R_OK, r"channels\[4\]\.body", r"unknown placeholder \{message\}",
                         channels=ch)

    def test_email_channel_needs_a_from_address(self):
        ch = channels_text(self.rx, self.smtp).replace('from = "notify@lsj.example.cn";',
                                                       'from = "not an address";')
        self.assertError(T_OK + R_OK, r"channels\[0\]\.from", "is not an e-mail address", channels=ch)

    def test_bad_quiet_hours(self):
        self.assertError(T_OK + R_OK, r"quiet_hours\.start", "is not HH:MM",
                         quiet=("25:00", "07:00"))

    def test_follow_template_needs_follow_placeholders_only(self):
        body = T_OK.replace("{confirm} {unsubscribe}", "{confirm} {tracking_code}") + R_OK
        self.assertError(body, r"follow\.template", r"uses \{tracking_code\}, which a confirmation")

    def test_missing_key_is_an_error_when_required(self):
        n = Notifier(self.c, [], self.rx, self.smtp, body=T_OK + R_OK, start=False)
        os.unlink(os.path.join(self.c.dir, "seal.key"))
        r = self.c.run([binary("qf-notifier"), "--config", n.config, "--check-config"])
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"setting 'contact\.secret_key_file': cannot read 'seal\.key'")
        # not required: a warning, and the service starts and waits for it
        with open(n.config, encoding="utf-8") as f:
            text = f.read().replace("required = true;", "required = false;")
        with open(n.config, "w", encoding="utf-8") as f:
            f.write(text)
        r = self.c.run([binary("qf-notifier"), "--config", n.config, "--check-config"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: setting 'contact.secret_key_file'", r.stderr)

    def test_malformed_key_file(self):
        n = Notifier(self.c, [], self.rx, self.smtp, body=T_OK + R_OK, start=False)
        self.c.write("seal.key", "not-hex\n")
        r = self.c.run([binary("qf-notifier"), "--config", n.config, "--check-config"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not hold a 64-hex-digit box secret key", r.stderr)

    def test_every_error_in_one_run_and_no_start(self):
        body = T_OK.replace("{category}", "{nope}") + R_OK.replace('[ "hook" ]', '[ "x" ]')
        ch = channels_text(self.rx, self.smtp).replace("concurrency = 8;", "concurrency = -1;")
        n = Notifier(self.c, [], self.rx, self.smtp, body=body, start=False, channels=ch)
        r = self.c.run([binary("qf-notifier"), "--config", n.config, "--check-config"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown placeholder {nope}", r.stderr)
        self.assertIn("outside 1..1024", r.stderr)
        # starting for real fails the same way, without opening a store
        r = self.c.run([binary("qf-notifier"), "--config", n.config], timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown placeholder {nope}", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.c.dir, "data", "notifier")))

    def test_syntax_error_names_the_line(self):
        n = Notifier(self.c, [], self.rx, self.smtp, body=T_OK + R_OK, start=False)
        with open(n.config, "a", encoding="utf-8") as f:
            f.write("\nbroken = { ;\n")
        r = self.c.run([binary("qf-notifier"), "--config", n.config, "--check-config"])
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, re.escape(n.config) + r":\d+: syntax error")


if __name__ == "__main__":
    unittest.main()
