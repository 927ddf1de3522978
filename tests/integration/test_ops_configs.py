"""The deployment files stay true to the code: the container configurations
(docker/config/*.cfg) pass --check-config with CURVE on and keys laid out
as docker/make-keys.sh makes them, the Kubernetes manifests are what
docker/k8s/generate.py makes of them, and the containerised notifier sends
the same messages as the default one (templates and rules of
config/notifier.cfg).
"""
import os
import re
import subprocess
import sys
import unittest

from tests.harness.qf import ROOT, Cluster, binary
from tests.harness.svc_ops import SINGLE, Deployment


def group(text, name):
    m = re.search(r"^%s = \(.*?^\);" % name, text, re.S | re.M)
    return m.group(0) if m else None


class Configs(unittest.TestCase):
    def test_container_configs_check_out_with_curve(self):
        with Cluster("ops-configs") as c:
            d = Deployment(c, SINGLE, curve=True)
            for name, rc, out in d.check_configs():
                self.assertEqual(rc, 0, "%s: %s" % (name, out))
                self.assertIn("configuration ok", out)

    def test_make_keys_lays_out_what_the_configs_name(self):
        with Cluster("ops-keys") as c:
            keys = c.path("keys", "x")[:-2]
            r = subprocess.run([os.path.join(ROOT, "docker", "make-keys.sh"), "--dev-tokens", keys],
                               capture_output=True, text=True,
                               env=dict(os.environ, QFCTL=binary("qfctl")))
            self.assertEqual(r.returncode, 0, r.stderr)
            for svc in ("intake", "router", "notifier", "disclosure", "audit"):
                with open(os.path.join(ROOT, "docker", "config", svc + ".cfg"), encoding="utf-8") as f:
                    named = set(re.findall(r'"/run/secrets/qingfeng/([^"]+)"', f.read()))
                have = set(os.listdir(os.path.join(keys, svc)))
                self.assertEqual(named - have, set(), "%s names keys make-keys does not make" % svc)
                # every key in the allow file loads ('#' is a Z85 character)
                with open(os.path.join(keys, svc, "allow")) as f:
                    keyset = [w[0] for w in (l.split() for l in f) if w and len(w[0]) == 40]
                self.assertGreater(len(keyset), 0, "%s allow file has no keys" % svc)
            # a second run refuses to overwrite them
            r = subprocess.run([os.path.join(ROOT, "docker", "make-keys.sh"), keys],
                               capture_output=True, text=True,
                               env=dict(os.environ, QFCTL=binary("qfctl")))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("already holds keys", r.stderr)

    def test_k8s_manifests_are_generated(self):
        r = subprocess.run([sys.executable, os.path.join(ROOT, "docker", "k8s", "generate.py"),
                            "--check"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_container_notifier_sends_the_default_messages(self):
        with open(os.path.join(ROOT, "config", "notifier.cfg"), encoding="utf-8") as f:
            default = f.read()
        with open(os.path.join(ROOT, "docker", "config", "notifier.cfg"), encoding="utf-8") as f:
            container = f.read()
        for name in ("templates", "rules"):
            self.assertIsNotNone(group(default, name), name)
            self.assertEqual(group(container, name), group(default, name),
                             "docker/config/notifier.cfg %s differ from config/notifier.cfg" % name)


if __name__ == "__main__":
    unittest.main()
