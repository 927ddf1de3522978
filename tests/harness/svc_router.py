"""svc_router.py: start qf-router in a Cluster, feed it intake's events, and
watch what it emits.

    with Cluster("router") as c:
        intake = Emitter(c, "intake")
        r = Router(c, [intake])
        w = Watch(c, r)
        cid = new_case_id()
        petition(intake, cid, "facility_repair", "B03")
        ev = w.wait_for("CASE_ASSIGNED", cid)
        cmd = action(intake, cid, "B03", "ACTION_ACCEPT", "s04")
        res = w.result(cmd)              # the ACTION_RESULT for that command

Router events are read with `qfctl watch --from-start --json` (a real bus
consumer: complete and in order per partition), so tests see exactly what
notifier, disclosure and audit would see.
"""
import itertools
import json
import os
import shutil
import subprocess
import threading
import time

from tests.harness.qf import (Watch,  # noqa: F401 (re-exported)
                              CONFIG, SLOW, Emitter, _live, binary, free_port,
                              sanitizer_env, source_block, wait_until)

# staff of config/community.cfg: id -> (role, name)
STAFF = {
    "s01": ("secretary", "周明霞"), "s02": ("supervisor", "陈立伟"),
    "s03": ("staff", "王桂芳"), "s04": ("building_head", "李建国"),
    "s05": ("building_head", "张秀英"), "s06": ("building_head", "刘志刚"),
    "s07": ("staff", "赵丽娟"), "s08": ("staff", "孙强"),
}
HOUR = 3600 * 1000
DAY = 24 * HOUR

_ids = itertools.count(1)
_run = "%010d" % (int(time.time() * 1000) % 10**10)


def new_case_id():
    """A case id shaped like intake's ("C" + 26 characters), increasing."""
    return "C%s%016d" % (_run, next(_ids))


def new_command_id():
    return "K%s%016d" % (_run, next(_ids))


def now_ms():
    return int(time.time() * 1000)


def router_config(cluster, sources, node="router", instance=0, instances=1,
                  extra="", http_port=None, partitions=16):
    """Write a router configuration into the cluster dir; returns
    (path, http_port, pub, replay)."""
    for f in ("community.cfg", "staff-tokens.cfg"):
        if not os.path.exists(os.path.join(cluster.dir, f)):
            shutil.copy(os.path.join(CONFIG, f), os.path.join(cluster.dir, f))
    http_port = http_port or free_port()
    pub = "tcp://127.0.0.1:%d" % free_port()
    replay = "tcp://127.0.0.1:%d" % free_port()
    text = """
service = { node = "%(node)s"; data_dir = "data/%(node)s"; log_level = "debug";
            community = "community.cfg"; };
http = { port = %(http)d; threads = 2; };
bus = { pub = "%(pub)s"; replay = "%(replay)s"; heartbeat_ms = 200;
        partitions = %(parts)d; instance = %(inst)d; instances = %(n)d;
        %(sources)s };
router = { tokens = "staff-tokens.cfg"; catch_up_hold_ms = 5000; };
%(extra)s
""" % {"node": node, "http": http_port, "pub": pub, "replay": replay,
       "inst": instance, "n": instances, "sources": source_block(*sources),
       "extra": extra, "parts": partitions}
    path = cluster.write("%s.cfg" % node, text)
    return path, http_port, pub, replay


class Router:
    """One qf-router process (restartable on the same data and ports)."""

    def __init__(self, cluster, sources, node="router", instance=0, instances=1,
                 extra="", clock_offset_ms=0, start=True):
        self.cluster = cluster
        self.node = node
        self.name = node
        self.config, self.http_port, self.pub, self.replay = router_config(
            cluster, sources, node, instance, instances, extra)
        self.clock_offset_ms = clock_offset_ms
        self.proc = None
        # the Cluster stops us first: a graceful stop must exit 0 with a
        # clean sanitizer report
        cluster.procs.append(self)
        if start:
            self.start()

    def start(self, clock_offset_ms=None, wait=True):
        if clock_offset_ms is not None:
            self.clock_offset_ms = clock_offset_ms
        env = {"QF_CLOCK_OFFSET_MS": str(self.clock_offset_ms)}
        self.proc = self.cluster.start(self.node, [binary("qf-router"), "--config", self.config],
                                       env=env, http_port=self.http_port)
        if wait:
            self.proc.wait_ready()
        return self

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def stop(self, timeout=10):
        rc = self.proc.stop(timeout)
        log = self.proc.output()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if bad in log:
                raise AssertionError("%s: sanitizer report:\n%s" % (self.node, log[-6000:]))
        if rc != 0:
            raise AssertionError("%s exited with %s:\n%s" % (self.node, rc, log[-4000:]))
        return rc

    def kill(self):
        self.proc.kill()

    def get(self, path, token="qf-dev-s01"):
        headers = {"Authorization": "Bearer " + token} if token else {}
        return self.proc.json("GET", path, headers=headers)

    def case(self, case_id, token="qf-dev-s01"):
        st, body = self.get("/v1/cases/" + case_id, token)
        return body if st == 200 else None

    def output(self):
        return self.proc.output()


# ---------------------------------------------------------------- intake side

def actor(staff_id):
    role, name = STAFF.get(staff_id, ("staff", "未知"))
    return {"staff_id": staff_id, "role": role, "name": name}


def petition(em, case_id, category="facility_repair", building="B03", submitted_ms=None,
             pseudonym="", concerns="", parties=(), tracking=None, description=None):
    """PETITION_SUBMITTED as intake emits it (masked, pseudonymous)."""
    payload = {
        "case_id": case_id,
        "tracking_code": tracking or "LSJ-" + case_id[-6:],
        "category": category,
        "building": building,
        "address": "%s 1单元" % building,
        "description": description or "楼道灯坏了，晚上看不见路。",
        "channel": "app",
        "name_masked": "张**",
        "phone_masked": "138****1234",
        "submitted_ms": submitted_ms or now_ms(),
        "contact": [{"recipient": "notifier", "sealed": "00112233"}],
    }
    if pseudonym:
        payload["petitioner_pseudonym"] = pseudonym
    if concerns:
        payload["concerns_staff"] = concerns
    if parties:
        payload["parties"] = list(parties)
    return em.emit("PETITION_SUBMITTED", key=building, case_id=case_id, payload=payload)


def action(em, case_id, building, kind, staff_id, **fields):
    """STAFF_ACTION_REQUESTED; returns its command id."""
    cmd = fields.pop("command_id", None) or new_command_id()
    payload = {"command_id": cmd, "case_id": case_id, "actor": actor(staff_id),
               "action": kind, "requested_ms": now_ms()}
    payload.update(fields)
    em.emit("STAFF_ACTION_REQUESTED", key=building, case_id=case_id, payload=payload,
            correlation_id=cmd)
    return cmd


def feedback(em, case_id, building, rating, comment="", command_id=""):
    payload = {"case_id": case_id, "rating": rating, "comment": comment,
               "given_ms": now_ms()}
    if command_id:
        payload["command_id"] = command_id
    em.emit("FEEDBACK_GIVEN", key=building, case_id=case_id, payload=payload,
            correlation_id=command_id)


def visit(em, visit_id, staff_id="s02", date=None, household=True, building="B03"):
    payload = {"visit_id": visit_id, "actor": actor(staff_id),
               "date": date or time.strftime("%Y-%m-%d", time.localtime()),
               "place": "%s 2单元 301" % building, "building": building,
               "findings": "走访了解情况", "household": household}
    em.emit("VISIT_RECORDED", key=staff_id, payload=payload)


def start(cluster, **kw):
    """An intake emitter, a router fed by it, and a watch on the router."""
    intake = Emitter(cluster, "intake")
    r = Router(cluster, [intake], **kw)
    w = Watch(cluster, r)
    return intake, r, w


SLOWNESS = SLOW
