"""system.py: the whole system as `make run` starts it: the five services
with the repository's default configuration files (config/*.cfg), moved onto
free ports and a fresh data folder, beside a real SMTP server and a real
HTTP receiver at the addresses the notifier's default channels use.

    with Cluster("x") as c:
        s = System(c)
        s.procs["intake"].json("POST", "/v1/petitions", {...})
        s.stop()
"""
import os
import re
import time

from tests.harness.qf import CONFIG, binary, free_port
from tests.harness.svc_notifier import Receiver, SmtpSink

SERVICES = [("audit", "qf-audit", 8084), ("router", "qf-router", 8081),
            ("notifier", "qf-notifier", 8082), ("disclosure", "qf-disclosure", 8083),
            ("intake", "qf-intake", 8080)]
DEFAULT_PORTS = [8080, 8081, 8082, 8083, 8084, 5551, 5552, 5561, 5562, 5571, 5572,
                 5581, 5582, 5591, 5592, 5593, 2525, 9090]
NAME, PHONE = "吴晓明", "13912345678"


def read_secret(name):
    with open(os.path.join(CONFIG, name), encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")][0]


class System:
    """The default configuration on free ports, in a cluster directory laid
    out like the repository (config/ beside var/)."""

    def __init__(self, c):
        self.c = c
        self.port = {p: free_port() for p in DEFAULT_PORTS}
        pat = re.compile(r"(?<![0-9])(%s)(?![0-9])" % "|".join(map(str, DEFAULT_PORTS)))
        for name in os.listdir(CONFIG):
            with open(os.path.join(CONFIG, name), encoding="utf-8") as f:
                text = f.read()
            if name.endswith(".cfg") and name not in ("community.cfg", "staff-tokens.cfg"):
                text = pat.sub(lambda m: str(self.port[int(m.group(1))]), text)
            c.write(os.path.join("config", name), text)
        os.makedirs(c.path("var", "keys", "x")[:-2], exist_ok=True)
        c.run([binary("qfctl"), "keygen", "--seal", "--out", c.path("var", "keys",
                                                                    "notifier-seal")],
              check=True)
        self.rx = Receiver(port=self.port[9090],
                           webhook_secret=read_secret("notifier-dev-webhook-secret.txt"),
                           dingtalk_secret=read_secret("notifier-dev-dingtalk-secret.txt"))
        self.smtp = SmtpSink(port=self.port[2525])
        # every clock at 10:00 in the community's time zone (UTC+8) today,
        # so quiet hours for residents never hold the messages this test
        # waits for, whatever time the test runs
        now = int(time.time() * 1000)
        day = 86400000
        ten = (now + 8 * 3600000) // day * day + 10 * 3600000 - 8 * 3600000
        env = {"QF_CLOCK_OFFSET_MS": str(ten - now)}
        self.procs = {}
        for name, exe, http in SERVICES:
            self.procs[name] = c.start(name, [binary(exe), "--config",
                                              c.path("config", name + ".cfg")],
                                       http_port=self.port[http], env=env)
        for p in self.procs.values():
            p.wait_ready()

    def stop(self):
        self.rx.stop()
        self.smtp.stop()
