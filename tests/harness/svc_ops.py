"""svc_ops.py: whole qingfeng deployments for the operations tests.

Two shapes:

  * Deployment(cluster, nodes, net=Network()): every node on its own "host"
    (a network namespace, tests/harness/netns.py), CURVE on, one key pair
    per node and an allow file per producer listing exactly the nodes that
    consume it. The configurations are docker/config/<service>.cfg (the
    container ones) with the node's name, addresses, key paths and data
    folder filled in, so the multi-host test also exercises the files
    operators deploy.
  * Deployment(cluster, SINGLE): the five services on loopback with free
    ports, CURVE off (curve=True: on), from the same files (signals,
    metrics, backup and configuration tests).

    with Cluster("ops") as c:
        d = Deployment(c, MULTIHOST, net)
        d.start_all()
        cid, code, secret = d.submit("intake-1", building="B03")
        d.board("disclosure-1")               # case ids on that replica's board
"""
import json
import os
import re
import shutil
import subprocess
import time

from tests.harness.qf import CONFIG, ROOT, binary, free_port, wait_until

DOCKER_CONFIG = os.path.join(ROOT, "docker", "config")
HTTP = {"intake": 8080, "router": 8081, "notifier": 8082, "disclosure": 8083, "audit": 8084}
PUB = {"intake": 5551, "router": 5561, "notifier": 5571, "disclosure": 5581, "audit": 5591}
BINARY = {"intake": "qf-intake", "router": "qf-router", "notifier": "qf-notifier",
          "disclosure": "qf-disclosure", "audit": "qf-audit"}
# which services a service consumes (bus.sources of docker/config/*.cfg)
CONSUMES = {"intake": ["router"], "router": ["intake"],
            "notifier": ["intake", "router", "audit"],
            "disclosure": ["intake", "router", "audit"],
            "audit": ["intake", "router", "notifier", "disclosure"]}

# node -> (service, extra settings)
MULTIHOST = [
    ("intake-1", "intake", {"replica_code": "1"}),
    ("intake-2", "intake", {"replica_code": "2"}),
    ("router-0", "router", {"instance": 0, "instances": 2}),
    ("router-1", "router", {"instance": 1, "instances": 2}),
    ("notifier", "notifier", {}),
    ("disclosure-1", "disclosure", {}),
    ("disclosure-2", "disclosure", {}),
    ("audit", "audit", {}),
]
SINGLE = [(s, s, {}) for s in ("intake", "router", "notifier", "disclosure", "audit")]


def fnv1a32(s):
    h = 2166136261
    for c in s.encode("utf-8"):
        h ^= c
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def partition_of(key, partitions=16):
    """common/qf_id.c qf_partition_of, for checking who owns a case."""
    return fnv1a32(key) % partitions


def qfctl(*args, cwd=None):
    return subprocess.run([binary("qfctl")] + list(args), capture_output=True, text=True,
                          check=True, cwd=cwd).stdout


def curve_pair(prefix):
    """A CURVE pair (Z85, so '#' may appear in either half: the readers in
    common/ take it as part of the key)."""
    qfctl("keygen", "--out", prefix)
    with open(prefix + ".pub") as f:
        return f.read().strip()


def hex32():
    return os.urandom(32).hex()


class Node:
    """One service process of a deployment."""

    def __init__(self, d, name, svc, extra, host=None):
        self.d, self.name, self.svc, self.extra, self.host = d, name, svc, extra, host
        self.dir = d.cluster.path(name, "x")[:-2]
        self.keys = os.path.join(self.dir, "keys")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.keys, exist_ok=True)
        self.proc = None
        if host:
            self.addr = host.ip
            self.http = HTTP[svc]
            self.pub_port = PUB[svc]
            self.replay_port = PUB[svc] + 1
        else:
            self.addr = "127.0.0.1"
            self.http = free_port()
            self.pub_port = free_port()
            self.replay_port = free_port()
        self.cfg = os.path.join(self.dir, "%s.cfg" % svc)

    @property
    def pub(self):
        return "tcp://%s:%d" % (self.addr, self.pub_port)

    @property
    def replay(self):
        return "tcp://%s:%d" % (self.addr, self.replay_port)

    # ------------------------------------------------------------ process
    def argv(self):
        a = [binary(BINARY[self.svc]), "--config", self.cfg]
        return self.host.argv(a) if self.host else a

    def start(self, env=None):
        self.proc = self.d.cluster.start(self.name, self.argv(), env=env, http_port=self.http)
        return self

    def stop(self, timeout=10):
        return self.proc.stop(timeout)

    def request(self, method, path, body=None, headers=None, timeout=10):
        if self.host:
            return self.host.request(method, self.http, path, body, headers, timeout)
        return self.proc.request(method, path, body, headers, timeout)

    def json(self, method, path, body=None, headers=None, timeout=10):
        st, _, data = self.request(method, path, body, headers, timeout)
        try:
            return st, json.loads(data.decode("utf-8")) if data else None
        except ValueError:
            return st, None

    def get(self, path, **kw):
        return self.json("GET", path, **kw)

    def ready(self):
        try:
            return self.request("GET", "/readyz", timeout=2)[0] == 200
        except OSError:
            return False

    def wait_ready(self, timeout=40):
        def ok():
            if not self.proc.alive():
                raise AssertionError("%s exited with %s:\n%s" % (
                    self.name, self.proc.popen.returncode, self.proc.output()[-3000:]))
            return self.ready()
        wait_until(ok, timeout=timeout, interval=0.2, what="%s ready" % self.name)

    def metrics(self):
        st, _, body = self.request("GET", "/metrics")
        assert st == 200, st
        return body.decode("utf-8")


class Deployment:
    """Nodes with keys and configurations written; start_all() runs them."""

    def __init__(self, cluster, nodes, net=None, curve=None, rogue=None):
        self.cluster, self.net = cluster, net
        self.curve = bool(net) if curve is None else curve
        self.nodes = {}
        for name, svc, extra in nodes:
            host = net.host(name) if net else None
            self.nodes[name] = Node(self, name, svc, extra, host)
        self.rogue = None
        if rogue:  # a consumer whose key no allow file lists
            name, svc = rogue
            host = net.host(name) if net else None
            self.rogue = Node(self, name, svc, {}, host)
        self._shared()
        for n in self.all_nodes():
            self._write(n)

    def all_nodes(self):
        return list(self.nodes.values()) + ([self.rogue] if self.rogue else [])

    def of(self, svc):
        return [n for n in self.nodes.values() if n.svc == svc]

    def __getitem__(self, name):
        return self.nodes[name]

    # ------------------------------------------------------------ secrets
    def _shared(self):
        s = self.cluster.path("shared", "x")[:-2]
        self.shared = s
        qfctl("keygen", "--seal", "--out", os.path.join(s, "notifier-seal"))
        for f in ("pseudonym.key", "contact.key", "webhook-secret.txt", "dingtalk-secret.txt"):
            with open(os.path.join(s, f), "w") as fh:
                fh.write(hex32() + "\n")
        qfctl("audit", "keygen", "--name", "qingfeng.test/audit", "--out",
              os.path.join(s, "checkpoint"))
        shutil.copy(os.path.join(CONFIG, "staff-tokens.cfg"), os.path.join(s, "staff-tokens.cfg"))
        if self.curve:
            for n in self.all_nodes():
                n.public = curve_pair(os.path.join(n.keys, "curve"))

    def _keys(self, n):
        """The key directory of a node, as docker/make-keys.sh lays it out."""
        s = self.shared
        for f in ("staff-tokens.cfg",):
            shutil.copy(os.path.join(s, f), n.keys)
        if n.svc == "intake":
            for f in ("pseudonym.key", "contact.key", "notifier-seal.pub"):
                shutil.copy(os.path.join(s, f), n.keys)
        if n.svc == "notifier":
            for f in ("notifier-seal.key", "webhook-secret.txt", "dingtalk-secret.txt"):
                shutil.copy(os.path.join(s, f), n.keys)
        if n.svc == "audit":
            shutil.copy(os.path.join(s, "checkpoint.key"), n.keys)
        if not self.curve:
            return
        # producers' public keys, and this node's allow file: the nodes that
        # consume its service (the rogue is in none)
        for p in self.nodes.values():
            if p.svc in CONSUMES[n.svc]:
                with open(os.path.join(n.keys, p.name + ".pub"), "w") as f:
                    f.write(p.public + "\n")
        with open(os.path.join(n.keys, "allow"), "w") as f:
            f.write("# consumers of %s\n" % n.name)
            for c in self.nodes.values():
                if n.svc in CONSUMES[c.svc]:
                    f.write("%s  # %s\n" % (c.public, c.name))

    # ------------------------------------------------------------ configuration
    def sources(self, n):
        rows = []
        for p in self.nodes.values():
            if p.svc not in CONSUMES[n.svc]:
                continue
            key = ('; server_key_file = "%s"' % os.path.join(n.keys, p.name + ".pub")
                   if self.curve else "")
            rows.append('    { name = "%s"; pub = "%s"; replay = "%s"%s; }' %
                        (p.name, p.pub, p.replay, key))
        return "sources = (\n%s\n  );" % ",\n".join(rows)

    def _write(self, n):
        self._keys(n)
        shutil.copy(os.path.join(CONFIG, "community.cfg"), n.dir)
        with open(os.path.join(DOCKER_CONFIG, "%s.cfg" % n.svc), encoding="utf-8") as f:
            text = f.read()

        def sub(pattern, repl, count=1):
            nonlocal text
            new, k = re.subn(pattern, lambda m: repl, text, count=count, flags=re.S)
            assert k, "docker/config/%s.cfg: no match for %r" % (n.svc, pattern)
            text = new

        sub(r'node = "[^"]*";', 'node = "%s";' % n.name)
        sub(r'data_dir = "[^"]*";', 'data_dir = "%s";' % n.data)
        sub(r'sources = \(.*?\n  \);', self.sources(n))
        if n.host:
            http_bind, bus_bind = "0.0.0.0", "0.0.0.0"
        else:
            http_bind, bus_bind = "127.0.0.1", "127.0.0.1"
        sub(r'(http = \{\s*bind = )"[^"]*";\s*port = \d+;',
            '%s"%s";\n  port = %d;' % ("http = {\n  bind = ", http_bind, n.http))
        sub(r'pub = "tcp://0\.0\.0\.0:\d+";', 'pub = "tcp://%s:%d";' % (bus_bind, n.pub_port))
        sub(r'replay = "tcp://0\.0\.0\.0:\d+";',
            'replay = "tcp://%s:%d";' % (bus_bind, n.replay_port))
        text = text.replace("/run/secrets/qingfeng/", n.keys + "/")
        if n.svc == "router":
            sub(r'instance = 0;\s*instances = 1;', "instance = %d; instances = %d;" %
                (n.extra.get("instance", 0), n.extra.get("instances", 1)))
        if n.svc == "intake":
            sub(r'replica_code = "";', 'replica_code = "%s";' % n.extra.get("replica_code", ""))
            # the tests submit many petitions from one address and phone
            sub(r'per_ip = 30;', "per_ip = 0;")
            sub(r'per_phone = 5;', "per_phone = 0;\n  follow_per_ip = 0;")
        if n.svc == "disclosure":
            audit = self.of("audit")[0]
            sub(r'audit_url = "[^"]*";', 'audit_url = "http://%s:%d";' % (audit.addr, audit.http))
        if n.svc == "audit":
            sub(r'every_seconds = \d+;', "every_seconds = 1;")
            # the public event stream on a port of its own, like the bus's
            sub(r'(public = \{\s*pub = )"tcp://0\.0\.0\.0:\d+";',
                'public = {\n  pub = "tcp://%s:%d";' % (bus_bind, free_port()))
        if not self.curve:
            # no CURVE: the key files named in curve.* are not needed
            text = re.sub(r'curve = \{.*?\n\};', 'curve = { enabled = false; };', text, flags=re.S)
            # hosts talk over network namespaces: an explicit, warned opt-out
            text = text.replace("bus = {", "bus = {\n  allow_plaintext = true;", 1)
        with open(n.cfg, "w", encoding="utf-8") as f:
            f.write(text)

    # ------------------------------------------------------------ running
    def start_all(self, env=None, wait=True):
        for n in self.all_nodes():
            n.start(env)
        if wait:
            for n in self.nodes.values():
                n.wait_ready()
        return self

    def stop_all(self):
        """SIGTERM every running node (consumers first); returns the problems
        seen: an exit code other than 0, or a sanitizer report in a log."""
        problems = []
        for n in reversed(self.all_nodes()):
            if not n.proc or not n.proc.alive():
                continue
            rc = n.proc.stop()
            log = n.proc.output()
            if rc != 0:
                problems.append("%s exited with %s" % (n.name, rc))
            for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                if bad in log:
                    problems.append("%s: %s in its log" % (n.name, bad))
        return problems

    def check_configs(self):
        """--check-config of every node: list of (node, rc, output)."""
        out = []
        for n in self.all_nodes():
            r = subprocess.run(n.argv() + ["--check-config"], capture_output=True, text=True)
            out.append((n.name, r.returncode, r.stdout + r.stderr))
        return out

    # ------------------------------------------------------------ the API
    def submit(self, intake, building="B03", category="facility_repair", n=0):
        """One petition through an intake node; (case_id, tracking code, secret)."""
        body = {
            "category": category, "building": building,
            "address": "%s %d单元" % (building, 1 + n % 6),
            "description": "%s第%d号：楼道照明和门禁需要检修，晚上进出不便。" % (building, n),
            "name": "测试居民", "phone": "139%08d" % (n % 10**8), "channel": "app",
        }
        st, ans = self[intake].json("POST", "/v1/petitions", body,
                                    {"Idempotency-Key": "ops-%s-%d-%d" %
                                     (intake, n, int(time.time() * 1000))}, timeout=20)
        assert st == 201, (intake, st, ans)
        return ans["case_id"], ans["tracking_code"], ans["secret"]

    def followed(self, intake, code, secret):
        st, v = self[intake].get("/v1/track/" + code, headers={"X-Tracking-Secret": secret})
        return v if st == 200 else None

    def board_items(self, node):
        """Every case on a disclosure node's public board, all pages."""
        items, page = [], 1
        while True:
            st, j = self[node].get("/v1/public/cases?page_size=100&page=%d" % page)
            assert st == 200, (node, st, j)
            items += j["items"]
            if page >= j.get("pages", 1):
                return items
            page += 1

    def board(self, node):
        """Every case id listed on a disclosure node's public board (a list:
        duplicates would show)."""
        return [i["id"] for i in self.board_items(node)]

    def settle(self, cids, board="disclosure", audit="audit", timeout=60):
        """Wait until every case is assigned on a board and logged by audit,
        then check each was submitted and assigned exactly once in the log."""
        cids = set(cids)

        def assigned():
            on = {i["id"]: i["state"] for i in self.board_items(board)}
            return all(on.get(c) == "assigned" for c in cids)
        wait_until(assigned, timeout=timeout, interval=0.3,
                   what="%d cases assigned on %s" % (len(cids), board))

        def logged():
            subs, asg = {}, {}
            for leaf in self.leaves(audit):
                t, c = leaf["type"], leaf["case_id"]
                if t == "PETITION_SUBMITTED":
                    subs[c] = subs.get(c, 0) + 1
                elif t == "CASE_ASSIGNED":
                    asg[c] = asg.get(c, 0) + 1
            return all(subs.get(c) and asg.get(c) for c in cids) and (subs, asg)
        subs, asg = wait_until(logged, timeout=timeout, interval=0.3,
                               what="%d cases in the audit log" % len(cids))
        twice = ["%s %d/%d" % (c, subs[c], asg[c]) for c in cids if (subs[c], asg[c]) != (1, 1)]
        assert not twice, "logged more than once: %s" % twice

    def leaves(self, node="audit"):
        """Every leaf of the audit log (producer, type, case_id, partition, seq)."""
        out, start = [], 0
        while True:
            st, j = self[node].get("/v1/leaves?from=%d&limit=1000" % start)
            assert st == 200, (st, j)
            out += j["leaves"]
            if j.get("next") is None:
                return out
            start = j["next"]

