#!/usr/bin/env python3
"""pipeline-check.py: one petition through a running qingfeng, end to end.

Used by docker/container-test.sh against the pod, the kube-play pod and the
compose project; usable by an operator after a deployment or an upgrade:

    docker/pipeline-check.py --intake http://localhost:8080 \\
        --disclosure http://localhost:8083 [--router URL --audit URL] \\
        [--token qf-dev-s04] [--timeout 60]

Submits one petition through intake's API, then waits until it is assigned
(intake's follow view with the petition's tracking secret, and the router's
staff view when --router and --token are given), listed on the public board
(disclosure's /v1/public/cases) and logged by audit (the case's history holds
PETITION_SUBMITTED and CASE_ASSIGNED, and a signed checkpoint covers them).
Prints one line per step; exit 0 when every step passed, 1 otherwise.
Standard library only.

--save FILE keeps the petition's ids; --again FILE (after a restart or an
upgrade) submits nothing and checks that the saved case is still followed by
intake with its secret, still on the board, and that audit saw no producer
come back with a new incarnation (which a lost store would be).
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def call(method, url, body=None, headers=None, timeout=10):
    """(status, decoded JSON or None)."""
    h = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    except (urllib.error.URLError, OSError):
        return 0, None
    try:
        return status, json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        return status, None


def wait(what, pred, deadline):
    """Poll pred() until it returns something true; print the step."""
    start = time.time()
    last = None
    while time.time() < deadline:
        try:
            last = pred()
        except Exception as e:  # a half-started service: keep polling
            last = e
            got = None
        else:
            got = last
        if got:
            print("pipeline-check: ok   %-44s (%.1fs)" % (what, time.time() - start))
            return got
        time.sleep(0.3)
    print("pipeline-check: FAIL %-44s (last: %r)" % (what, last))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--intake", required=True)
    ap.add_argument("--disclosure", required=True)
    ap.add_argument("--router")
    ap.add_argument("--audit")
    ap.add_argument("--token", default="", help="a building head's staff token (router view)")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--building", default="B03")
    ap.add_argument("--save", help="write the petition's ids here (JSON)")
    ap.add_argument("--again", help="check a saved petition instead of submitting one")
    a = ap.parse_args()
    deadline = time.time() + a.timeout
    ok = True
    if a.again:
        return again(a, deadline)

    for name, url in (("intake", a.intake), ("router", a.router),
                      ("disclosure", a.disclosure), ("audit", a.audit)):
        if url and not wait("%s ready" % name,
                            lambda u=url: call("GET", u + "/readyz")[0] == 200, deadline):
            return 1

    audit_before = 0
    if a.audit:
        st, log = call("GET", a.audit + "/v1/log")
        audit_before = log["size"] if st == 200 else 0

    petition = {
        "category": "facility_repair", "building": a.building,
        "address": "%s 2单元楼道" % a.building,
        "description": "2单元楼道的声控灯坏了一个星期，晚上上下楼看不见台阶。",
        "name": "部署检查", "phone": "13800000000", "channel": "app",
    }
    key = "pipeline-check-%d" % int(time.time() * 1000)
    st, ans = call("POST", a.intake + "/v1/petitions", petition, {"Idempotency-Key": key})
    if st not in (200, 201, 202) or not ans or "case_id" not in ans:
        print("pipeline-check: FAIL petition submitted (HTTP %s: %r)" % (st, ans))
        return 1
    cid, code, secret = ans["case_id"], ans["tracking_code"], ans.get("secret", "")
    print("pipeline-check: ok   petition submitted: %s %s (HTTP %d)" % (cid, code, st))
    if a.save:
        with open(a.save, "w") as f:
            json.dump({"case_id": cid, "tracking_code": code, "secret": secret}, f)

    def followed():
        st, v = call("GET", "%s/v1/track/%s" % (a.intake, code),
                     headers={"X-Tracking-Secret": secret})
        return st == 200 and v.get("status") == "assigned" and v
    v = wait("assigned (intake follow view)", followed, deadline)
    ok &= bool(v)
    if v:
        print("pipeline-check:      handler %s" % json.dumps(v.get("handler"), ensure_ascii=False))

    if a.router and a.token:
        def staff_view():
            st, c = call("GET", "%s/v1/cases/%s" % (a.router, cid),
                         headers={"Authorization": "Bearer " + a.token})
            return st == 200 and c.get("state") == "assigned"
        ok &= bool(wait("assigned (router staff view)", staff_view, deadline))

    def board():
        st, page = call("GET", a.disclosure + "/v1/public/cases?page_size=100")
        return st == 200 and any(i.get("id") == cid for i in page.get("items", []))
    ok &= bool(wait("on the public board (disclosure)", board, deadline))

    if a.audit:
        def logged():
            st, h = call("GET", "%s/v1/cases/%s/history" % (a.audit, cid))
            types = [leaf.get("type") for leaf in (h or {}).get("leaves", [])] if st == 200 else []
            return "PETITION_SUBMITTED" in types and "CASE_ASSIGNED" in types and h
        h = wait("in the audit log (case history)", logged, deadline)
        ok &= bool(h)
        if h:
            last = max(leaf["index"] for leaf in h["leaves"])

            def signed():
                st, log = call("GET", a.audit + "/v1/log")
                return st == 200 and log["checkpoint"]["size"] > last and log
            log = wait("covered by a signed checkpoint", signed, deadline)
            ok &= bool(log)
            if log:
                print("pipeline-check:      audit log size %d -> %d, checkpoint %d" %
                      (audit_before, log["size"], log["checkpoint"]["size"]))

    print("pipeline-check: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


def again(a, deadline):
    with open(a.again) as f:
        saved = json.load(f)
    cid, code = saved["case_id"], saved["tracking_code"]
    ok = True
    for name, url in (("intake", a.intake), ("disclosure", a.disclosure), ("audit", a.audit)):
        if url and not wait("%s ready again" % name,
                            lambda u=url: call("GET", u + "/readyz")[0] == 200, deadline):
            return 1

    def followed():
        st, v = call("GET", "%s/v1/track/%s" % (a.intake, code),
                     headers={"X-Tracking-Secret": saved["secret"]})
        return st == 200 and v.get("case_id") == cid
    ok &= bool(wait("%s still followed (intake store kept)" % code, followed, deadline))

    def board():
        st, c = call("GET", "%s/v1/public/cases/%s" % (a.disclosure, cid))
        return st == 200
    ok &= bool(wait("still on the public board", board, deadline))
    if a.audit:
        st, al = call("GET", a.audit + "/v1/alerts?kind=new_incarnation")
        fresh = [x.get("producer") for x in (al or {}).get("alerts", [])]
        if st == 200 and not fresh:
            print("pipeline-check: ok   no producer came back with a new incarnation")
        else:
            print("pipeline-check: FAIL new incarnations (a store was lost): %r" % (fresh or st))
            ok = False
    print("pipeline-check: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
