"""browser.py: Debian's chromium, headless, for tests of pages: a one-shot
render (chromium()), a DevTools session over a pipe (Browser) and an
accessibility check with axe-core (Browser.axe, assert_no_serious).

    with Browser(cluster, 1280, 800) as b:
        b.open(url)
        b.screenshot(cluster.path("screenshots", "board.png"))
        assert_no_serious(self, b, "board-desktop")

axe-core is one of the pinned test tools in tests/js (npm ci there, or
`make deps-test`); it is read from tests/js/node_modules/axe-core/axe.min.js
and evaluated in the page through DevTools, so a page's
Content-Security-Policy (script-src 'self') does not stop it.
"""
import base64
import fcntl
import itertools
import json
import os
import select
import subprocess
import sys
import time

from tests.harness.qf import SLOW, wait_until

_ids = itertools.count(1)
AXE_JS = os.path.join(os.path.dirname(__file__), "..", "js", "node_modules", "axe-core",
                      "axe.min.js")
# WCAG 2.0 and 2.1, levels A and AA, and axe's best practices
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
SERIOUS = ("serious", "critical")


def _chromium_argv(cluster, size):
    profile = os.path.dirname(cluster.path("chromium-profile-%d" % next(_ids), "x"))
    return ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
            "--user-data-dir=" + profile, "--window-size=" + size]


def chromium(cluster, url, screenshot=None, dump_dom=False, budget_ms=4000,
             size="412,915", timeout=60):
    """Debian's chromium, headless, one shot (pages without a live stream):
    returns the DOM text (dump_dom) or the screenshot path."""
    argv = _chromium_argv(cluster, size) + ["--virtual-time-budget=%d" % budget_ms]
    if screenshot:
        argv.append("--screenshot=" + screenshot)
    if dump_dom:
        argv.append("--dump-dom")
    argv.append(url)
    r = subprocess.run(argv, capture_output=True, timeout=timeout * SLOW,
                       cwd=cluster.dir)
    if dump_dom:
        return r.stdout.decode("utf-8", "replace")
    if not screenshot or not os.path.exists(screenshot):
        raise AssertionError("chromium wrote no screenshot: %s" %
                             r.stderr.decode("utf-8", "replace")[-2000:])
    return screenshot


class Browser:
    """Headless chromium driven over the DevTools protocol through a pipe
    (--remote-debugging-pipe: NUL-terminated JSON on fds 3 and 4), so a
    test can watch a page that keeps a live connection open (the SSE
    dashboard), evaluate script in it and take screenshots, with the
    standard library only.

        with Browser(cluster) as b:
            b.open(url)
            b.wait_for("document.querySelectorAll('li.js').length > 0")
            b.screenshot(cluster.path("live.png"))

    width x height is the viewport; below 800 pixels wide the page is
    emulated as a phone (mobile viewport), above as a desktop.
    """

    def __init__(self, cluster, width=412, height=915, mobile=None):
        self.cluster = cluster
        r1, w1 = os.pipe()  # we write commands -> chromium reads fd 3
        r2, w2 = os.pipe()  # chromium writes fd 4 -> we read
        # keep the child's ends away from 3 and 4 before the shell moves them
        cr = fcntl.fcntl(r1, fcntl.F_DUPFD, 10)
        cw = fcntl.fcntl(w2, fcntl.F_DUPFD, 10)
        os.close(r1)
        os.close(w2)
        argv = _chromium_argv(cluster, "%d,%d" % (width, height)) + [
            "--remote-debugging-pipe", "about:blank"]
        script = "exec 3<&%d 4>&%d %d<&- %d>&-; exec \"$@\"" % (cr, cw, cr, cw)
        self.log = open(cluster.path("chromium-%d.log" % next(_ids)), "ab")
        self.proc = subprocess.Popen(["/bin/bash", "-c", script, "sh"] + argv,
                                     pass_fds=(cr, cw), stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=cluster.dir,
                                     start_new_session=True)
        os.close(cr)
        os.close(cw)
        self.wfd, self.rfd = w1, r2
        self.buf = b""
        self.next_id = 0
        self.session = None
        self.width, self.height = width, height
        self.mobile = width < 800 if mobile is None else mobile

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self.proc.poll() is None:
            try:
                self.call("Browser.close", timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self.wfd, self.rfd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("chromium: no answer")
            rd, _, _ = select.select([self.rfd], [], [], left)
            if rd:
                chunk = os.read(self.rfd, 65536)
                if not chunk:
                    raise AssertionError("chromium exited")
                self.buf += chunk
        msg, _, self.buf = self.buf.partition(b"\0")
        return json.loads(msg.decode("utf-8"))

    def call(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.wfd, json.dumps(msg).encode("utf-8") + b"\0")
        deadline = time.time() + timeout * SLOW
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise AssertionError("%s: %s" % (method, m["error"]))
                return m.get("result", {})

    def open(self, url):
        t = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        a = self.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True},
                      session=False)
        self.session = a["sessionId"]
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": self.mobile})
        self.call("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete'")

    def eval(self, expr, await_promise=False, timeout=30):
        """Evaluate expr in the page and return its value (JSON-able).
        Runtime.evaluate runs in the page's context but is not subject to the
        page's Content-Security-Policy. await_promise: expr is a promise and
        its resolved value is returned."""
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": await_promise}, timeout=timeout)
        if "exceptionDetails" in r:
            raise AssertionError("script error: %s" % r["exceptionDetails"])
        return r.get("result", {}).get("value")

    # DevTools answers these while the page is between two documents (a
    # form posted, a link followed): the expression is asked again
    NAVIGATING = ("Inspected target navigated or closed", "Cannot find context",
                  "Execution context was destroyed")

    def wait_for(self, expr, timeout=10):
        def probe():
            try:
                return self.eval(expr)
            except AssertionError as e:
                if any(m in str(e) for m in self.NAVIGATING):
                    return None
                raise
        return wait_until(probe, timeout=timeout, what=expr)

    def dom(self):
        return self.eval("document.documentElement.outerHTML")

    def screenshot(self, path, full_page=True):
        params = {"format": "png"}
        if full_page:
            h = self.eval("Math.max(document.body.scrollHeight, %d)" % self.height)
            params["clip"] = {"x": 0, "y": 0, "width": self.width, "height": min(h, 6000),
                              "scale": 1}
            params["captureBeyondViewport"] = True
        r = self.call("Page.captureScreenshot", params)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return path

    def axe(self, tags=AXE_TAGS):
        """Run axe-core on the open page and return its full result
        (violations, passes, incomplete, ...). The library's text is
        evaluated through DevTools (Runtime.evaluate), which a strict
        Content-Security-Policy (script-src 'self', no inline script) does
        not block, and axe.run's promise is awaited there."""
        if not self.eval("typeof window.axe === 'object'"):
            if not os.path.exists(AXE_JS):
                raise AssertionError("axe-core missing: %s (run `make deps-test` or "
                                     "npm ci in tests/js)" % AXE_JS)
            with open(AXE_JS, encoding="utf-8") as f:
                self.eval(f.read() + "\n;void 0")
        opts = {"runOnly": {"type": "tag", "values": list(tags)},
                "resultTypes": ["violations"]}
        return self.eval("axe.run(document, %s).then(function (r) {"
                         " return JSON.parse(JSON.stringify(r)); })" % json.dumps(opts),
                         await_promise=True, timeout=120)


def axe_summary(violations):
    """{"critical": n, "serious": n, "moderate": n, "minor": n}: affected
    nodes by impact."""
    out = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
    for v in violations:
        out[v.get("impact") or "minor"] += len(v.get("nodes", []))
    return out


def axe_report(violations, impacts=SERIOUS):
    """One paragraph per violation of the given impacts: rule, impact,
    target selectors, help URL."""
    lines = []
    for v in violations:
        if v.get("impact") not in impacts:
            continue
        lines.append("%s (%s): %s\n  %s" % (v["id"], v["impact"], v["help"], v["helpUrl"]))
        for n in v.get("nodes", []):
            lines.append("    %s" % " ".join(json.dumps(t, ensure_ascii=False)
                                              for t in n.get("target", [])))
    return "\n".join(lines)


def axe_line(page_name, violations):
    """One line: the page, its violations by impact and by rule."""
    n = axe_summary(violations)
    return "a11y %-22s critical=%d serious=%d moderate=%d minor=%d  %s" % (
        page_name, n["critical"], n["serious"], n["moderate"], n["minor"],
        " ".join("%s(%s):%d" % (v["id"], v["impact"], len(v["nodes"])) for v in violations))


def assert_no_serious(testcase, b, page_name, log=sys.stderr):
    """Run axe on b's open page, write the whole result to
    <cluster>/axe/<page_name>.json (next to the screenshots), print
    axe_line() to log, and fail testcase, listing rule, impact, targets and
    help URL, if any violation is serious or critical. Returns the
    violations (all impacts)."""
    result = b.axe()
    path = b.cluster.path("axe", page_name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    violations = result.get("violations", [])
    if log:
        log.write(axe_line(page_name, violations) + "\n")
        log.flush()
    bad = axe_report(violations)
    if bad:
        testcase.fail("%s: serious or critical accessibility violations (%s):\n%s"
                      % (page_name, path, bad))
    return violations
