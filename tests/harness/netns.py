"""netns.py: several "machines" on one, for multi-host tests: each host is a
Linux network namespace with one veth link to a bridge inside a dedicated
"switch" namespace. Addresses are in a private /24 that exists only inside
these namespaces, so the test's traffic never touches the machine's own
network, and nothing outside the test can reach the hosts.

    net = Network()                      # raises Unavailable when not root etc.
    a = net.host("intake-1")             # namespace, veth, address 10.x.y.11
    p = cluster.start("intake-1", a.argv([binary, "--config", cfg]))
    st, body = a.request("GET", 8080, "/readyz")   # HTTP from inside the host
    net.cut(a); ...; net.heal(a)         # the link down / up at the switch
    method = net.loss(a, 0.05)           # "netem" or "iptables statistic"
    net.close()                          # every namespace and link removed

The test process itself stays in the root namespace; requests to a host run
on a short-lived thread that has entered the host's network namespace with
setns(2) (a network namespace is per thread), so the sockets are the host's.
"""
import ctypes
import http.client
import json
import os
import random
import shutil
import subprocess
import threading

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL("libc.so.6", use_errno=True)


class Unavailable(Exception):
    """This machine cannot run the multi-host test (with the reason)."""


def _run(*argv, check=True):
    r = subprocess.run(list(argv), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv), (r.stderr or r.stdout).strip()))
    return r


def available():
    """None when namespaces can be made here, else the reason they cannot."""
    if os.geteuid() != 0:
        return "needs root (ip netns, veth, iptables)"
    if not shutil.which("ip"):
        return "iproute2's ip command is not installed"
    name = "qfprobe%d" % os.getpid()
    r = _run("ip", "netns", "add", name, check=False)
    if r.returncode != 0:
        return "ip netns is unavailable: %s" % r.stderr.strip()
    _run("ip", "netns", "del", name, check=False)
    return None


class Host:
    def __init__(self, net, name, ns, ip, sw_if):
        self.net, self.name, self.ns, self.ip, self.sw_if = net, name, ns, ip, sw_if
        self.loss_method = None

    def argv(self, argv):
        """A command line that runs argv inside this host."""
        return ["ip", "netns", "exec", self.ns] + list(argv)

    def run(self, argv, timeout=60, check=False):
        return subprocess.run(self.argv(argv), capture_output=True, text=True,
                              timeout=timeout, check=check)

    def url(self, port, path=""):
        return "http://%s:%d%s" % (self.ip, port, path)

    def in_ns(self, fn):
        """Call fn() on a thread inside this host's network namespace."""
        box = {}

        def body():
            try:
                fd = os.open("/run/netns/%s" % self.ns, os.O_RDONLY)
                try:
                    if _libc.setns(fd, CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns %s" % self.ns)
                finally:
                    os.close(fd)
                box["value"] = fn()
            except BaseException as e:  # handed to the caller
                box["error"] = e

        t = threading.Thread(target=body, daemon=True)
        t.start()
        t.join()
        if "error" in box:
            raise box["error"]
        return box["value"]

    def request(self, method, port, path, body=None, headers=None, timeout=10, host=None):
        """HTTP to host:port (default this host's own address) from inside
        this host. Returns (status, headers lower-case, body bytes)."""
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
            h.setdefault("Content-Type", "application/json")

        def go():
            conn = http.client.HTTPConnection(host or self.ip, port, timeout=timeout)
            try:
                conn.request(method, path, body=body, headers=h)
                r = conn.getresponse()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
            finally:
                conn.close()
        return self.in_ns(go)

    def json(self, method, port, path, body=None, headers=None, timeout=10):
        st, _, data = self.request(method, port, path, body, headers, timeout)
        try:
            return st, json.loads(data.decode("utf-8")) if data else None
        except ValueError:
            return st, None


class Network:
    """A switch namespace with a bridge, and hosts linked to it."""

    def __init__(self, tag="qf"):
        why = available()
        if why:
            raise Unavailable(why)
        self.id = "%s%05d" % (tag[:3], os.getpid() % 100000)
        # a private /24 that only these namespaces route
        self.prefix = "10.%d.%d" % (random.randint(200, 250), random.randint(0, 255))
        self.hosts = []
        self.sw = self.id + "-sw"
        self._made = []
        try:
            _run("ip", "netns", "add", self.sw)
            self._made.append(self.sw)
            _run("ip", "-n", self.sw, "link", "set", "lo", "up")
            _run("ip", "-n", self.sw, "link", "add", "br0", "type", "bridge")
            _run("ip", "-n", self.sw, "link", "set", "br0", "up")
        except Exception:
            self.close()
            raise

    def host(self, name):
        n = len(self.hosts) + 1
        ns = "%s-%s" % (self.id, name)
        sw_if = "%sv%d" % (self.id, n)  # at most 15 characters
        ip = "%s.%d" % (self.prefix, 10 + n)
        _run("ip", "netns", "add", ns)
        self._made.append(ns)
        _run("ip", "-n", self.sw, "link", "add", sw_if, "type", "veth", "peer", "name", "eth0",
             "netns", ns)
        _run("ip", "-n", self.sw, "link", "set", sw_if, "master", "br0", "up")
        _run("ip", "-n", ns, "link", "set", "lo", "up")
        _run("ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0")
        _run("ip", "-n", ns, "link", "set", "eth0", "up")
        h = Host(self, name, ns, ip, sw_if)
        self.hosts.append(h)
        return h

    # ---------------------------------------------------------- faults
    def cut(self, h):
        """The host's cable pulled: its switch port goes down."""
        _run("ip", "-n", self.sw, "link", "set", h.sw_if, "down")

    def heal(self, h):
        _run("ip", "-n", self.sw, "link", "set", h.sw_if, "up")

    def loss(self, h, p):
        """Drop a fraction p of the packets the host receives. netem first;
        this kernel may lack sch_netem, then an iptables statistic rule in
        the host's own namespace. Returns the method used."""
        pct = "%g%%" % (p * 100)
        r = _run("ip", "netns", "exec", h.ns, "tc", "qdisc", "add", "dev", "eth0", "root",
                 "netem", "loss", pct, check=False)
        if r.returncode == 0:
            h.loss_method = "netem"
            return "tc netem loss %s" % pct
        if not shutil.which("iptables"):
            raise RuntimeError("iptables is not installed")
        _run("ip", "netns", "exec", h.ns, "iptables", "-A", "INPUT", "-i", "eth0", "-m",
             "statistic", "--mode", "random", "--probability", str(p), "-j", "DROP")
        h.loss_method = "iptables"
        return "iptables statistic %s (no sch_netem: %s)" % (pct, r.stderr.strip())

    def clear_loss(self, h):
        if h.loss_method == "netem":
            _run("ip", "netns", "exec", h.ns, "tc", "qdisc", "del", "dev", "eth0", "root",
                 check=False)
        elif h.loss_method == "iptables":
            _run("ip", "netns", "exec", h.ns, "iptables", "-F", "INPUT", check=False)
        h.loss_method = None

    def dropped(self, h):
        """Packets the iptables rule dropped so far (0 with netem)."""
        if h.loss_method != "iptables":
            return 0
        r = _run("ip", "netns", "exec", h.ns, "iptables", "-L", "INPUT", "-v", "-n", "-x",
                 check=False)
        for line in r.stdout.splitlines():
            if "statistic" in line:
                return int(line.split()[0])
        return 0

    # ---------------------------------------------------------- teardown
    def close(self):
        """Delete every namespace made (their links go with them); returns
        the names that could not be removed."""
        left = []
        for ns in reversed(self._made):
            r = _run("ip", "netns", "del", ns, check=False)
            if r.returncode != 0 and os.path.exists("/run/netns/" + ns):
                left.append(ns)
        self._made = []
        return left

    def leftovers(self):
        """Namespaces of this network still present (for the cleanup check)."""
        r = _run("ip", "netns", "list", check=False)
        return [line.split()[0] for line in r.stdout.splitlines()
                if line.startswith(self.id + "-")]
