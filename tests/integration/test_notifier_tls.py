"""TLS to real servers with a certificate made for the test.

E-mail over STARTTLS (aiosmtpd): a channel that trusts the server's CA
(ca_file) delivers over TLS; a certificate that does not verify, a server
that offers no STARTTLS to a channel that requires it, and a channel without
STARTTLS facing a server that demands it all fail and are retried or dead
lettered. In no case does a message travel in clear.

Webhooks over HTTPS: verified by default, so a private CA needs ca_file;
tls_verify = false is an explicit opt-out; a connection verified for one
channel does not carry another channel's untrusted request."""
import logging
import os
import subprocess
import unittest

from tests.harness.qf import Cluster, Emitter, wait_until
from tests.harness.svc_notifier import Notifier, Receiver, SmtpSink, new_case_id, transition

CHANNELS = """
channels = (
  { name = "mail"; type = "email"; url = "smtp://127.0.0.1:%(tls)d"; from = "notify@lsj.example.cn";
    starttls = true; ca_file = "tls-ca.pem"; max_attempts = 2; backoff_ms = 100;
    backoff_max_ms = 200; timeout_ms = 5000; },
  { name = "untrusted"; type = "email"; url = "smtp://127.0.0.1:%(tls)d"; from = "notify@lsj.example.cn";
    starttls = true; max_attempts = 2; backoff_ms = 100; backoff_max_ms = 200; timeout_ms = 5000; },
  { name = "clear"; type = "email"; url = "smtp://127.0.0.1:%(tls)d"; from = "notify@lsj.example.cn";
    max_attempts = 2; backoff_ms = 100; backoff_max_ms = 200; timeout_ms = 5000; },
  { name = "nooffer"; type = "email"; url = "smtp://127.0.0.1:%(plain)d"; from = "notify@lsj.example.cn";
    starttls = true; max_attempts = 2; backoff_ms = 100; backoff_max_ms = 200; timeout_ms = 5000; },
  { name = "follow-hooks"; type = "webhook"; url = ""; max_attempts = 3; backoff_ms = 100; }
);
"""

BODY = """
staff_contacts = ( { staff = "s04"; email = "s04@lsj.example.cn"; } );
templates = ( { name = "t"; subject = "派单 {tracking_code}"; text = "{recipient}：{category}，{building}"; } );
rules = (
  { name = "r_mail"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ]; channels = [ "mail" ]; template = "t"; },
  { name = "r_untrusted"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ]; channels = [ "untrusted" ]; template = "t"; },
  { name = "r_clear"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ]; channels = [ "clear" ]; template = "t"; },
  { name = "r_nooffer"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ]; channels = [ "nooffer" ]; template = "t"; }
);
"""


def settled(n, cid, count):
    """Wait until the case has `count` deliveries, each delivered or dead;
    returns them by channel."""
    ds = wait_until(lambda: (lambda d: d if len(d) == count and all(
        x["state"] in ("delivered", "dead") for x in d) else None)(n.deliveries(cid)),
        timeout=30, what="%d deliveries settled" % count)
    return {d["channel"]: d for d in ds}


def make_cert(d):
    """A self-signed certificate for 127.0.0.1 (its own CA): tls-ca.pem."""
    cert = os.path.join(d, "tls-ca.pem")
    key = os.path.join(d, "tls-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


class NotifierTlsTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("notifier-tls")
        self.addCleanup(self.c.close)
        cert, key = make_cert(self.c.dir)
        # the refused handshakes are expected: keep aiosmtpd's tracebacks
        # out of the test log
        logging.getLogger("mail.log").setLevel(logging.CRITICAL)
        self.tls = SmtpSink(tls=(cert, key), require_starttls=True)
        self.addCleanup(self.tls.stop)
        self.plain = SmtpSink()
        self.addCleanup(self.plain.stop)
        self.router = Emitter(self.c, "router")
        self.n = Notifier(self.c, [self.router], None, None, body=BODY, follow=False,
                          channels=CHANNELS % {"tls": self.tls.port, "plain": self.plain.port})

    def tearDown(self):
        if self.n.proc.alive():
            self.n.stop_clean()

    def test_starttls(self):
        cid = new_case_id()
        transition(self.router, "CASE_ASSIGNED", cid, assignee="s04")
        by = settled(self.n, cid, 4)
        # trusted through ca_file: delivered, and over TLS
        self.assertEqual(by["mail"]["state"], "delivered", by["mail"])
        got = [m for m in self.tls.mails() if m["delivery"] == by["mail"]["id"]]
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0]["tls"])
        self.assertEqual(got[0]["to"], ["s04@lsj.example.cn"])
        # the others never reach a mailbox
        for ch in ("untrusted", "clear", "nooffer"):
            self.assertEqual(by[ch]["state"], "dead", by[ch])
            self.assertTrue(by[ch]["last_error"], by[ch])
        self.assertEqual(len(self.tls.mails()), 1)
        self.assertEqual(self.plain.mails(), [])
        # a server without STARTTLS is a permanent refusal: no second try
        self.assertEqual(by["nooffer"]["attempts"], 1, by["nooffer"])
        self.assertEqual(by["untrusted"]["attempts"], 2, by["untrusted"])


HOOK_CHANNELS = """
channels = (
  { name = "mail"; type = "email"; url = "smtp://127.0.0.1:9"; from = "notify@lsj.example.cn"; },
  { name = "trusted"; type = "webhook"; url = "%(base)s/hook"; secret_file = "webhook.secret";
    ca_file = "tls-ca.pem"; max_attempts = 2; backoff_ms = 100; backoff_max_ms = 200; },
  { name = "untrusted"; type = "webhook"; url = "%(base)s/hook"; secret_file = "webhook.secret";
    max_attempts = 2; backoff_ms = 100; backoff_max_ms = 200; },
  { name = "noverify"; type = "webhook"; url = "%(base)s/hook"; secret_file = "webhook.secret";
    tls_verify = false; max_attempts = 2; backoff_ms = 100; backoff_max_ms = 200; },
  { name = "follow-hooks"; type = "webhook"; url = ""; max_attempts = 3; backoff_ms = 100; }
);
"""

HOOK_BODY = """
templates = ( { name = "t"; subject = "派单 {tracking_code}"; text = "{recipient}：{category}，{building}"; } );
rules = (
  { name = "r_trusted"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ]; channels = [ "trusted" ]; template = "t"; },
  { name = "r_untrusted"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ]; channels = [ "untrusted" ]; template = "t"; },
  { name = "r_noverify"; event = "CASE_ASSIGNED"; recipients = [ "assignee" ]; channels = [ "noverify" ]; template = "t"; }
);
"""


class NotifierHttpsTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("notifier-https")
        self.addCleanup(self.c.close)
        cert, key = make_cert(self.c.dir)
        self.rx = Receiver(tls=(cert, key))
        self.addCleanup(self.rx.stop)
        self.router = Emitter(self.c, "router")
        self.n = Notifier(self.c, [self.router], self.rx, None, body=HOOK_BODY, follow=False,
                          channels=HOOK_CHANNELS % {"base": self.rx.base})

    def tearDown(self):
        if self.n.proc.alive():
            self.n.stop_clean()

    def test_https_webhooks_verify_the_server(self):
        self.assertTrue(self.rx.base.startswith("https://"))
        cid = new_case_id()
        transition(self.router, "CASE_ASSIGNED", cid, assignee="s04")
        by = settled(self.n, cid, 3)
        self.assertEqual(by["trusted"]["state"], "delivered", by["trusted"])
        self.assertEqual(by["noverify"]["state"], "delivered", by["noverify"])
        self.assertEqual(by["untrusted"]["state"], "dead", by["untrusted"])
        self.assertEqual(by["untrusted"]["attempts"], 2, by["untrusted"])
        got = {r["headers"]["x-qf-delivery"] for r in self.rx.requests("/hook")}
        self.assertEqual(got, {by["trusted"]["id"], by["noverify"]["id"]})
        self.assertEqual(self.rx.problems(), [])


class NotifierTlsConfigTest(unittest.TestCase):
    def test_missing_ca_file_is_a_config_error(self):
        c = Cluster("notifier-tls-cfg")
        self.addCleanup(c.close)
        router = Emitter(c, "router")
        n = Notifier(c, [router], None, None, body=BODY, follow=False, start=False,
                     channels=CHANNELS % {"tls": 25, "plain": 25})
        r = c.run([n_binary(), "--config", n.config, "--check-config"], timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ca_file", r.stderr)
        self.assertIn("tls-ca.pem", r.stderr)
        self.assertRegex(r.stderr, r"notifier\.cfg:\d+")


def n_binary():
    from tests.harness.qf import binary
    return binary("qf-notifier")


if __name__ == "__main__":
    unittest.main()
