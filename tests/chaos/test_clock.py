"""The clock stepped forward and back under the router (QF_CLOCK_OFFSET_MS,
which the services honour through qf_clock), with the whole system
running: deadline warnings must fire exactly once each, none lost and none
twice, whatever the clock does between restarts, and petitions submitted
meanwhile must go their way as usual.

facility_repair has a 24-hour respond deadline on the wall clock: the
router warns at 50% (12 h) and, at 24 h, reports the breach and escalates.
The router is restarted at +13 h, back at 0, at +13 h again, at +25 h, back
at +13 h and at +25 h again. What the router published is read from the
public board (each case's timeline: kind, permille, breached) and the
audit log.
"""
import json
import time
import unittest

from tests.chaos.system import System, get_json, http_call
from tests.harness.qf import SLOW, Cluster, wait_until

HOUR = 3600 * 1000


class ClockSteps(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("chaos-clock")
        self.addCleanup(self.c.close)
        self.s = System(self.c)
        self.addCleanup(self.s.stop)
        self.s.start_all()
        self.n = 0

    def submit(self, count):
        out = []
        for _ in range(count):
            body = ('{"category":"facility_repair","building":"B0%d","address":"门口",'
                    '"description":"时钟测试 楼道灯不亮","channel":"app","anonymous":true,'
                    '"consent_public":true}' % (1 + self.n % 8)).encode()
            st, _, data = http_call(self.s.http["intake"], "POST", "/v1/petitions", body,
                                    {"Content-Type": "application/json",
                                     "Idempotency-Key": "clock-%d-%d" % (id(self), self.n)},
                                    timeout=10)
            self.assertEqual(st, 201, data)
            out.append(json.loads(data)["case_id"])
            self.n += 1
        return out

    def router_at(self, offset_h):
        self.s.procs["router"].stop()
        self.s.start("router", env={"QF_CLOCK_OFFSET_MS": str(int(offset_h * HOUR))})
        self.s.procs["router"].wait_ready(timeout=30)

    def warnings(self, cid):
        st, j = get_json(self.s.http["disclosure"], "/v1/public/cases/" + cid, timeout=5)
        if st != 200:
            return None
        return [(e.get("kind"), e.get("permille"), bool(e.get("breached")))
                for e in j.get("timeline", []) if e.get("type") == "DEADLINE_WARNING"]

    def expect(self, cids, want, what):
        """Each case's warnings become exactly `want` (a sorted list), and
        stay so a little longer (a second firing would show)."""
        def ok():
            return all(sorted(self.warnings(c) or []) == want for c in cids)
        wait_until(ok, timeout=30, interval=0.3, what="%s: warnings %s" % (what, want))
        time.sleep(1.5 * SLOW)
        got = {c: self.warnings(c) for c in cids}
        bad = {c: w for c, w in got.items() if sorted(w) != want}
        self.assertEqual(bad, {}, "%s: warnings fired twice or lost" % what)

    def assigned(self, cids):
        def ok():
            for c in cids:
                st, j = get_json(self.s.http["disclosure"], "/v1/public/cases/" + c)
                if st != 200 or j.get("state") not in ("assigned",):
                    return False
            return True
        wait_until(ok, timeout=30, interval=0.3, what="%d cases assigned" % len(cids))

    def test_deadlines_fire_once_across_clock_steps(self):
        half = ("respond", 500, False)
        first = self.submit(6)
        self.assigned(first)
        self.expect(first, [], "at 0 h")
        self.router_at(13)
        self.expect(first, [half], "at +13 h")
        self.router_at(0)                     # the clock stepped back
        second = self.submit(4)               # submitted "13 h earlier"
        self.assigned(second)
        self.expect(first, [half], "back at 0 h")
        self.expect(second, [], "back at 0 h (new cases)")
        self.router_at(13)                    # forward again
        self.expect(first, [half], "at +13 h again")
        self.expect(second, [half], "at +13 h again (new cases)")
        self.router_at(25)
        def breached(cids):
            return all(any(w[2] for w in (self.warnings(c) or [])) for c in cids)
        wait_until(lambda: breached(first), timeout=30, interval=0.3, what="breaches at +25 h")
        after = {c: sorted(self.warnings(c)) for c in first}
        self.assertTrue(all(len([w for w in ws if w[2]]) == 1 for ws in after.values()), after)
        self.router_at(13)                    # back again
        self.router_at(25)                    # and forward
        time.sleep(2 * SLOW)
        again = {c: sorted(self.warnings(c)) for c in first}
        self.assertEqual(again, after, "warnings fired again after the clock went back")
        # the escalation that goes with each breach, once; and the audit log
        # holds each warning once
        leaves = []
        start = 0
        while True:
            st, j = get_json(self.s.http["audit"], "/v1/leaves?from=%d&limit=1000" % start)
            self.assertEqual(st, 200)
            leaves += j["leaves"]
            if j.get("next") is None:
                break
            start = j["next"]
        for c in first:
            esc = [l for l in leaves if l["case_id"] == c and l["type"] == "CASE_ESCALATED"]
            self.assertEqual(len(esc), 1, (c, esc))
            dw = [l for l in leaves if l["case_id"] == c and l["type"] == "DEADLINE_WARNING"]
            self.assertEqual(len(dw), len(after[c]), (c, dw, after[c]))
        for c in first + second:
            subs = [l for l in leaves if l["case_id"] == c and l["type"] == "PETITION_SUBMITTED"]
            asg = [l for l in leaves if l["case_id"] == c and l["type"] == "CASE_ASSIGNED"]
            self.assertEqual((len(subs), len(asg)), (1, 1), c)
        print("\n[clock] router restarted at +13 h, 0, +13 h, +25 h, +13 h, +25 h: %d cases, "
              "each warning once (%s), one escalation per breach, nothing lost" %
              (len(first) + len(second), ", ".join("%s %s%s" % (k, p,
                                                                 " breached" if b else "")
                                                   for k, p, b in after[first[0]])))


if __name__ == "__main__":
    unittest.main()
