"""audit: every event of every producer becomes one leaf, byte for byte, in
an RFC 9162 tree served through the C2SP tlog-tiles layout and signed in
C2SP checkpoints. Everything the service serves is checked here with the
independent Python model in tests/harness/svc_audit.py.
"""
import base64
import json
import unittest

from tests.harness import paging
from tests.harness.qf import Cluster, Emitter, binary, wait_until
from tests.harness.svc_audit import (Audit, leaf_hash, mth, parse_checkpoint,
                                     parse_vkey, tile_path, verify_consistency,
                                     verify_inclusion)
from tests.harness.svc_router import new_case_id

try:
    from nacl.signing import VerifyKey  # optional: an independent Ed25519
except ImportError:  # pragma: no cover
    VerifyKey = None


def petition(em, cid, building="B01", **extra):
    p = {"case_id": cid, "category": "facility_repair", "building": building,
         "description": "楼道灯坏了", "channel": "app", "name_masked": "张**"}
    p.update(extra)
    return em.emit("PETITION_SUBMITTED", key=building, case_id=cid, payload=p)


def transition(em, etype, cid, building="B01", **payload):
    p = {"case_id": cid, "building": building}
    p.update(payload)
    return em.emit(etype, key=building, case_id=cid, payload=p)


class AuditLogTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("audit-log")
        self.addCleanup(self.c.close)
        self.intake = Emitter(self.c, "intake")
        self.router = Emitter(self.c, "router")

    def test_every_event_is_one_leaf_and_the_tree_checks_out(self):
        notifier, disclosure = Emitter(self.c, "notifier"), Emitter(self.c, "disclosure")
        a = Audit(self.c, [self.intake, self.router, notifier, disclosure])
        cases = [new_case_id() for _ in range(6)]
        sent = []
        for i, cid in enumerate(cases):
            b = "B0%d" % (i % 4 + 1)
            sent.append(("intake",) + petition(self.intake, cid, b))
            sent.append(("router",) + transition(self.router, "CASE_ASSIGNED", cid, b,
                                                 assignee="s04", assignee_name="李建国"))
        sent.append(("router",) + transition(self.router, "CASE_ACCEPTED", cases[0],
                                             "B01", actor={"staff_id": "s04"}))
        sent.append(("notifier",) + notifier.emit(
            "DELIVERY_DELIVERED", key="B01", case_id=cases[0],
            payload={"case_id": cases[0], "recipient_kind": "assignee", "channel": "wecom"}))
        sent.append(("disclosure",) + disclosure.emit(
            "SNAPSHOT_PUBLISHED", key="2026Q3",
            payload={"snapshot_kind": "ledger_quarter", "key": "2026Q3", "item_count": 12}))
        n = len(sent)
        self.assertEqual(a.wait_size(n), n)
        note = a.wait_checkpoint(n)
        origin, size, root, name, sig = parse_checkpoint(note)
        self.assertEqual(size, n)
        self.assertEqual(origin, "qingfeng.local/audit/v2")
        # the verifier key beside the data, and its hash in the signature
        vname, vhash, pub = parse_vkey(a.vkey())
        self.assertEqual(vname, origin)
        self.assertEqual(sig[:4], vhash)
        self.assertEqual(len(sig), 68)
        if VerifyKey:
            VerifyKey(pub).verify(note.rpartition("\n\n")[0].encode() + b"\n", sig[4:])
        # entries: exactly the events sent, each once, decoded
        entries = a.entries(n)
        hashes = [leaf_hash(e) for e in entries]
        self.assertEqual(mth(hashes), root)
        seen = set()
        for i in range(n):
            st, leaf = a.json("/v1/leaves/%d" % i)
            self.assertEqual(st, 200)
            self.assertEqual(base64.b64decode(leaf["data"]), entries[i])
            self.assertEqual(base64.b64decode(leaf["leaf_hash"]), hashes[i])
            seen.add((leaf["producer"], leaf["partition"], leaf["seq"]))
            self.assertIn(leaf["type"], ("PETITION_SUBMITTED", "CASE_ASSIGNED",
                                         "CASE_ACCEPTED", "DELIVERY_DELIVERED",
                                         "SNAPSHOT_PUBLISHED"))
            self.assertTrue(leaf["summary"])
        self.assertEqual(seen, set(sent))
        # hash tile of level 0: the leaf hashes
        st, hd, body = a.get("/" + tile_path(0, 0, n))
        self.assertEqual(st, 200)
        self.assertEqual(body, b"".join(hashes))
        self.assertIn("immutable", hd.get("cache-control", ""))
        self.assertEqual(hd.get("content-type"), "application/octet-stream")
        # a narrower partial tile is a prefix; a wider one does not exist yet
        st, _, body = a.get("/" + tile_path(0, 0, 3))
        self.assertEqual((st, body), (200, b"".join(hashes[:3])))
        st, _, _ = a.get("/" + tile_path(0, 0, n + 1))
        self.assertEqual(st, 404)
        st, _, _ = a.get("/" + tile_path(0, 0))  # the full tile: not yet
        self.assertEqual(st, 404)
        # inclusion proofs of every leaf, checked with the Python model
        for i in range(n):
            st, p = a.json("/v1/proof/inclusion?index=%d&size=%d" % (i, n))
            self.assertEqual(st, 200, p)
            proof = [base64.b64decode(x) for x in p["proof"]]
            self.assertTrue(verify_inclusion(i, n, hashes[i], proof, root), i)
            self.assertFalse(verify_inclusion(i, n, hashes[(i + 1) % n], proof, root))
        # consistency between every earlier size and now
        for m in range(1, n):
            st, p = a.json("/v1/proof/consistency?first=%d&second=%d" % (m, n))
            self.assertEqual(st, 200, p)
            proof = [base64.b64decode(x) for x in p["proof"]]
            self.assertTrue(verify_consistency(m, n, mth(hashes[:m]), root, proof), m)
            self.assertEqual(base64.b64decode(p["first_root"]), mth(hashes[:m]))
        # per-stream completeness
        st, s = a.json("/v1/streams")
        self.assertEqual(st, 200)
        by = {}
        for r in s["streams"]:
            self.assertTrue(r["complete"], r)
            by[r["producer"]] = by.get(r["producer"], 0) + r["count"]
        self.assertEqual(by, {"intake": 6, "router": 7, "notifier": 1, "disclosure": 1})

    def test_case_history_in_order_with_summaries(self):
        a = Audit(self.c, [self.intake, self.router])
        cid, other = new_case_id(), new_case_id()
        petition(self.intake, cid, "B05")
        petition(self.intake, other, "B05")
        transition(self.router, "CASE_ASSIGNED", cid, "B05", assignee="s05",
                   assignee_name="张秀英")
        transition(self.router, "CASE_PROGRESS", cid, "B05", progress="已联系物业更换灯泡",
                   actor={"staff_id": "s05", "name": "张秀英"})
        transition(self.router, "CASE_RESOLVED", cid, "B05", result="已修好")
        a.wait_size(5)
        a.wait_checkpoint(5)
        st, h = a.json("/v1/cases/%s/history?proof=1" % cid)
        self.assertEqual(st, 200, h)
        types = [l["type"] for l in h["leaves"]]
        self.assertEqual(types, ["PETITION_SUBMITTED", "CASE_ASSIGNED", "CASE_PROGRESS",
                                 "CASE_RESOLVED"])
        self.assertIn("张秀英", h["leaves"][1]["summary"])
        self.assertIn("已联系物业更换灯泡", h["leaves"][2]["summary"])
        self.assertEqual(h["leaves"][2]["event"]["payload"]["progress"], "已联系物业更换灯泡")
        root = base64.b64decode(h["checkpoint"]["root"])
        size = h["checkpoint"]["size"]
        for l in h["leaves"]:
            self.assertTrue(l["in_checkpoint"])
            data = base64.b64decode(l["data"])
            proof = [base64.b64decode(x) for x in l["proof"]]
            self.assertTrue(verify_inclusion(l["index"], size, leaf_hash(data), proof, root))
        st, e = a.json("/v1/cases/C-NO-SUCH-CASE/history")
        self.assertEqual((st, e["code"]), (404, "case_not_found"))
        # qfctl audit case proves the same, as a resident would
        r = a.qfctl("audit", "case", "--url", a.url, "--vkey", a.vkey_path(), cid)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("验证通过：4 条记录", r.stdout)
        self.assertIn("已修好", r.stdout)

    def test_checkpoints_on_demand_on_time_and_listed(self):
        a = Audit(self.c, [self.intake], checkpoint={"every_entries": 1000000})
        # only who may: no token 401, a building head 403 (checkpoint.sign)
        st, j = a.json("/v1/checkpoint", "POST")
        self.assertEqual((st, j["code"]), (401, "missing_token"))
        st, j = a.json("/v1/checkpoint", "POST", token="qf-dev-s04")
        self.assertEqual((st, j["code"]), (403, "forbidden_role"))
        # nothing new: the first (empty) checkpoint stays
        st, j = a.sign_now()
        self.assertEqual((st, j["new"], j["size"]), (200, False, 0))
        petition(self.intake, new_case_id())
        a.wait_size(1)
        st, j = a.sign_now()
        if st == 200:  # the 1-second timer may have signed it just before
            self.assertEqual(j["size"], 1)
        else:
            self.assertEqual((st, j["new"], j["size"]), (201, True, 1))
        for _ in range(3):
            petition(self.intake, new_case_id())
        a.wait_size(4)
        a.wait_checkpoint(4)  # every_seconds = 1 signs without a request
        st, j = a.json("/v1/checkpoints")
        self.assertEqual(st, 200)
        sizes = [c["size"] for c in j["checkpoints"]]
        self.assertEqual(sizes, sorted(set(sizes)))
        self.assertEqual(sizes[0], 0)
        self.assertEqual(sizes[-1], 4)
        for c in j["checkpoints"]:
            self.assertEqual(parse_checkpoint(c["note"])[1], c["size"])
        st, j = a.json("/v1/checkpoints?from=1&limit=1")
        self.assertEqual(len(j["checkpoints"]), 1)
        self.assertGreaterEqual(j["checkpoints"][0]["size"], 1)
        # the checkpoints are also events on audit's own stream
        r = a.qfctl("watch", "--from-start", "--json", "--type", "AUDIT_CHECKPOINT",
                    "--count", "2", "--timeout", "20", "%s,%s" % (a.pub, a.replay))
        self.assertEqual(r.returncode, 0, r.stderr)
        evs = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(evs[0]["payload"].get("size", 0), 0)  # proto3: zero is omitted
        self.assertIn("qingfeng.local/audit/v2", evs[0]["payload"]["note"])

    def test_restart_keeps_the_log_and_catches_up_exactly_once(self):
        a = Audit(self.c, [self.intake, self.router])
        for _ in range(5):
            petition(self.intake, new_case_id())
        a.wait_size(5)
        root5 = parse_checkpoint(a.wait_checkpoint(5))[2]
        vkey = a.vkey()
        a.stop()
        # events while audit is down are replayed when it comes back
        for _ in range(4):
            petition(self.intake, new_case_id())
        transition(self.router, "CASE_CLOSED", new_case_id())
        a.start()
        a.wait_size(10)
        a.wait_checkpoint(10)
        self.assertEqual(a.vkey(), vkey)  # the development key is kept
        st, p = a.json("/v1/proof/consistency?first=5&second=10")
        proof = [base64.b64decode(x) for x in p["proof"]]
        hashes = [leaf_hash(e) for e in a.entries(10)]
        self.assertEqual(mth(hashes[:5]), root5)
        self.assertTrue(verify_consistency(5, 10, root5, mth(hashes), proof))
        r = a.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("序号完整无缺无重复", r.stdout)
        # one pagination convention: the cursor walks every leaf exactly once
        def get(path):
            st, hd, body = a.get(path)
            return st, hd, json.loads(body)
        for limit in (1, 3, 10):
            got = paging.walk(self, get, "/v1/leaves?limit=%d" % limit, "leaves", "index")
            self.assertEqual(got, list(range(10)), limit)
        st, j = a.json("/v1/leaves?limit=3&from=8")  # deprecated alias, one release
        self.assertEqual([l["index"] for l in j["leaves"]], [8, 9])
        self.assertEqual((j["next"], j["next_cursor"]), (None, None))
        st, j = a.json("/v1/leaves?limit=4")
        self.assertEqual(j["next"], 4)
        st, j = a.json("/v1/leaves?limit=4&cursor=" + j["next_cursor"])
        self.assertEqual([l["index"] for l in j["leaves"]], [4, 5, 6, 7])
        sizes = paging.walk(self, get, "/v1/checkpoints?limit=1", "checkpoints", "size")
        self.assertEqual(sizes, sorted(set(sizes)))
        self.assertEqual(sizes[-1], 10)

    def test_bad_requests(self):
        a = Audit(self.c, [self.intake])
        petition(self.intake, new_case_id())
        a.wait_size(1)
        a.wait_checkpoint(1)
        bad_tiles = ["/tile/0/00", "/tile/0/0000", "/tile/00/000", "/tile/64/000",
                     "/tile/8/000", "/tile/0/x000/001", "/tile/0/000.p/0",
                     "/tile/0/000.p/256", "/tile/0/000.p/01", "/tile/entries/000.p/2",
                     "/tile/0/001", "/tile/", "/tile/0/-01", "/tile/entries/x001/000"]
        for p in bad_tiles:
            st, _, _ = a.get(p)
            self.assertEqual(st, 404, p)
        cases = [
            ("/v1/proof/inclusion", 400, "missing_parameter"),
            ("/v1/proof/inclusion?index=abc", 400, "bad_parameter"),
            ("/v1/proof/inclusion?index=-1", 400, "bad_parameter"),
            ("/v1/proof/inclusion?index=01", 400, "bad_parameter"),
            ("/v1/proof/inclusion?index=99999999999999999999999", 400, "bad_parameter"),
            ("/v1/proof/inclusion?index=1", 400, "index_out_of_range"),
            ("/v1/proof/inclusion?index=0&size=2", 400, "size_out_of_range"),
            ("/v1/proof/inclusion?index=0&size=0", 400, "index_out_of_range"),
            ("/v1/proof/consistency", 400, "missing_parameter"),
            ("/v1/proof/consistency?first=0&second=1", 400, "bad_range"),
            ("/v1/proof/consistency?first=2&second=1", 400, "bad_range"),
            ("/v1/proof/consistency?first=1&second=5", 400, "size_out_of_range"),
            ("/v1/leaves/1", 404, "leaf_not_found"),
            ("/v1/leaves/x", 400, "bad_parameter"),
            ("/v1/leaves/007", 400, "bad_parameter"),
            ("/v1/leaves?limit=5000", 400, "bad_parameter"),
            ("/v1/leaves?limit=0", 400, "bad_parameter"),
            ("/v1/leaves?cursor=AAAAAAAAAAA=", 400, "bad_parameter"),
            ("/v1/leaves?cursor=12", 400, "bad_parameter"),
            ("/v1/alerts?cursor=AAAAAAAAAAB", 400, "bad_parameter"),
            ("/v1/checkpoints?cursor=%2F%2F", 400, "bad_parameter"),
            ("/v1/alerts?kind=nonsense", 400, "bad_parameter"),
            ("/v1/alerts?order=sideways", 400, "bad_parameter"),
            ("/v1/checkpoints?from=x", 400, "bad_parameter"),
            ("/v1/cases/C1/history?size=9", 400, "size_out_of_range"),
        ]
        for path, status, code in cases:
            st, j = a.json(path)
            self.assertEqual(st, status, path)
            self.assertEqual(j["code"], code, path)
            self.assertTrue(j["detail"], path)
            if "cursor=" in path or "limit=" in path:
                self.assertEqual(j["field"], "cursor" if "cursor=" in path else "limit")
        st, j = a.json("/v1/log", "POST")
        self.assertEqual(st, 405)
        st, j = a.json("/v1/nothing")
        self.assertEqual(st, 404)
        # consistency with itself is an empty proof
        st, j = a.json("/v1/proof/consistency?first=1&second=1")
        self.assertEqual((st, j["proof"]), (200, []))
        st, j = a.json("/v1/leaves?from=0&limit=10")
        self.assertEqual((st, len(j["leaves"]), j["next"]), (200, 1, None))

    def test_key_and_origin_are_kept_for_life(self):
        a = Audit(self.c, [self.intake])
        petition(self.intake, new_case_id())
        a.wait_size(1)
        a.wait_checkpoint(1)
        self.assertEqual(a.stop(), 0)  # clean exit (sanitizer builds: no leaks)
        # a production key under another name cannot take over this log
        prefix = self.c.path("keys", "prod")
        r = a.qfctl("audit", "keygen", "--name", "prod.example/audit", "--out", prefix)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(a.cfg) as f:
            cfg = f.read()
        with open(a.cfg, "w") as f:
            f.write(cfg.replace("checkpoint = {", 'checkpoint = { key_file = "%s.key";' % prefix))
        r = self.c.run([binary("qf-audit"), "--config", a.cfg, "--check-config"])
        self.assertEqual(r.returncode, 0, r.stderr)
        p = self.c.start("audit-prod", [binary("qf-audit"), "--config", a.cfg])
        self.assertEqual(p.wait(20), 1)
        self.assertIn("origin_mismatch", p.output())
        # a key under the log's own name (key rotation) is accepted, loudly
        r = a.qfctl("audit", "keygen", "--name", "qingfeng.local/audit/v2", "--out", prefix + "2")
        with open(a.cfg, "w") as f:
            f.write(cfg.replace("checkpoint = {",
                                'checkpoint = { key_file = "%s2.key";' % prefix))
        a.start()
        petition(self.intake, new_case_id())
        a.wait_size(2)
        a.wait_checkpoint(2)
        self.assertIn("checkpoint_key_changed", a.proc.output())
        r = a.verify(vkey=prefix + "2.vkey")
        # the old checkpoints were signed by the old key: listed history fails
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("历史检查点", r.stdout)
        # with both keys of the rotation, everything verifies
        r = a.qfctl("audit", "verify", "--url", a.url, "--vkey", a.vkey_path(),
                    "--vkey", prefix + "2.vkey")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # the configured origin must match the key
        with open(a.cfg, "w") as f:
            f.write(cfg.replace("checkpoint = {", 'checkpoint = { key_file = "%s2.key"; '
                                'origin = "other.example/log";' % prefix))
        r = self.c.run([binary("qf-audit"), "--config", a.cfg, "--check-config"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("checkpoint.origin", r.stderr)

    def test_check_config(self):
        a_cfg = self.c.write("bad.cfg", """
service = { node = "audit"; data_dir = "d"; };
checkpoint = { key_file = "missing.key"; every_seconds = 0; origin = "has space"; };
alerts = { max_transfers = -1; colour = "red"; };
""")
        r = self.c.run([binary("qf-audit"),
                        "--config", a_cfg, "--check-config"])
        self.assertEqual(r.returncode, 1)
        for s in ("checkpoint.every_seconds", "alerts.max_transfers", "alerts.colour",
                  "checkpoint.key_file", "checkpoint.origin"):
            self.assertIn(s, r.stderr)
        self.assertIn("bad.cfg:4", r.stderr)


if __name__ == "__main__":
    unittest.main()
