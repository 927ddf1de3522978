"""qf.py: the integration-test harness: real processes, free loopback ports,
fresh data folders, always stopped.

A Cluster owns a temporary directory and every process started through it.
Use it as a context manager (or call close()) so that processes are stopped
even when a test fails; an atexit hook is the last resort. Binaries come from
$QF_BUILD/bin (default build/bin), so `make test SANITIZE=1` tests the
sanitizer build.

    with Cluster("intake") as c:
        p = c.start_service("intake", config_text)
        status, headers, body = p.request("GET", "/healthz")
"""
import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("QF_BUILD") or "build")
BIN = os.path.join(BUILD, "bin")
DATA = os.path.join(ROOT, "tests", "data")
CONFIG = os.path.join(ROOT, "config")
SANITIZED = bool(os.environ.get("QF_SANITIZE"))
# sanitizer builds are slower: stretch timeouts
SLOW = 3.0 if SANITIZED else 1.0

_live = []


def _reap_all():
    for p in list(_live):
        p.kill()


atexit.register(_reap_all)

_used_ports = set()


def free_port():
    """A TCP port free on 127.0.0.1 now, never handed out twice here."""
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _used_ports:
            _used_ports.add(port)
            return port
    raise RuntimeError("no free port")


def binary(name):
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        raise FileNotFoundError("%s not built (make all)" % path)
    return path


def sanitizer_env(env):
    env.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    lsan = os.path.join(ROOT, "tests", "lsan.supp")
    if os.path.exists(lsan):
        env.setdefault("LSAN_OPTIONS", "suppressions=%s" % lsan)
    return env


class Proc:
    """One started process; its output goes to a log file in the cluster dir."""

    def __init__(self, cluster, name, argv, env=None, http_port=None, cwd=None):
        self.cluster = cluster
        self.name = name
        self.argv = argv
        self.http_port = http_port
        self.log_path = os.path.join(cluster.dir, "%s.log" % name)
        e = dict(os.environ)
        if env:
            e.update(env)
        sanitizer_env(e)
        self.log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                      env=e, cwd=cwd or cluster.dir,
                                      start_new_session=True)
        self.pid = self.popen.pid
        self.killed = False  # SIGKILL sent by the test: exit code expected
        self.awaited = False  # the test waited for the exit and checked it
        _live.append(self)

    # ---------------------------------------------------------- lifecycle
    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            if sig == signal.SIGKILL:
                self.killed = True
            os.kill(self.pid, sig)

    def stop(self, timeout=10):
        """SIGTERM, wait; returns the exit code (SIGKILL after timeout)."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout * SLOW)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._forget()
        return self.popen.returncode

    def kill(self):
        """SIGKILL: a crash, nothing flushed."""
        self.killed = True
        if self.alive():
            self.popen.kill()
            self.popen.wait()
        self._forget()

    def wait(self, timeout=30):
        self.awaited = True  # the test looks at the exit code itself
        try:
            rc = self.popen.wait(timeout * SLOW)
        finally:
            if not self.alive():
                self._forget()
        return rc

    def _forget(self):
        if self in _live:
            _live.remove(self)
        try:
            self.log.close()
        except Exception:
            pass

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    # ---------------------------------------------------------- http
    def request(self, method, path, body=None, headers=None, timeout=10):
        """Returns (status, headers dict lower-case, body bytes)."""
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port,
                                          timeout=timeout * SLOW)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None, timeout=10):
        """Like request, with the body decoded as JSON (None if not JSON)."""
        st, hd, data = self.request(method, path, body, headers, timeout)
        try:
            return st, json.loads(data.decode("utf-8")) if data else None
        except ValueError:
            return st, None

    def wait_ready(self, timeout=20, path="/readyz"):
        deadline = time.time() + timeout * SLOW
        last = None
        while time.time() < deadline:
            if not self.alive():
                raise AssertionError("%s exited with %s during start:\n%s" %
                                     (self.name, self.popen.returncode, self.output()[-4000:]))
            try:
                st, _, _ = self.request("GET", path, timeout=2)
                if st == 200:
                    return
                last = st
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise AssertionError("%s not ready after %ss (last: %s)\n%s" %
                             (self.name, timeout, last, self.output()[-4000:]))


class Cluster:
    """A temporary directory plus every process started in it."""

    def __init__(self, name="qf", keep=None):
        self.dir = tempfile.mkdtemp(prefix="qf-%s-" % name)
        self.procs = []
        self.keep = keep if keep is not None else bool(os.environ.get("QF_KEEP"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close(failed=exc[0] is not None)
        return False

    def path(self, *parts):
        p = os.path.join(self.dir, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def write(self, rel, text):
        p = self.path(rel)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p

    def copy_config(self, name):
        """Copy config/<name> into the cluster dir; returns the new path."""
        dst = self.path(name)
        shutil.copy(os.path.join(CONFIG, name), dst)
        return dst

    def start(self, name, argv, env=None, http_port=None):
        p = Proc(self, name, argv, env=env, http_port=http_port)
        self.procs.append(p)
        return p

    def run(self, argv, input=None, timeout=60, env=None, check=False):
        """Run a command to completion; returns CompletedProcess (text)."""
        e = dict(os.environ)
        if env:
            e.update(env)
        sanitizer_env(e)
        return subprocess.run(argv, input=input, capture_output=True, text=True,
                              timeout=timeout * SLOW, env=e, cwd=self.dir, check=check)

    def problems(self):
        """What went wrong in the processes whatever the test asserted: a
        service that exited non-zero (not killed by the test), or a log with
        a sanitizer report or a crash."""
        out = []
        for p in self.procs:
            if not isinstance(p, Proc):
                continue
            rc = p.popen.returncode
            if (rc not in (0, None) and not p.killed and not p.awaited and
                    rc not in (-signal.SIGKILL, -signal.SIGTERM)):
                out.append("%s exited with %s" % (p.name, rc))
            try:
                log = p.output()
            except OSError:
                continue
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                           "runtime error:", "Segmentation fault", "Assertion `"):
                if marker in log:
                    out.append("%s log: %s" % (p.name, marker))
        return out

    def close(self, failed=False):
        for p in self.procs:
            if p.alive():
                p.stop(timeout=5)
        problems = self.problems()
        if problems:
            failed = True
        if failed or self.keep:
            # leave logs for the reader; say where
            print("\n[harness] logs kept in %s" % self.dir)
            for p in self.procs:
                try:
                    tail = p.output()[-3000:]
                except OSError:
                    tail = ""
                if failed and tail:
                    print("---- %s (last lines) ----\n%s" % (p.name, tail))
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if problems:
            raise AssertionError("processes misbehaved: " + "; ".join(problems))


def wait_until(pred, timeout=10, interval=0.05, what="condition"):
    """Poll pred() until it returns a true value; returns it or raises."""
    deadline = time.time() + timeout * SLOW
    last = None
    while time.time() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" %
                         (timeout * SLOW, what, last))


class Emitter:
    """A real bus producer (tests/tools/qf-test-emit) fed with JSON events,
    standing in for the services a service under test consumes from.

        em = Emitter(cluster, "intake")
        em.emit("PETITION_SUBMITTED", key="B01", case_id="C1", payload={...})
        # configure the service under test with source pub=em.pub, replay=em.replay
    """

    def __init__(self, cluster, name="intake", partitions=16):
        self.name = name
        self.pub = "tcp://127.0.0.1:%d" % free_port()
        self.replay = "tcp://127.0.0.1:%d" % free_port()
        argv = [binary("qf-test-emit"), "--dir", cluster.path("emit-" + name, "store"),
                "--pub", self.pub, "--replay", self.replay, "--name", name,
                "--partitions", str(partitions)]
        e = sanitizer_env(dict(os.environ))
        self.log = open(cluster.path("emit-%s.log" % name), "ab")
        self.popen = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self.log, env=e, cwd=cluster.dir,
                                      start_new_session=True, text=True)
        line = self.popen.stdout.readline().strip()
        if line != "ready":
            raise AssertionError("qf-test-emit did not start: %r" % line)
        cluster.procs.append(self)
        _live.append(self)

    def emit(self, type, key="", case_id="", payload=None, correlation_id="", time_ms=0):
        """Commit one event; returns (partition, seq)."""
        ev = {"type": type, "key": key, "case_id": case_id, "payload": payload or {},
              "correlation_id": correlation_id, "time_ms": time_ms}
        self.popen.stdin.write(json.dumps(ev, ensure_ascii=False) + "\n")
        self.popen.stdin.flush()
        ans = self.popen.stdout.readline().strip()
        if not ans.startswith("ok "):
            raise AssertionError("emit failed: %s" % ans)
        _, part, seq = ans.split()
        return int(part), int(seq)

    # the Proc interface the Cluster uses to stop things
    name_for_logs = property(lambda self: "emit-" + self.name)

    def alive(self):
        return self.popen.poll() is None

    def stop(self, timeout=5):
        if self.alive():
            try:
                self.popen.stdin.close()
            except Exception:
                pass
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._release()
        return self.popen.returncode

    def kill(self):
        if self.alive():
            self.popen.kill()
            self.popen.wait()
        self._release()

    def _release(self):
        if self in _live:
            _live.remove(self)
        for f in (self.popen.stdin, self.popen.stdout, self.log):
            try:
                f.close()
            except Exception:
                pass

    def output(self):
        return ""


def source_block(*producers):
    """libconfig text for bus.sources from objects with .pub and .replay
    (and .accepts, a list of event types the source is granted, if set)."""
    def accepts(p):
        a = getattr(p, "accepts", None)
        return ' accepts = [ %s ];' % ", ".join('"%s"' % t for t in a) if a else ""
    rows = ['    { name = "%s"; pub = "%s"; replay = "%s";%s }' %
            (getattr(p, "name", "src"), p.pub, p.replay, accepts(p)) for p in producers]
    return "sources = (\n%s\n  );" % ",\n".join(rows)


class Watch:
    """Every event a producer emits, collected by `qfctl watch`."""

    def __init__(self, cluster, *producers):
        srcs = ["%s,%s" % (p.pub, p.replay) for p in producers]
        argv = [binary("qfctl"), "watch", "--from-start", "--json"] + srcs
        self.log = open(cluster.path("watch-%d.log" % free_port()), "ab")
        self.popen = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log,
                                      env=sanitizer_env(dict(os.environ)), cwd=cluster.dir,
                                      start_new_session=True, text=True)
        self.name = "watch"
        self.lock = threading.Lock()
        self.events = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        cluster.procs.append(self)
        _live.append(self)

    def _read(self):
        for line in self.popen.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append(ev)

    def all(self, type=None, case_id=None):
        with self.lock:
            evs = list(self.events)
        return [e for e in evs if (type is None or e.get("type") == type) and
                (case_id is None or e.get("case_id") == case_id)]

    def payloads(self, type=None, case_id=None):
        return [e.get("payload", {}) for e in self.all(type, case_id)]

    def wait_for(self, type, case_id=None, count=1, timeout=10, pred=None):
        """Wait until `count` events of `type` (and case) are seen; returns
        their payloads."""
        def got():
            ps = [p for p in self.payloads(type, case_id) if pred is None or pred(p)]
            return ps if len(ps) >= count else None
        return wait_until(got, timeout=timeout, what="%d x %s %s" % (count, type, case_id or ""))

    def wait_events(self, type, count=1, pred=None, timeout=10):
        """Like wait_for, returning whole events (envelope and payload)."""
        def got():
            es = [e for e in self.all(type) if pred is None or pred(e.get("payload", {}))]
            return es if len(es) >= count else None
        return wait_until(got, timeout=timeout, what="%d x %s" % (count, type))

    def result(self, command_id, timeout=10):
        """The one ACTION_RESULT answering a command."""
        return self.wait_for("ACTION_RESULT", pred=lambda p: p.get("command_id") == command_id,
                             timeout=timeout)[0]

    def results(self, command_id):
        return [p for p in self.payloads("ACTION_RESULT") if p.get("command_id") == command_id]

    # the Proc interface the Cluster uses to stop things
    def alive(self):
        return self.popen.poll() is None

    def stop(self, timeout=5):
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.thread.join(timeout=5)
        for f in (self.popen.stdout, self.log):
            try:
                f.close()
            except Exception:
                pass
        if self in _live:
            _live.remove(self)
        return self.popen.returncode

    def kill(self):
        self.stop()

    def output(self):
        return ""
