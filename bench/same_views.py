"""same_views.py A_URL B_URL [CASES]: are two disclosure replicas of the same
events byte-identical? Used by bench-disclosure.sh DISCLOSURE_BENCH_VS: the
baseline build's replica (B) and this build's (A) rebuilt from the same
events; a change to the apply path must not change what they show.

Compares, byte for byte, the case list pages, every listed case's JSON and
HTML page (up to CASES, default 200, spread over the list), the filtered
lists and the statistics; JSON bodies have the fields that are each
replica's own (its clock, its address) removed first. Prints one line
"identical N of N views" (or the first differences) and exits 1 on any
difference."""
import json
import re
import sys
import urllib.request

VOLATILE = {"now_ms", "question_url", "announcement", "viewers", "at_ms_now"}


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return r.read()


def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v


def norm(base, body, path):
    if path.startswith("/v1/"):
        return json.dumps(strip(json.loads(body)), ensure_ascii=False, sort_keys=True).encode()
    # pages name their own address; nothing else of theirs may differ
    return re.sub(re.escape(base).encode(), b"BASE", body)


def main():
    a, b = sys.argv[1], sys.argv[2]
    want = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    first = json.loads(get(a, "/v1/public/cases?page_size=100"))
    total = first["total"]
    paths = ["/v1/public/cases?page_size=100", "/v1/public/cases?state=open&page_size=100",
             "/v1/public/cases?category=facility_repair&page=3",
             "/v1/public/cases?overdue=1", "/v1/public/stats"]
    ids = [c["id"] for c in first["items"]]
    pages = max(1, (total + 99) // 100)
    step = max(1, pages // 10)
    for p in range(2, pages + 1, step):
        path = "/v1/public/cases?page_size=100&page=%d" % p
        paths.append(path)
        ids += [c["id"] for c in json.loads(get(a, path))["items"]]
    ids = ids[:: max(1, len(ids) // want)][:want]
    for cid in ids:
        paths += ["/v1/public/cases/" + cid, "/cases/" + cid]
    bad = []
    for p in paths:
        if norm(a, get(a, p), p) != norm(b, get(b, p), p):
            bad.append(p)
    if bad:
        print("DIFFERENT %d of %d views, first: %s" % (len(bad), len(paths), " ".join(bad[:5])))
        return 1
    print("identical %d of %d views (%d cases)" % (len(paths), len(paths), len(ids)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
