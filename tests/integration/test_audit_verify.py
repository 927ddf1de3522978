"""qfctl audit verify: passes on an honest log, and fails, saying why, on a
tampered checkpoint, a tampered leaf, a tampered hash tile, a rewritten or
rolled-back history (caught with the checkpoint saved by an earlier run), a
wrong key, and a log with a hole in a producer's stream. Tampered copies are
served by a small HTTP mirror (tests/harness/svc_audit.py), as a malicious
mirror or a compromised server would serve them.
"""
import os
import shutil
import unittest

from tests.harness.qf import Cluster, Emitter, binary
from tests.harness.svc_audit import Audit, Mirror, parse_checkpoint, tile_path
from tests.harness.svc_router import new_case_id


def petitions(em, n, building="B02"):
    for _ in range(n):
        cid = new_case_id()
        em.emit("PETITION_SUBMITTED", key=building, case_id=cid,
                payload={"case_id": cid, "category": "safety_hazard", "building": building,
                         "description": "消防通道被占用"})


class AuditVerifyTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("audit-verify")
        self.addCleanup(self.c.close)
        self.intake = Emitter(self.c, "intake")
        self.a = Audit(self.c, [self.intake])
        petitions(self.intake, 300)  # more than one tile: full and partial
        self.a.wait_size(300, timeout=30)
        self.a.wait_checkpoint(300)
        self.mirror = Mirror(self.a.url)
        self.addCleanup(self.mirror.close)
        self.state = self.c.path("state", "audit.checkpoint")

    def verify(self, *extra, url=None, vkey=None):
        return self.a.verify(*extra, url=url, vkey=vkey)

    def assertFails(self, r, why):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(why, r.stdout)
        self.assertNotIn("验证通过", r.stdout)

    def test_honest_log_and_saved_state(self):
        r = self.verify("--state", self.state)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("验证通过", r.stdout)
        self.assertIn("共 300 个事件", r.stdout)
        self.assertIn("哈希瓦片", r.stdout)
        with open(self.state) as f:
            self.assertEqual(parse_checkpoint(f.read())[1], 300)
        petitions(self.intake, 20)
        self.a.wait_size(320)
        self.a.wait_checkpoint(320)
        r = self.verify("--state", self.state)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(self.state) as f:
            self.assertEqual(parse_checkpoint(f.read())[1], 320)
        # through the mirror, untouched, too: it works against any URL
        r = self.verify("--state", self.state, url=self.mirror.url)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # quick: signature and consistency proof only
        petitions(self.intake, 3)
        self.a.wait_size(323)
        self.a.wait_checkpoint(323)
        r = self.verify("--state", self.state, "--quick")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("快速", r.stdout)

    def test_tampered_checkpoint(self):
        def alter(body):
            text = body.decode()
            lines = text.split("\n")
            lines[1] = str(int(lines[1]) - 1)  # claim a smaller tree
            return "\n".join(lines).encode()
        self.mirror.alter["/checkpoint"] = alter
        self.assertFails(self.verify(url=self.mirror.url), "签名无效")

        def flip_root(body):
            text = body.decode()
            lines = text.split("\n")
            root = bytearray(lines[2].encode())
            root[5] = ord("A") if root[5] != ord("A") else ord("B")
            lines[2] = root.decode()
            return "\n".join(lines).encode()
        self.mirror.alter["/checkpoint"] = flip_root
        self.assertFails(self.verify(url=self.mirror.url), "签名无效")

    def test_tampered_leaf(self):
        path = "/" + tile_path("entries", 0)

        def alter(body):
            b = bytearray(body)
            b[40] ^= 0x01  # one bit inside the first entry
            return bytes(b)
        self.mirror.alter[path] = alter
        r = self.verify("--no-tiles", url=self.mirror.url)
        self.assertFails(r, "条目被篡改")

    def test_swapped_leaves(self):
        path = "/" + tile_path("entries", 1, 300 - 256)

        def swap(body):
            from tests.harness.svc_audit import parse_bundle
            import struct
            es = parse_bundle(body)
            es[0], es[1] = es[1], es[0]
            return b"".join(struct.pack(">H", len(e)) + e for e in es)
        self.mirror.alter[path] = swap
        self.assertFails(self.verify(url=self.mirror.url), "验证失败")

    def test_tampered_tile(self):
        path = "/" + tile_path(0, 0)

        def alter(body):
            b = bytearray(body)
            b[100] ^= 0x80
            return bytes(b)
        self.mirror.alter[path] = alter
        self.assertFails(self.verify(url=self.mirror.url), "哈希瓦片")

    def test_rewritten_history_is_caught_with_saved_state(self):
        r = self.verify("--state", self.state)
        self.assertEqual(r.returncode, 0, r.stdout)
        # a second log signed with the same key but another history (the
        # operator rebuilt it and left some events out)
        other_dir = self.c.path("data", "forged")
        os.makedirs(other_dir, exist_ok=True)
        for f in ("checkpoint.key", "checkpoint.vkey"):
            shutil.copy(os.path.join(self.a.data_dir, f), os.path.join(other_dir, f))
        em2 = Emitter(self.c, "intake-b")
        petitions(em2, 310, building="B07")
        forged = Audit(self.c, [em2], name="forged", data_dir="data/forged")
        forged.wait_size(310, timeout=30)
        forged.wait_checkpoint(310)
        # the forged log is internally consistent: alone, it verifies
        r = self.verify(url=forged.url)
        self.assertEqual(r.returncode, 0, r.stdout)
        # but not against what this user saw before
        r = self.verify("--state", self.state, url=forged.url)
        self.assertFails(r, "历史被改写")
        with open(self.state) as f:  # the saved state is kept on failure
            self.assertEqual(parse_checkpoint(f.read())[1], 300)
        r = self.verify("--state", self.state, "--quick", url=forged.url)
        self.assertFails(r, "历史被改写")

    def test_rolled_back_log(self):
        petitions(self.intake, 5)
        self.a.wait_size(305)
        self.a.wait_checkpoint(305)
        r = self.verify("--state", self.state)
        self.assertEqual(r.returncode, 0, r.stdout)
        # a mirror stuck on an older checkpoint (rollback / freeze attack)
        st, j = self.a.json("/v1/checkpoints?from=300&limit=1")
        old = j["checkpoints"][0]["note"].encode()
        self.assertEqual(parse_checkpoint(old.decode())[1], 300)
        self.mirror.alter["/checkpoint"] = lambda body: old
        self.assertFails(self.verify("--state", self.state, url=self.mirror.url), "日志变小")

    def test_leaf_too_big_for_an_entry_bundle(self):
        # a disclosure list of 2000 names is one event over 64 KiB: logged
        # byte for byte, served leaf by leaf, and verify still checks it
        items = [{"name": "居民%04d" % i, "building": "B03", "detail": "医疗救助申请，金额待核",
                  "amount_fen": 10000 + i} for i in range(2000)]
        self.intake.emit("DISCLOSURE_SUBMITTED", key="D1",
                         payload={"record_id": "D1", "version": 1, "kind": "DISCLOSURE_LIST",
                                  "list": {"title": "医疗救助名单", "list_kind": "medical_aid",
                                           "items": items}})
        self.a.wait_size(301)
        self.a.wait_checkpoint(301)
        st, j = self.a.json("/" + tile_path("entries", 1, 301 - 256))
        self.assertEqual((st, j["code"]), (409, "entry_too_large"))
        st, leaf = self.a.json("/v1/leaves/300")
        self.assertEqual(st, 200)
        self.assertGreater(leaf["bytes"], 65535)
        self.assertEqual(leaf["type"], "DISCLOSURE_SUBMITTED")
        r = self.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("共 301 个事件", r.stdout)

    def test_wrong_key_and_bad_arguments(self):
        other = self.c.path("keys", "other")
        r = self.a.qfctl("audit", "keygen", "--name", "qingfeng.local/audit/v2", "--out", other)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("qingfeng.local/audit/v2+"))
        self.assertFails(self.verify(vkey=other + ".vkey"), "没有该验证密钥")
        r = self.a.qfctl("audit", "keygen", "--name", "qingfeng.local/audit/v2", "--out", other)
        self.assertNotEqual(r.returncode, 0)  # never overwrites a key
        r = self.a.qfctl("audit", "keygen", "--name", "bad name")
        self.assertEqual(r.returncode, 2)
        # another log's key name: origin mismatch
        r = self.a.qfctl("audit", "keygen", "--name", "elsewhere.example/log")
        vkey = r.stdout.splitlines()[1]
        self.assertFails(self.verify(vkey=vkey), "没有该验证密钥")
        for args in ([], ["--url", self.a.url], ["--vkey", self.a.vkey_path()],
                     ["--url", "ftp://x", "--vkey", self.a.vkey_path()],
                     ["--url", self.a.url, "--vkey", "not-a-key"],
                     ["--url", self.a.url, "--vkey", self.a.vkey_path(), "--quick"],
                     ["--url", self.a.url, "--vkey", self.a.vkey_path(), "extra"]):
            r = self.a.qfctl("audit", "verify", *args)
            self.assertEqual(r.returncode, 2, args)
        r = self.a.qfctl("audit", "nonsense")
        self.assertEqual(r.returncode, 2)
        # a server that is not there
        r = self.verify(url="http://127.0.0.1:1")
        self.assertEqual(r.returncode, 1)
        # a corrupted state file is refused, not overwritten
        with open(self.state, "w") as f:
            f.write("qingfeng.local/audit\n1\nAAAA\n\n— qingfeng.local/audit AAAA\n")
        r = self.verify("--state", self.state)
        self.assertEqual(r.returncode, 1)
        with open(self.state) as f:
            self.assertIn("AAAA", f.read())


if __name__ == "__main__":
    unittest.main()
