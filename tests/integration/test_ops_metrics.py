"""/metrics on every service: the figures an operator watches, in valid
Prometheus text format, and the Grafana dashboard (docker/grafana) asking
only for figures that exist.

What an operator watches and where it comes from (docs/OPERATIONS.md):
requests and latencies (qf_http_*), queue depths (group commit, notifier
queue), replay lag (qf_bus_replay_lag_events), store size (qf_store_*).
Figures a service does not export yet are separate tests that skip with the
gap named, so they start asserting once the gap is closed.
"""
import json
import os
import re
import time
import unittest

from tests.harness.qf import ROOT, Cluster
from tests.harness.svc_ops import SINGLE, Deployment

SERVICES = ("intake", "router", "notifier", "disclosure", "audit")
EVERYWHERE = ["qf_http_requests_total", "qf_http_request_seconds_bucket",
              "qf_http_request_seconds_sum", "qf_http_request_seconds_count",
              "qf_store_used_bytes", "qf_store_map_bytes",
              "qf_bus_events_applied_total", "qf_bus_replay_lag_events",
              "qf_bus_gaps_total", "qf_bus_duplicates_total", "qf_bus_incarnations_total",
              "qf_bus_events_published_total", "qf_bus_replay_requests_total",
              "qf_group_commit_jobs_total", "qf_group_commit_batches_total"]
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$')


def parse(text):
    """{family: {"type": t, "samples": [(name, labels, value)]}}; raises on
    lines that are not Prometheus text format."""
    fams, order = {}, []
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, t = line.split(" ", 3)
            if name in fams and fams[name].get("type"):
                raise AssertionError("second TYPE line for %s" % name)
            fams.setdefault(name, {"samples": []})["type"] = t
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
        fam = re.sub(r"_(bucket|sum|count)$", "", name)
        if fam not in fams:
            fam = name
        if fam not in fams:
            raise AssertionError("%s has no TYPE line" % name)
        fams[fam]["samples"].append((name, labels, value))
        order.append(fam)
    return fams, order


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("ops-metrics")
        cls.t0 = time.time()
        try:
            cls.d = Deployment(cls.c, SINGLE).start_all()
            cls.cids = [cls.d.submit("intake", building=b, n=i)[0]
                        for i, b in enumerate(("B01", "B03", "B06"))]
            cls.d.settle(cls.cids)
            # and one more request of every service, so each route has a sample
            for name in SERVICES:
                cls.d[name].get("/healthz")
            cls.text = {n: cls.d[n].metrics() for n in SERVICES}
        except BaseException:
            cls.c.close(failed=True)
            raise

    @classmethod
    def tearDownClass(cls):
        problems = cls.d.stop_all()
        cls.c.close(failed=bool(problems))
        if problems:
            raise AssertionError("at shutdown: %s" % problems)

    def fams(self, name):
        return parse(self.text[name])[0]

    def value(self, name, metric, labels=None):
        total = 0.0
        for fam in self.fams(name).values():
            for n, lab, v in fam["samples"]:
                if n == metric and (labels is None or labels in lab):
                    total += v
        return total

    def test_format_is_prometheus_text(self):
        for name in SERVICES:
            with self.subTest(service=name):
                fams, _ = parse(self.text[name])
                for fam, f in fams.items():
                    if f.get("type") != "histogram":
                        continue
                    by_series = {}
                    for n, lab, v in f["samples"]:
                        key = re.sub(r',?le="[^"]*"', "", lab)
                        by_series.setdefault(key, {"buckets": [], "count": None})
                        if n.endswith("_bucket"):
                            by_series[key]["buckets"].append(v)
                        elif n.endswith("_count"):
                            by_series[key]["count"] = v
                    for key, s in by_series.items():
                        self.assertEqual(s["buckets"], sorted(s["buckets"]),
                                         "%s%s buckets not cumulative" % (fam, key))
                        self.assertEqual(s["buckets"][-1], s["count"],
                                         "%s%s +Inf bucket != count" % (fam, key))

    def test_operator_figures_everywhere(self):
        for name in SERVICES:
            with self.subTest(service=name):
                names = {n for f in self.fams(name).values() for n, _, _ in f["samples"]}
                missing = [m for m in EVERYWHERE if m not in names]
                self.assertEqual(missing, [], "%s does not export %s" % (name, missing))
                self.assertGreater(self.value(name, "qf_store_used_bytes"), 0)
                self.assertGreaterEqual(self.value(name, "qf_store_map_bytes"),
                                        self.value(name, "qf_store_used_bytes"))
                # this test's own requests are counted
                self.assertGreater(self.value(name, "qf_http_requests_total"), 0)
                self.assertEqual(self.value(name, "qf_bus_replay_lag_events"), 0,
                                 "%s is behind after settling" % name)

    def test_one_prefix(self):
        """Every figure is qf_* (ours) or process_* (the standard ones)."""
        for name in SERVICES:
            with self.subTest(service=name):
                names = {n for f in self.fams(name).values() for n, _, _ in f["samples"]}
                other = sorted(n for n in names if not n.startswith(("qf_", "process_")))
                self.assertEqual(other, [])

    def test_process_and_build_info(self):
        """The standard process_* figures and qf_build_info, read from /proc."""
        for name in SERVICES:
            with self.subTest(service=name):
                pid = self.d[name].proc.pid
                self.assertGreater(self.value(name, "process_cpu_seconds_total"), 0)
                rss = self.value(name, "process_resident_memory_bytes")
                with open("/proc/%d/statm" % pid) as f:
                    pages = int(f.read().split()[1])
                # the same process, read a moment apart: within a factor of 2
                self.assertGreater(rss, pages * os.sysconf("SC_PAGE_SIZE") / 2)
                self.assertLess(rss, pages * os.sysconf("SC_PAGE_SIZE") * 2)
                self.assertGreaterEqual(self.value(name, "process_virtual_memory_bytes"), rss)
                fds = self.value(name, "process_open_fds")
                self.assertGreater(fds, 3)
                self.assertLess(fds, len(os.listdir("/proc/%d/fd" % pid)) + 20)
                self.assertGreaterEqual(self.value(name, "process_max_fds"), fds)
                start = self.value(name, "process_start_time_seconds")
                # started by this test (boot time plus ticks since boot: the
                # wall clock may have been stepped since boot, by seconds)
                self.assertGreaterEqual(start, self.t0 - 60)
                self.assertLessEqual(start, time.time() + 60)
                self.assertEqual(self.value(name, "qf_build_info", 'version="0.1.0"'), 1)

    def test_figures_follow_the_traffic(self):
        self.assertEqual(self.value("intake", "qf_intake_petitions_total", 'outcome="accepted"'),
                         len(self.cids))
        self.assertGreaterEqual(self.value("intake", "qf_http_requests_total",
                                           'route="petitions",code="201"'), len(self.cids))
        self.assertGreaterEqual(self.value("router", "qf_bus_events_applied_total"),
                                len(self.cids))
        self.assertGreaterEqual(self.value("router", "qf_bus_events_published_total"),
                                len(self.cids))
        # intake's durable writes go through the group commit
        self.assertGreaterEqual(self.value("intake", "qf_group_commit_jobs_total"),
                                len(self.cids))
        self.assertGreater(self.value("audit", "qf_audit_tree_size"), 0)
        self.assertIn("qf_notifier_queue_depth", self.fams("notifier"))

    def test_dashboard_asks_only_for_exported_figures(self):
        with open(os.path.join(ROOT, "docker", "grafana", "qingfeng.json"), encoding="utf-8") as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        self.assertGreater(len(exprs), 20)
        exported = {n for s in SERVICES for f in self.fams(s).values() for n, _, _ in f["samples"]}
        asked = {m for e in exprs for m in re.findall(r"\b((?:qf|router)_[a-z_]+)", e)}
        self.assertEqual(sorted(asked - exported), [], "the dashboard asks for figures "
                         "no service exports")

    # ---------------------------------------------------------- figures
    def test_samples_of_a_family_are_grouped(self):
        for name in SERVICES:
            _, order = parse(self.text[name])
            runs = [f for i, f in enumerate(order) if i == 0 or order[i - 1] != f]
            split = sorted({f for f in runs if runs.count(f) > 1})
            self.assertEqual(split, [], "%s: samples of a family are not one group" % name)

    def test_replay_lag_per_stream(self):
        lab = [lab for f in self.fams("audit").values() for n, lab, _ in f["samples"]
               if n == "qf_bus_replay_lag_events"]
        self.assertTrue(lab)
        for x in lab:
            self.assertIn('producer="', x)
            self.assertIn('partition="', x)

    def test_group_commit_queue_depth(self):
        self.assertIn("qf_group_commit_queue_depth",
                      {n for f in self.fams("intake").values() for n, _, _ in f["samples"]})

    def test_zap_denials(self):
        # CURVE is off here: the counter exists and is 0 (the multi-host test
        # sees it count refusals)
        self.assertEqual(self.value("intake", "qf_zap_denied_total"), 0)
        self.assertIn("qf_zap_denied_total",
                      {n for f in self.fams("intake").values() for n, _, _ in f["samples"]})

    def test_source_liveness(self):
        heard = [(lab, v) for f in self.fams("audit").values() for n, lab, v in f["samples"]
                 if n == "qf_bus_source_last_heard_seconds"]
        producers = {re.search(r'producer="([^"]+)"', lab).group(1) for lab, _ in heard}
        self.assertTrue({"intake", "router"} <= producers, heard)
        for lab, v in heard:
            # heartbeats come every second
            self.assertTrue(0 <= v < 10, (lab, v))


if __name__ == "__main__":
    unittest.main()
