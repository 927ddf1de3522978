"""SIGHUP reloads the notifier's rules and templates without a restart.

A real notifier consumes a stand-in router (Emitter) and posts to a real
HTTP receiver. The configuration file is rewritten under it and SIGHUP sent:
a valid file takes effect for the next event (new template text, a new
rule) in the same process; an invalid one is refused with every error logged
as file:line: setting, and the running rules and templates stay. Channel
changes and settings that need a restart (ports) are refused with a warning
while the rest applies."""
import re
import signal
import unittest

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_notifier import Notifier, Receiver, new_case_id, transition

V1 = """
templates = (
  { name = "assigned"; subject = "派单 {tracking_code}"; text = "版本一：{recipient}，{category}"; }
);
rules = (
  { name = "to_assignee"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ];
    channels = [ "hook" ]; template = "assigned"; }
);
"""

# a changed template text and a new rule with its own template
V2 = """
templates = (
  { name = "assigned"; subject = "派单 {tracking_code}"; text = "版本二：{recipient}，{category}"; },
  { name = "supervise"; subject = "督办 {tracking_code}"; text = "督办提醒：{case_id}"; }
);
rules = (
  { name = "to_assignee"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ];
    channels = [ "hook" ]; template = "assigned"; },
  { name = "to_supervisor"; event = "CASE_ASSIGNED"; recipients = [ "supervisor" ];
    channels = [ "hook" ]; template = "supervise"; }
);
"""

# an unknown placeholder, and a rule naming a template that does not exist
BAD = """
templates = (
  { name = "assigned"; subject = "派单 {tracking_code}"; text = "版本三：{recipient}，{nosuch}"; }
);
rules = (
  { name = "to_assignee"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ];
    channels = [ "hook" ]; template = "assigned"; },
  { name = "ghost"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ];
    channels = [ "hook" ]; template = "missing"; }
);
"""


class NotifierReloadTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("notifier-reload")
        self.addCleanup(self.c.close)
        self.rx = Receiver()
        self.addCleanup(self.rx.stop)
        self.router = Emitter(self.c, "router")
        self.n = Notifier(self.c, [self.router], self.rx, None, body=V1, follow=False)
        self.pid = self.n.proc.pid

    # ------------------------------------------------------------ helpers
    def rewrite(self, old, new):
        with open(self.n.config, encoding="utf-8") as f:
            text = f.read()
        self.assertIn(old, text)
        with open(self.n.config, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new))

    def line_of(self, needle):
        with open(self.n.config, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if needle in line:
                    return i
        raise AssertionError("%r not in the configuration" % needle)

    def hup(self, event):
        """SIGHUP; wait until the notifier logged one more `event`."""
        before = self.n.output().count("event=" + event + " ")
        self.n.proc.signal(signal.SIGHUP)
        wait_until(lambda: self.n.output().count("event=" + event + " ") > before,
                   timeout=10, what=event)
        self.assertTrue(self.n.proc.alive())
        self.assertEqual(self.n.proc.pid, self.pid)

    def assigned(self):
        """A CASE_ASSIGNED to s04; returns {rule: webhook body} once the
        receiver has every message the case caused."""
        cid = new_case_id()
        transition(self.router, "CASE_ASSIGNED", cid, assignee="s04")

        def got():
            return {r["json"]["rule"]: r["json"] for r in self.rx.requests("/hook")
                    if r["json"] and r["json"].get("case_id") == cid}
        wait_until(got, timeout=15, what="the webhook of " + cid)
        # a second rule's message, if any, comes with the same event
        wait_until(lambda: all(d["state"] == "delivered" for d in self.n.deliveries(cid)),
                   timeout=15, what="every delivery of %s delivered" % cid)
        return got()

    def reloads(self, result):
        return self.n.metric("qf_notifier_reloads_total", ['result="%s"' % result])

    def generation(self):
        st, body = self.n.api("GET", "/v1/status")
        self.assertEqual(st, 200, body)
        return body["config_generation"]

    def stop(self):
        rc = self.n.stop()
        out = self.n.output()
        self.assertEqual(rc, 0, out[-3000:])
        for bad in ("Sanitizer", "runtime error:"):
            self.assertNotIn(bad, out)

    # ------------------------------------------------------------ tests
    def test_template_and_rule_change_then_invalid_file_keeps_running_config(self):
        # before: the start's template
        msgs = self.assigned()
        self.assertEqual(list(msgs), ["to_assignee"])
        self.assertTrue(msgs["to_assignee"]["text"].startswith("版本一："), msgs)
        self.assertEqual(self.generation(), 1)

        # a valid change: the next event uses it, same process
        self.rewrite(V1, V2)
        self.hup("reload_ok")
        log = self.n.output()
        self.assertRegex(log, r"level=info .*event=reload_ok .*generation=2 rules=2 templates=2")
        self.assertNotIn("reload_channels_kept", log)
        self.assertNotIn("reload_setting_ignored", log)
        msgs = self.assigned()
        self.assertEqual(sorted(msgs), ["to_assignee", "to_supervisor"])
        self.assertTrue(msgs["to_assignee"]["text"].startswith("版本二："), msgs)
        self.assertTrue(msgs["to_supervisor"]["text"].startswith("督办提醒："), msgs)
        self.assertEqual(self.reloads("ok"), 1)
        self.assertEqual(self.reloads("failed"), 0)
        self.assertEqual(self.generation(), 2)

        # an invalid file: every error logged with file and line, nothing changes
        self.rewrite(V2, BAD)
        self.hup("reload_failed")
        log = self.n.output()
        path = re.escape(self.n.config)
        self.assertRegex(
            log, r"level=error .*event=reload_error error=\"%s:%d: setting "
            r"'templates\[0\]\.text': unknown placeholder \{nosuch\}\"" %
            (path, self.line_of("{nosuch}")))
        self.assertRegex(log, r"level=error .*event=reload_failed .*errors=1 generation=2")
        self.assertEqual(self.reloads("failed"), 1)
        self.assertEqual(self.reloads("ok"), 1)
        self.assertEqual(self.generation(), 2)
        msgs = self.assigned()
        self.assertEqual(sorted(msgs), ["to_assignee", "to_supervisor"])
        self.assertTrue(msgs["to_assignee"]["text"].startswith("版本二："), msgs)

        # the placeholder fixed, the cross-check still fails: every error of
        # that pass is logged, again nothing changes
        self.rewrite("{nosuch}", "{category}")
        self.hup("reload_failed")
        log = self.n.output()
        self.assertRegex(
            log, r"event=reload_error error=\"%s:%d: setting 'rules\.\[1\]': template "
            r"'missing' is not defined\"" % (path, self.line_of('name = "ghost"')))
        self.assertEqual(self.reloads("failed"), 2)
        msgs = self.assigned()
        self.assertTrue(msgs["to_assignee"]["text"].startswith("版本二："), msgs)
        self.assertEqual(self.rx.problems(), [])
        self.stop()

    def test_channels_and_ports_need_a_restart(self):
        port = self.n.http_port
        with open(self.n.config, encoding="utf-8") as f:
            text = f.read()
        # the hook channel's settings, the HTTP port and the template change
        self.assertIn("concurrency = 8; max_attempts = 4;", text)
        text = text.replace("concurrency = 8; max_attempts = 4;",
                            "concurrency = 8; max_attempts = 9;", 1)
        text = text.replace("port = %d;" % port, "port = %d;" % (port + 1), 1)
        text = text.replace("版本一：", "版本二：")
        with open(self.n.config, "w", encoding="utf-8") as f:
            f.write(text)
        self.hup("reload_ok")
        log = self.n.output()
        self.assertRegex(log, r"level=warn .*event=reload_channels_kept changed=~hook "
                              r"effect=\"channel changes need a restart")
        self.assertRegex(log, r"level=warn .*event=reload_setting_ignored setting=http\.port "
                              r"running=%d configured=%d" % (port, port + 1))
        # still on the old port, the old channel limits, the new template
        st, body = self.n.api("GET", "/v1/status")
        self.assertEqual(st, 200)
        hook = [ch for ch in body["channels"] if ch["name"] == "hook"][0]
        self.assertEqual(hook["max_attempts"], 4)
        msgs = self.assigned()
        self.assertTrue(msgs["to_assignee"]["text"].startswith("版本二："), msgs)

        # a rule on a channel that is not running: refused as a whole
        with open(self.n.config, encoding="utf-8") as f:
            text = f.read()
        text = text.replace('channels = [ "hook" ]; template = "assigned"; }',
                            'channels = [ "hook2" ]; template = "assigned"; }', 1)
        with open(self.n.config, "w", encoding="utf-8") as f:
            f.write(text)
        self.hup("reload_failed")
        self.assertRegex(self.n.output(), r"event=reload_error error=\"[^\"]*: setting "
                                          r"'rules\.\[0\]': channel 'hook2' is not defined\"")
        msgs = self.assigned()
        self.assertEqual(list(msgs), ["to_assignee"])
        self.stop()


if __name__ == "__main__":
    unittest.main()
