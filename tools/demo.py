#!/usr/bin/env python3
"""demo.py (make demo): fill a running qingfeng, through intake's HTTP API
only, with the sample community's petitions and move some of them through
their states, plus a quarter of the financial ledger, notices, a
medical-aid list, the staff roster and a few supervisor visits, so that the
public board, the statistics and the live dashboard show real content.

Start the system first (`make run` in another terminal). Re-running is
harmless: every request carries an Idempotency-Key derived from its content,
so intake answers repeats with the first answer instead of new records.

    QF_INTAKE=http://127.0.0.1:8080 QF_BOARD=http://127.0.0.1:8083 make demo
"""
import hashlib
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

INTAKE = os.environ.get("QF_INTAKE", "http://127.0.0.1:8080").rstrip("/")
BOARD = os.environ.get("QF_BOARD", "http://127.0.0.1:8083").rstrip("/")
HERE = os.path.dirname(os.path.abspath(__file__))
PETITIONS = os.path.join(HERE, "..", "tests", "data", "petitions.jsonl")


def call(method, path, body=None, token=None, headers=None, key=None):
    h = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        h["Content-Type"] = "application/json"
        h["Idempotency-Key"] = key or hashlib.sha256(
            (method + path).encode() + data).hexdigest()[:40]
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    req = urllib.request.Request(INTAKE + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, json.loads(r.read().decode("utf-8") or "null")
    except urllib.error.HTTPError as e:
        raw = e.read().decode("utf-8", "replace")
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, {"message": raw}


def token(staff_id):
    return "qf-dev-" + staff_id  # development tokens (config/staff-tokens.cfg)


def wait_ready():
    for _ in range(50):
        try:
            st, _ = call("GET", "/readyz")
            if st == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("demo: intake is not answering at %s (start it with `make run`)" % INTAKE)


def petitions():
    out = {"accepted": [], "spam": 0, "invalid": 0}
    with open(PETITIONS, encoding="utf-8") as f:
        rows = [json.loads(l) for l in f if l.strip()]
    for i, p in enumerate(rows):
        want = p.pop("expect")
        p["consent_public"] = i % 5 != 3  # most residents agree to public display
        # counter, patrol and phone petitions are entered by staff: here the
        # integrity supervisor, who takes petitions on patrol
        staff = token("s02") if p.get("channel") in ("counter", "patrol", "phone") else None
        st, r = call("POST", "/v1/petitions", p, staff)
        if st == 201:
            out["accepted"].append((p, r))
        elif st == 422 and r.get("code") == "rejected_as_spam":
            out["spam"] += 1
        else:
            out["invalid"] += 1
        if want == "accept" and st != 201:
            print("demo: petition %d was not accepted: %s %s" % (i, st, r.get("detail")))
    return out


def assignee(case_id):
    for _ in range(50):
        st, c = call("GET", "/v1/cases/" + case_id, token=token("s01"))
        if st == 200 and c.get("assignee"):
            return c["assignee"]
        time.sleep(0.1)
    return None


def move(accepted):
    """Accept the first 12, note progress on 9, resolve 7, rate 5 of them."""
    counts = {"accepted": 0, "progress": 0, "resolved": 0, "rated": 0}
    notes = [("楼道照明线路老化", "已安排电工检修", "正在更换线路"),
             ("住户临时堆放", "已上门沟通并张贴告示", "大部分杂物已清理"),
             ("设施年久失修", "已联系物业维修班组", "维修材料已到位")]
    ratings = [5, 5, 4, 3, 2]
    for n, (p, r) in enumerate(accepted[:12]):
        case = r["case_id"]
        who = assignee(case)
        if not who:
            continue
        st, _ = call("POST", "/v1/cases/%s/actions" % case, {"action": "accept"}, token(who))
        counts["accepted"] += st == 200
        if n >= 9:
            continue
        cause, progress, result = notes[n % len(notes)]
        st, _ = call("POST", "/v1/cases/%s/actions" % case,
                     {"action": "progress", "cause": cause, "progress": progress,
                      "result": result}, token(who))
        counts["progress"] += st == 200
        if n >= 7:
            continue
        st, _ = call("POST", "/v1/cases/%s/actions" % case,
                     {"action": "resolve", "result": "问题已处理完毕，已回访现场确认"}, token(who))
        counts["resolved"] += st == 200
        if n >= 5:
            continue
        st, _ = call("POST", "/v1/track/%s/feedback" % r["tracking_code"],
                     {"rating": ratings[n], "comment": "处理及时" if ratings[n] >= 4
                      else "还有遗留问题"}, headers={"X-Tracking-Secret": r["secret"]})
        counts["rated"] += st == 200
    return counts


LEDGER = [  # 2026 Q3, amounts in fen
    ("2026-07-02", "income", 5000000, "街道办拨付第三季度办公经费", "街道办事处", "PZ-2026-0702-01"),
    ("2026-07-08", "income", 1200000, "党建工作经费", "街道党工委", "PZ-2026-0708-01"),
    ("2026-07-15", "expense", 128050, "更换3栋楼道声控灯", "明亮五金店", "PZ-2026-0715-03"),
    ("2026-07-28", "expense", 356000, "东院车棚电路改造", "平安电器维修部", "PZ-2026-0728-02"),
    ("2026-08-06", "expense", 98000, "夏季防汛物资采购", "惠民日杂店", "PZ-2026-0806-01"),
    ("2026-08-19", "expense", 450000, "西院化粪池清掏", "洁净环卫服务队", "PZ-2026-0819-04"),
    ("2026-09-03", "expense", 216000, "老年活动室空调维修", "清凉制冷服务部", "PZ-2026-0903-02"),
    ("2026-09-20", "income", 300000, "辖区单位共建捐赠", "平安街商户联合会", "PZ-2026-0920-01"),
    ("2026-09-26", "expense", 182500, "重阳节慰问高龄老人", "福寿食品店", "PZ-2026-0926-03"),
]
OPENING = 2865400


def affairs():
    made = 0
    balance = OPENING
    first_id = None
    for d, direction, amt, reason, cp, v in LEDGER:
        st, r = call("POST", "/v1/disclosures/ledger", {"kind": "ledger", "ledger": {
            "date": d, "direction": direction, "amount_fen": amt, "reason": reason,
            "counterparty": cp, "voucher": v}}, token("s01"))
        made += ok(st, r, "ledger " + v)
        first_id = first_id or (r or {}).get("record_id")
        balance += amt if direction == "income" else -amt
    # a correction: the first entry's voucher number was mistyped
    if first_id:
        st, r = call("POST", "/v1/disclosures/%s/corrections" % first_id, {
            "correction_reason": "凭证号录入有误，更正", "kind": "ledger", "ledger": {
                "date": "2026-07-02", "direction": "income", "amount_fen": 5000000,
                "reason": "街道办拨付第三季度办公经费", "counterparty": "街道办事处",
                "voucher": "PZ-2026-0702-02"}}, token("s01"))
        made += ok(st, r, "ledger correction")
    st, r = call("POST", "/v1/disclosures/balance", {"kind": "balance", "balance": {
        "quarter": "2026Q3", "opening_fen": OPENING, "closing_fen": balance,
        "account": "社区居委会基本户", "as_of": "2026-09-30"}}, token("s01"))
    made += ok(st, r, "balance")
    for affair, title, body, d in (
            ("party", "第三季度党员大会决议公开", "会议审议通过了楼道照明改造和老年活动室维修两项民生实事。", "2026-09-28"),
            ("residential", "西院化粪池清掏完成公告", "西院化粪池已于8月19日完成清掏，费用已列入第三季度财务公开。", "2026-08-20")):
        st, r = call("POST", "/v1/disclosures/notice", {"kind": "notice", "notice": {
            "affair": affair, "title": title, "body": body, "date": d}}, token("s01"))
        made += ok(st, r, "notice")
    st, r = call("POST", "/v1/disclosures/list", {"kind": "list", "list": {
        "title": "2026年第三季度医疗救助申请名单", "list_kind": "medical_aid", "period": "2026Q3",
        "items": [{"name": "钱**", "building": "B05", "detail": "慢性病长期用药", "amount_fen": 150000},
                  {"name": "孔**", "building": "B09", "detail": "住院自付部分", "amount_fen": 320000},
                  {"name": "严**", "building": "Y02", "detail": "重大疾病救助", "amount_fen": 500000}]}},
        token("s07"))
    made += ok(st, r, "medical-aid list")
    for s in roster():
        st, r = call("POST", "/v1/disclosures/roster", {"kind": "roster", "roster": {
            "staff_id": s["id"], "name": s["name"], "post": s.get("post", ""),
            "responsibilities": s.get("responsibilities", ""), "duty": s.get("duty", ""),
            "office_phone": s.get("phone", "")}}, token("s01"))
        made += ok(st, r, "roster " + s["id"])
    return made


def ok(st, r, what):
    if st in (200, 201):
        return 1
    print("demo: %s not recorded: %s %s" % (what, st, (r or {}).get("detail")))
    return 0


def roster():
    """The staff of the community file (the roster the secretary publishes)."""
    path = os.path.join(HERE, "..", "config", "community.cfg")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    staff = text[text.index("staff = ("):text.index("buildings = (")]
    out = []
    for group in re.findall(r"\{([^{}]*)\}", staff):
        fields = dict(re.findall(r'(\w+) = "([^"]*)"', group))
        if "id" in fields:
            out.append(fields)
    return out


def visits():
    made = 0
    for i, (place, b) in enumerate((("5栋302户", "B05"), ("9栋101户", "B09"), ("东院12号", "Y01"),
                                    ("2栋501户", "B02"))):
        st, r = call("POST", "/v1/visits", {"date": "2026-11-%02d" % (3 + i * 5), "place": place,
                                            "building": b, "household": True,
                                            "findings": "走访了解居民诉求，无新增问题。"},
                     token("s02"))
        made += ok(st, r, "visit")
    return made


DEMO_ACCOUNTS = (("s01", "秘书"), ("s02", "监督员"), ("s04", "1-4栋楼长"))


def accounts():
    """Sign-in accounts for the workbench (/staff/login): the secretary
    opens them through the accounts page's form, as a person would, here
    with the development token. The passwords are printed: a demo only."""
    made = []
    for staff, post in DEMO_ACCOUNTS:
        pw = "demo-%s-qingfeng" % staff
        data = ("staff=%s&password=%s" % (staff, pw)).encode()
        req = urllib.request.Request(INTAKE + "/staff/accounts", data=data, method="POST",
                                     headers={"Authorization": "Bearer " + token("s01"),
                                              "Content-Type":
                                              "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                st = r.status
        except urllib.error.HTTPError as e:
            st = e.code
        if st in (200, 303):
            made.append("%s (%s) / %s" % (staff, post, pw))
        else:
            print("demo: account %s not opened: HTTP %d" % (staff, st))
    return made


def main():
    wait_ready()
    p = petitions()
    print("demo: %d petitions accepted, %d held as spam, %d rejected as invalid"
          % (len(p["accepted"]), p["spam"], p["invalid"]))
    m = move(p["accepted"])
    print("demo: %(accepted)d accepted, %(progress)d with progress notes, "
          "%(resolved)d resolved, %(rated)d rated by residents" % m)
    print("demo: %d disclosure records (ledger quarter with a correction, balance, "
          "notices, medical-aid list, roster)" % affairs())
    print("demo: %d supervisor household visits" % visits())
    print("demo: open %s/ (public board), %s/stats, %s/live (dashboard)" % (BOARD, BOARD, BOARD))
    made = accounts()
    print("demo: residents submit at %s/ ; staff sign in at %s/staff/login with: %s"
          % (INTAKE, INTAKE, "; ".join(made) or "(no account opened)"))


if __name__ == "__main__":
    main()
