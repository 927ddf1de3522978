"""Tamper evidence end to end with the real audit service: a ledger change
is announced (SNAPSHOT_PUBLISHED) in the same transaction, audit logs the
announcement as a leaf and signs a checkpoint, disclosure finds the leaf and
shows the checkpoint that includes it, and the test checks the whole chain
itself: the leaf is our announcement carrying the hash of the canonical
bytes we serve, and its RFC 9162 inclusion proof leads to the checkpoint's
root hash shown on the page."""
import base64
import hashlib
import os
import unittest

from tests.harness.qf import BIN, Cluster, binary, free_port, source_block, wait_until
from tests.harness.svc_disclosure import Disclosure, Sources, new_record_id


class _Endpoint:
    def __init__(self, name):
        self.name = name
        self.pub = "tcp://127.0.0.1:%d" % free_port()
        self.replay = "tcp://127.0.0.1:%d" % free_port()


def _verify_inclusion(index, size, leaf_hash, path, root):
    """RFC 9162 section 2.1.3.2, written here, not taken from the code
    under test."""
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


@unittest.skipUnless(os.path.exists(os.path.join(BIN, "qf-audit")), "qf-audit not built")
class AuditChainTest(unittest.TestCase):
    def test_snapshot_is_in_a_signed_checkpoint(self):
        with Cluster("daudit") as c:
            src = Sources(c, names=("intake", "router"))
            audit = _Endpoint("audit")
            audit_http = free_port()
            d = Disclosure(c, src.all() + [audit], wait=False,
                           disclosure_extra='audit_url = "http://127.0.0.1:%d";' % audit_http)
            cfg = c.write("audit.cfg", """
service = { node = "audit"; data_dir = "data/audit"; log_level = "debug"; };
http = { port = %d; threads = 2; };
bus = { pub = "%s"; replay = "%s"; heartbeat_ms = 200; %s };
checkpoint = { every_entries = 2; every_seconds = 1; };
""" % (audit_http, audit.pub, audit.replay, source_block(*(src.all() + [d]))))
            a = c.start("audit", [binary("qf-audit"), "--config", cfg], http_port=audit_http)
            a.wait_ready()
            d.proc.wait_ready()
            rid = new_record_id()
            src.ledger(rid, "2026-07-03", True, 500000, "街道拨付办公经费")
            src.balance(new_record_id(), "2026Q3", 0, 500000)
            d.sync(src)

            def linked():
                s = d.json("/v1/public/ledger/2026Q3")["snapshot"]
                cp = s["announcement"].get("checkpoint")
                return s if cp and cp.get("basis") == "leaf" and s["version"] == 2 else None
            snap = wait_until(linked, timeout=30, what="announcement found in the audit log")
            an = snap["announcement"]
            leaf, cp = an["leaf_index"], an["checkpoint"]
            self.assertGreater(cp["size"], leaf)
            # the leaf is our announcement, carrying the hash of what we serve
            st, lj = a.json("GET", "/v1/leaves/%d" % leaf)
            self.assertEqual(st, 200)
            self.assertEqual(lj["producer"], "disclosure")
            self.assertEqual(lj["partition"], an["partition"])
            self.assertEqual(lj["seq"], an["seq"])
            self.assertEqual(lj["type"], "SNAPSHOT_PUBLISHED")
            payload = lj["event"]["payload"]
            self.assertEqual(payload["sha256"], snap["sha256"])
            st, _, canon = d.get("/v1/public/snapshots/ledger_quarter/2026Q3/canonical")
            self.assertEqual(hashlib.sha256(canon).hexdigest(), payload["sha256"])
            # and the inclusion proof leads to the root shown on our page
            st, pj = a.json("GET", "/v1/proof/inclusion?index=%d&size=%d" % (leaf, cp["size"]))
            self.assertEqual(st, 200)
            root = bytes.fromhex(cp["root_hash"])
            self.assertEqual(base64.b64decode(pj["root"]), root)
            self.assertTrue(_verify_inclusion(
                leaf, cp["size"], base64.b64decode(pj["leaf_hash"]),
                [base64.b64decode(p) for p in pj["proof"]], root))
            self.assertEqual(base64.b64decode(pj["leaf_hash"]),
                             hashlib.sha256(b"\x00" + base64.b64decode(lj["data"])).digest())
            page = d.html("/affairs/ledger/2026Q3")
            self.assertIn("审计日志第 %d 条记录" % leaf, page)
            self.assertIn("查看包含证明", page)
            self.assertIn(cp["root_hash"], page)


if __name__ == "__main__":
    unittest.main()


class AuditLinksTest(unittest.TestCase):
    """The audit log's address on public pages is the public one
    (disclosure.audit_public_url), not the internal address this service
    fetches from (in containers that is http://audit:8084)."""

    def test_public_audit_address(self):
        with Cluster("disclosure-auditurl") as c:
            src = Sources(c, names=("intake", "router"))
            d = Disclosure(c, src.all(), disclosure_extra=(
                'audit_url = "http://audit.internal:8084"; audit_link = false; '
                'audit_public_url = "https://audit.lsj.example.cn";'))
            st, j = d.proc.json("GET", "/v1/public/checkpoints")
            self.assertEqual(st, 200, j)
            self.assertEqual(j["audit_url"], "https://audit.lsj.example.cn")
            for path in ("/", "/affairs", "/v1/public/checkpoints"):
                st, _, body = d.proc.request("GET", path)
                self.assertNotIn(b"audit.internal", body, path)
