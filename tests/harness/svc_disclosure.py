"""svc_disclosure.py: start qf-disclosure in a Cluster and feed it the events
of the services it consumes (intake, router, audit), played by Emitters.

    with Cluster("disclosure") as c:
        src = Sources(c)                      # Emitters "intake", "router", "audit"
        d = Disclosure(c, src.all())
        cid = new_case_id()
        src.petition(cid, "safety_hazard", "B03", description="楼道堵塞")
        src.transition("CASE_ASSIGNED", cid, "B03", to="assigned", assignee="s04")
        case = d.wait_case(cid, lambda c: c["state"] == "assigned")

Everything the service publishes is reachable through d.get / d.json /
d.html; d.scan_all() fetches every public output (JSON, HTML, Atom, CSV)
for the personal-data scan.
"""
import pathlib
import itertools
import json
import os
import shutil
import time
import urllib.parse

from tests.harness.browser import Browser, chromium  # noqa: F401 (re-exported)
from tests.harness.qf import (Watch,  # noqa: F401 (re-exported)
                              CONFIG, SLOW, Emitter, binary, free_port,
                              source_block, wait_until)

HOUR = 3600 * 1000
DAY = 24 * HOUR
STAFF = {
    "s01": ("secretary", "周明霞", "社区党委书记"), "s02": ("supervisor", "陈立伟", "廉勤监督员"),
    "s03": ("staff", "王桂芳", "居委会主任"), "s04": ("building_head", "李建国", "1-4栋楼长"),
    "s05": ("building_head", "张秀英", "5-8栋楼长"),
    "s06": ("building_head", "刘志刚", "9-12栋及东院院长"),
    "s07": ("staff", "赵丽娟", "民政专干"), "s08": ("staff", "孙强", "综治专干"),
}
STATE = {"submitted": "STATE_SUBMITTED", "assigned": "STATE_ASSIGNED",
         "accepted": "STATE_ACCEPTED", "in_progress": "STATE_IN_PROGRESS",
         "resolved": "STATE_RESOLVED", "closed": "STATE_CLOSED",
         "rejected": "STATE_REJECTED", "reopened": "STATE_REOPENED",
         "merged": "STATE_MERGED"}

_ids = itertools.count(1)
_run = "%010d" % (int(time.time() * 1000) % 10**10)


def new_case_id():
    """Shaped like intake's ids ("C" + 26 characters), increasing."""
    return "C%s%016d" % (_run, next(_ids))


def new_record_id():
    return "R%s%016d" % (_run, next(_ids))


def now_ms():
    return int(time.time() * 1000)


class _CountingEmitter(Emitter):
    def __init__(self, cluster, name, owner):
        Emitter.__init__(self, cluster, name)
        self.owner = owner

    def emit(self, *a, **kw):
        part, seq = Emitter.emit(self, *a, **kw)
        self.owner.sent += 1
        key = (self.name, part)
        self.owner.high[key] = max(self.owner.high.get(key, 0), seq)
        return part, seq


class Sources:
    """Emitters standing in for intake, router and audit, with builders for
    the events disclosure consumes."""

    def __init__(self, cluster, names=("intake", "router", "audit")):
        self.em = {n: _CountingEmitter(cluster, n, self) for n in names}
        self._codes = itertools.count(1)
        self.sent = 0  # events committed by all emitters
        self.high = {}  # (producer, partition) -> last seq emitted

    def all(self):
        return list(self.em.values())

    # ------------------------------------------------------------ intake
    def petition(self, case_id, category, building, description="", address="",
                 name_masked="张**", phone_masked="138****1234", anonymous=False,
                 consent_public=True, submitted_ms=None, tracking_code=None, **extra):
        code = tracking_code or "LSJ-%06d" % next(self._codes)
        p = {"case_id": case_id, "tracking_code": code, "category": category,
             "building": building, "address": address, "description": description,
             "channel": "app", "anonymous": anonymous, "consent_public": consent_public,
             "name_masked": name_masked, "phone_masked": phone_masked,
             "submitted_ms": submitted_ms or now_ms()}
        p.update(extra)
        self.em["intake"].emit("PETITION_SUBMITTED", key=building, case_id=case_id,
                               payload=p)
        return code

    def disclosure(self, record_id, kind, version=1, submitted_ms=None, actor="s01",
                   correction_reason="", **payload):
        """kind: DISCLOSURE_LEDGER_ENTRY ... payload: ledger={...} etc."""
        role, name, _ = STAFF[actor]
        p = {"record_id": record_id, "version": version, "kind": kind,
             "actor": {"staff_id": actor, "role": role, "name": name},
             "correction_reason": correction_reason,
             "submitted_ms": submitted_ms or now_ms()}
        p.update(payload)
        return self.em["intake"].emit("DISCLOSURE_SUBMITTED", key=record_id, payload=p)

    def ledger(self, record_id, date, income, amount_fen, reason, counterparty="",
               voucher="", version=1, **kw):
        return self.disclosure(record_id, "DISCLOSURE_LEDGER_ENTRY", version=version,
                               ledger={"date": date, "income": income,
                                       "amount_fen": amount_fen, "reason": reason,
                                       "counterparty": counterparty, "voucher": voucher},
                               **kw)

    def balance(self, record_id, quarter, opening_fen, closing_fen, version=1, **kw):
        return self.disclosure(record_id, "DISCLOSURE_BALANCE", version=version,
                               balance={"quarter": quarter, "opening_fen": opening_fen,
                                        "closing_fen": closing_fen,
                                        "account": "社区居委会基本户",
                                        "as_of": quarter[:4] + "-09-30"}, **kw)

    # ------------------------------------------------------------ router
    def transition(self, type, case_id, building, to=None, frm=None, assignee=None,
                   at_ms=None, actor="s04", category="", **extra):
        role, name, post = STAFF.get(actor, ("system", "", ""))
        t = {"case_id": case_id, "building": building, "category": category,
             "at_ms": at_ms or now_ms(),
             "actor": {"staff_id": actor if actor in STAFF else "", "role": role,
                       "name": name}}
        if to:
            t["to_state"] = STATE[to]
        if frm:
            t["from_state"] = STATE[frm]
        if assignee:
            t["assignee"] = assignee
            t["assignee_name"] = STAFF[assignee][1]
            t["assignee_post"] = STAFF[assignee][2]
        t.update(extra)
        return self.em["router"].emit(type, key=building, case_id=case_id, payload=t)

    def warning(self, case_id, building, kind="DEADLINE_RESOLVE", permille=800,
                breached=False, assignee="s04", at_ms=None):
        return self.em["router"].emit(
            "DEADLINE_WARNING", key=building, case_id=case_id,
            payload={"case_id": case_id, "kind": kind, "permille": permille,
                     "breached": breached, "assignee": assignee, "building": building,
                     "at_ms": at_ms or now_ms()})

    def raw(self, producer, type, key="", case_id="", payload=None):
        return self.em[producer].emit(type, key=key, case_id=case_id, payload=payload or {})


def disclosure_config(cluster, sources, node="disclosure", extra="", http_port=None,
                      disclosure_extra=""):
    # no audit lookups unless a test brings its own audit service
    if "audit_url" not in disclosure_extra:
        disclosure_extra += " audit_link = false;"
    if not os.path.exists(os.path.join(cluster.dir, "community.cfg")):
        shutil.copy(os.path.join(CONFIG, "community.cfg"),
                    os.path.join(cluster.dir, "community.cfg"))
    http_port = http_port or free_port()
    pub = "tcp://127.0.0.1:%d" % free_port()
    replay = "tcp://127.0.0.1:%d" % free_port()
    text = """
service = { node = "%(node)s"; data_dir = "data/%(node)s"; log_level = "debug";
            community = "community.cfg"; };
http = { port = %(http)d; threads = 2; };
bus = { pub = "%(pub)s"; replay = "%(replay)s"; heartbeat_ms = 200;
        %(sources)s };
disclosure = { public_url = "http://127.0.0.1:%(http)d"; sse_keepalive_s = 2;
               %(dextra)s };
%(extra)s
""" % {"node": node, "http": http_port, "pub": pub, "replay": replay,
       "sources": source_block(*sources), "extra": extra, "dextra": disclosure_extra}
    path = cluster.write("%s.cfg" % node, text)
    return path, http_port, pub, replay


class Disclosure:
    """A running qf-disclosure (a Proc plus helpers)."""

    def __init__(self, cluster, sources, node="disclosure", extra="", env=None,
                 disclosure_extra="", wait=True):
        self.cluster = cluster
        self.node = node
        self.config, port, self.pub, self.replay = disclosure_config(
            cluster, sources, node=node, extra=extra, disclosure_extra=disclosure_extra)
        self.name = node
        # the Cluster stops us before our process: a graceful stop must exit 0
        # with no sanitizer report (checked in stop())
        cluster.procs.append(self)
        self.proc = cluster.start(node, [binary("qf-disclosure"), "--config", self.config],
                                  env=env, http_port=port)
        self.http_port = port
        if wait:
            self.proc.wait_ready()

    def alive(self):
        return self.proc.alive()

    def stop(self, timeout=10):
        """SIGTERM; the exit code must be 0 and the log free of sanitizer
        reports (sanitizer builds exit non-zero on a leak found at exit)."""
        was_alive = self.proc.alive()
        rc = self.proc.stop(timeout)
        log = self.proc.output()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if bad in log:
                raise AssertionError("%s: sanitizer report:\n%s" % (self.node, log[-6000:]))
        if was_alive and rc != 0:
            raise AssertionError("%s exited with %s:\n%s" % (self.node, rc, log[-4000:]))
        return rc

    def output(self):
        return self.proc.output()

    def kill(self):
        """SIGKILL: nothing flushed, committed transactions stay."""
        self.proc.kill()

    def restart(self, wait=True):
        """Start again on the same configuration and store."""
        if self.proc.alive():
            self.stop()
        self.proc = self.cluster.start(self.node, [binary("qf-disclosure"), "--config",
                                                   self.config], http_port=self.http_port)
        if wait:
            self.proc.wait_ready()

    # ------------------------------------------------------------ http
    def get(self, path, headers=None):
        return self.proc.request("GET", path, headers=headers)

    def json(self, path, status=200):
        st, hd, body = self.get(path)
        if st != status:
            raise AssertionError("GET %s: %s %s" % (path, st, body[:300]))
        return json.loads(body.decode("utf-8"))

    def html(self, path, status=200):
        st, hd, body = self.get(path)
        if st != status:
            raise AssertionError("GET %s: %s %s" % (path, st, body[:300]))
        return body.decode("utf-8")

    def case(self, case_id):
        st, _, body = self.get("/v1/public/cases/" + case_id)
        return json.loads(body) if st == 200 else None

    def wait_case(self, case_id, pred=lambda c: True, timeout=10):
        def ok():
            c = self.case(case_id)
            return c if c and pred(c) else None
        return wait_until(ok, timeout=timeout, what="case %s" % case_id)

    def applied(self):
        """Events applied so far (from /metrics)."""
        st, _, body = self.get("/metrics")
        for line in body.decode().splitlines():
            if line.startswith("qf_bus_events_applied_total"):
                return int(float(line.split()[-1]))
        return 0

    def wait_applied(self, n, timeout=15):
        return wait_until(lambda: self.applied() >= n, timeout=timeout,
                          what="%d events applied" % n)

    def status(self):
        st, _, body = self.get("/v1/status")
        return json.loads(body) if st == 200 else None

    def sync(self, sources, timeout=15):
        """Wait until every event the sources emitted is applied (by the
        consumer's committed positions, which survive restarts)."""
        def done():
            s = self.status()
            if not s:
                return False
            have = {(x["producer"], x["partition"]): x["applied"] for x in s["streams"]}
            return all(have.get(k, 0) >= v for k, v in sources.high.items())
        return wait_until(done, timeout=timeout, what="all emitted events applied")

    def public_paths(self):
        """Every public output: JSON, HTML, feeds, CSV (with case and
        disclosure pages discovered from the listings)."""
        paths = ["/", "/affairs", "/roster", "/stats", "/live", "/verify", "/question",
                 "/v1/public/cases?page_size=100", "/v1/public/stats",
                 "/v1/public/ledger", "/v1/public/notices", "/v1/public/lists",
                 "/v1/public/roster", "/v1/public/snapshots", "/v1/public/dashboard",
                 "/v1/public/checkpoints", "/v1/public/cases.csv", "/v1/public/ledger.csv",
                 "/feeds/cases.atom", "/feeds/disclosures.atom"]
        cases = self.json("/v1/public/cases?page_size=100")["items"]
        for c in cases:
            paths += ["/v1/public/cases/" + c["id"], "/cases/" + c["id"]]
        for q in self.json("/v1/public/ledger")["quarters"]:
            paths += ["/v1/public/ledger/" + q["quarter"], "/affairs/ledger/" + q["quarter"]]
        for l in self.json("/v1/public/lists")["lists"]:
            paths += ["/v1/public/lists/" + l["record_id"], "/affairs/lists/" + l["record_id"],
                      "/v1/public/records/" + l["record_id"], "/records/" + l["record_id"]]
        for s in self.json("/v1/public/snapshots")["snapshots"]:
            base = "/v1/public/snapshots/%s/%s" % (s["kind"], s["key"])
            paths += [base, base + "/canonical"]
        return paths

    def scan_all(self):
        """{path: body text} of every public output."""
        out = {}
        for p in self.public_paths():
            st, _, body = self.get(p)
            if st != 200:
                raise AssertionError("GET %s: %s %s" % (p, st, body[:200]))
            out[p] = body.decode("utf-8")
        return out

    def export(self, dest):
        """Run `qf-disclosure --export dest` against this store."""
        return self.cluster.run([binary("qf-disclosure"), "--config", self.config,
                                 "--export", dest], timeout=60)


def sse_read(port, path="/v1/events/stream", headers=None, until=None, timeout=10):
    """Read Server-Sent Events until until(events) is true; returns the list
    of (id, event, data) parsed so far."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout * SLOW)
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    if r.status != 200:
        raise AssertionError("SSE %s: %s" % (path, r.status))
    events, cur, buf = [], {}, b""
    deadline = time.time() + timeout * SLOW
    try:
        while time.time() < deadline:
            chunk = r.fp.readline()
            if not chunk:
                break
            line = chunk.decode("utf-8").rstrip("\r\n")
            if line == "":
                if cur.get("event") or cur.get("data"):
                    events.append((cur.get("id"), cur.get("event", "message"),
                                   cur.get("data", "")))
                    if until and until(events):
                        return events
                cur = {}
            elif line.startswith(":"):
                events.append((None, "comment", line[1:].strip()))
                if until and until(events):
                    return events
            else:
                k, _, v = line.partition(":")
                cur[k] = v[1:] if v.startswith(" ") else v
    finally:
        conn.close()
    raise AssertionError("SSE: condition not met; got %r" % events[-10:])


def _surname_mask(name):
    return (name[0] + "**") if name else "匿名"


def _phone_mask(phone):
    d = "".join(ch for ch in phone if ch.isdigit())
    return d[:3] + "****" + d[-4:] if len(d) >= 11 else ""


def fill_sample(src, quarter="2026Q3"):
    """A realistic community: the sample petitions moved through their
    states, a quarter of ledger entries with a balance statement, notices,
    a medical-aid list with a correction, the roster, an audit checkpoint.
    Returns {"cases": [...ids], "records": {...}}."""
    data = os.path.join(os.path.dirname(__file__), "..", "data", "petitions.jsonl")
    rows = [json.loads(l) for l in pathlib.Path(data).read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["expect"] == "accept"]
    now = now_ms()
    heads = {"B01": "s04", "B02": "s04", "B03": "s04", "B04": "s04", "S01": "s04",
             "B05": "s05", "B06": "s05", "B07": "s05", "B08": "s05", "Y02": "s05",
             "B09": "s06", "B10": "s06", "B11": "s06", "B12": "s06", "Y01": "s06"}
    route = {"integrity_report": "s02", "rental_dispute": "s08", "policy_inquiry": "s07"}
    hours = {"safety_hazard": (2, 24), "public_order": (2, 48), "sanitation_hazard": (24, 72),
             "facility_repair": (24, 72), "policy_inquiry": (24, 72),
             "neighbor_dispute": (24, 168), "rental_dispute": (24, 168),
             "integrity_report": (24, 360)}
    cases = []
    for i, r in enumerate(rows):
        cid = new_case_id()
        cases.append(cid)
        sub = now - (len(rows) - i) * 5 * HOUR
        b, cat = r["building"], r["category"]
        src.petition(cid, cat, b, description=r["description"], address=r.get("address", ""),
                     name_masked="匿名" if r["anonymous"] else _surname_mask(r["name"]),
                     phone_masked="" if r["anonymous"] else _phone_mask(r["phone"]),
                     anonymous=r["anonymous"], consent_public=(i % 9 != 4),
                     submitted_ms=sub)
        who = route.get(cat, heads[b])
        rh, sh = hours[cat]
        due = dict(respond_due_ms=sub + rh * HOUR, resolve_due_ms=sub + sh * HOUR,
                   category=cat, priority="sensitive" if cat == "integrity_report" else "normal")
        src.transition("CASE_ASSIGNED", cid, b, to="assigned", frm="submitted", assignee=who,
                       at_ms=sub + 60000, actor="system", **due)
        step = i % 6
        if step == 5:
            continue  # waits for acceptance (some become overdue)
        src.transition("CASE_ACCEPTED", cid, b, to="accepted", frm="assigned", assignee=who,
                       owner=who, at_ms=sub + (20 + i * 7) * 60000, actor=who, **due)
        if step in (1, 2, 3, 4):
            src.transition("CASE_PROGRESS", cid, b, to="in_progress", frm="accepted",
                           assignee=who, at_ms=sub + 2 * HOUR, actor=who,
                           cause="现场查看，确认情况属实", progress="已联系相关责任方，约定处理时间",
                           **due)
        if step in (2, 3, 4):
            src.transition("CASE_RESOLVED", cid, b, to="resolved", frm="in_progress",
                           assignee=who, at_ms=sub + (3 + i % 30) * HOUR, actor=who,
                           result="问题已处理完毕，已回访确认", **due)
        if step in (3, 4):
            rating = 5 if i % 4 else 2
            src.transition("CASE_RATED", cid, b, assignee=who, at_ms=sub + 40 * HOUR,
                           actor="petitioner", rating=rating, comment="处理及时，谢谢社区"
                           if rating >= 4 else "问题没有彻底解决", **due)
            if rating >= 4:
                src.transition("CASE_CLOSED", cid, b, to="closed", frm="resolved",
                               assignee=who, at_ms=sub + 40 * HOUR + 1000, actor="system",
                               **due)
            else:
                src.transition("CASE_REOPENED", cid, b, to="reopened", frm="resolved",
                               assignee=who, at_ms=sub + 40 * HOUR + 1000, actor="system",
                               reason="群众评价不满意，重新办理", **due)
    # warnings on the oldest waiting case
    src.warning(cases[5], rows[5]["building"], kind="DEADLINE_RESPOND", permille=1000,
                breached=True, assignee=heads.get(rows[5]["building"], "s04"))
    src.raw("router", "HOTSPOT_WARNING", key="S01",
            payload={"category": "public_order", "building": "S01", "count": 3,
                     "window_hours": 24, "case_ids": cases[:3], "at_ms": now})
    src.raw("router", "DUTY_QUOTA", key="s02",
            payload={"staff_id": "s02", "duty": "household_visits",
                     "month": quarter[:4] + "-09", "done": 12, "target": 15,
                     "expected_by_now": 10, "behind": False, "at_ms": now})
    # three affairs
    y = quarter[:4]
    recs = {"ledger": [], "list": new_record_id(), "notice": new_record_id()}
    entries = [("07-03", True, 5000000, "街道办拨付第三季度办公经费", "街道办事处", "J2026-031"),
               ("07-15", False, 128000, "购买消防器材（灭火器20具）", "平安消防器材店", "F2026-101"),
               ("08-02", False, 86050, "3栋楼道照明维修", "明亮电器维修部", "F2026-102"),
               ("08-20", True, 300000, "驻社区单位共建捐赠", "凉水井供电所", "J2026-032"),
               ("09-10", False, 452000, "中秋节慰问困难群众（米油）", "便民超市", "F2026-103")]
    for d, inc, amt, why, who, v in entries:
        rid = new_record_id()
        recs["ledger"].append(rid)
        src.ledger(rid, "%s-%s" % (y, d), inc, amt, why, who, v)
    # a correction: the repair cost was entered wrong
    src.ledger(recs["ledger"][2], "%s-08-02" % y, False, 68050, "3栋楼道照明维修",
               "明亮电器维修部", "F2026-102", version=2,
               correction_reason="发票金额录入错误，按发票更正为680.50元")
    opening = 2350000
    closing = opening + 5000000 + 300000 - 128000 - 68050 - 452000
    recs["balance"] = new_record_id()
    src.balance(recs["balance"], quarter, opening, closing)
    src.disclosure(recs["notice"], "DISCLOSURE_NOTICE",
                   notice={"affair": "party", "title": "关于召开第三季度党员大会的通知",
                           "body": "全体党员于9月28日下午2:30在社区会议室参加党员大会，议题：述责述廉评议。",
                           "date": "%s-09-20" % y})
    src.disclosure(new_record_id(), "DISCLOSURE_NOTICE",
                   notice={"affair": "residential", "title": "老旧小区改造意见征集",
                           "body": "5-8栋外墙及管网改造方案已张贴于各单元门口，请居民于10月15日前提出意见，咨询电话0818-2100003。",
                           "date": "%s-09-25" % y})
    items = [{"name": "蒋*华", "building": "B05", "detail": "慢性病门诊费用", "amount_fen": 150000},
             {"name": "袁*英", "building": "B09", "detail": "住院自付部分", "amount_fen": 320000},
             {"name": "任*", "building": "Y01", "detail": "重大疾病救助", "amount_fen": 500000}]
    src.disclosure(recs["list"], "DISCLOSURE_LIST",
                   list={"title": "第三季度医疗救助拟救助对象公示", "list_kind": "medical_aid",
                         "period": quarter, "items": items})
    src.disclosure(recs["list"], "DISCLOSURE_LIST", version=2,
                   correction_reason="经群众质询核实，任*家庭不符合条件，予以撤销",
                   list={"title": "第三季度医疗救助拟救助对象公示", "list_kind": "medical_aid",
                         "period": quarter, "items": items[:2]})
    for sid, (role, name, post) in STAFF.items():
        src.disclosure(new_record_id(), "DISCLOSURE_ROSTER",
                       roster={"staff_id": sid, "name": name, "post": post,
                               "responsibilities": "负责%s相关工作" % post,
                               "duty": "周一至周五 8:30-17:30",
                               "office_phone": "0818-21000%02d" % int(sid[1:])})
    if "audit" in src.em:
        src.raw("audit", "AUDIT_CHECKPOINT", key="audit",
                payload={"origin": "qingfeng.example/audit", "size": 120,
                         "root_hash": "ab" * 32, "note": "qingfeng.example/audit\n120\n...",
                         "at_ms": now + 10 * 60000})
        src.raw("audit", "AUDIT_ALERT", key="audit",
                payload={"kind": "ALERT_CLOSED_WITHOUT_FEEDBACK", "case_id": cases[1],
                         "staff_id": "s04", "detail": "案件未经群众评价即结案", "at_ms": now})
    return {"cases": cases, "records": recs}


