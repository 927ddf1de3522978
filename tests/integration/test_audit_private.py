"""audit: a log of public facts and commitments. Every leaf is an event's
public part with a commitment to its private part; the private parts are
kept apart, sealed, readable only by the roles the access policy allows
(each read is itself a logged event), and deletable by retention without
touching any checkpoint or proof. Receipts let a petitioner check that
exactly their text was recorded, with an implementation written here (and
with qfctl); the public event stream and every public output carry public
parts only. Real processes throughout; the people are invented.
"""
import base64
import json
import os
import subprocess
import time
import unittest

from tests.harness.qf import SLOW, Cluster, binary, wait_until
from tests.harness.svc_audit import (Audit, PrivEmitter, ReceiptError, check_receipt,
                                     commitment, envelope, parse_bundle, tile_path)
from tests.harness.svc_router import DAY, Router, Watch, action, new_case_id

MARK = "PLANT-7Q2X"  # a unique string planted in private fields only


def whole_petition(em, cid, text, building="B03", consent=False, sensitive=False,
                   **extra):
    """A petition emitted as intake emits it: the whole message, of which the
    envelope gets the public part."""
    p = {"case_id": cid, "tracking_code": "LSJ" + cid[-6:], "category": "facility_repair",
         "building": building, "description": text, "text": text, "channel": "app",
         "consent_public": consent, "name_masked": "黄**", "phone_masked": "139****0427",
         "address": "3栋2单元502室 " + MARK, "submitted_ms": 1796000000000}
    p.update(extra)
    key = "sensitive" if sensitive else building
    return em.emit_whole("PETITION_SUBMITTED", key=key, case_id=cid, payload=p,
                         consent=consent, sensitive=sensitive)


class Base(unittest.TestCase):
    def setUp(self):
        self.c = Cluster(self.cluster_name)
        self.addCleanup(self.c.close)
        self.intake = PrivEmitter(self.c, "intake")
        self.router = PrivEmitter(self.c, "router")
        self.a = None

    def start(self, **kw):
        self.a = Audit(self.c, [self.intake, self.router], **kw)
        return self.a

    def signed(self, n):
        """Wait until the log has n leaves, all inside a signed checkpoint."""
        self.a.wait_size(n)
        self.a.wait_checkpoint(n)

    def receipt_cli(self, receipt, name="receipt.json"):
        path = self.c.path("receipts", name)
        with open(path, "w") as f:
            json.dump(receipt, f, ensure_ascii=False)
        return self.a.qfctl("audit", "receipt", "--url", self.a.url, "--vkey",
                            self.a.vkey_path(), path)


class ReceiptTest(Base):
    cluster_name = "audit-receipt"

    def test_receipt_checks_and_any_change_fails(self):
        self.start()
        cid = new_case_id()
        text = "小区东门的路灯已经坏了两个星期，晚上老人（葛春兰）出门很不方便。" + MARK
        ev = whole_petition(self.intake, cid, text)
        for _ in range(3):  # other leaves around it
            whole_petition(self.intake, new_case_id(), "别的诉求 " + MARK)
        self.signed(4)
        good = ev.receipt()
        # the independent implementation
        got = check_receipt(self.a.url, self.a.vkey(), good)
        self.assertEqual(got["envelope"]["case_id"], cid)
        self.assertEqual(got["envelope"]["seq"], ev.seq)
        # the leaf holds no part of the text, only the commitment to it
        leaf_data = base64.b64decode(self.a.leaf(got["leaf"])["data"])
        self.assertNotIn(MARK.encode(), leaf_data)
        self.assertNotIn("葛春兰".encode(), leaf_data)
        self.assertEqual(envelope(leaf_data)["commitment"], commitment(ev.nonce, ev.payload))
        # qfctl: exit 0, says so, and shows the words as recorded
        r = self.receipt_cli(good)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("核对通过", r.stdout)
        self.assertIn(text, r.stdout)
        self.assertIn("第 %d 条" % got["leaf"], r.stdout)
        # without event id (found by the case's history) and with the leaf index
        for over in ({"event_id": None}, {"leaf_index": got["leaf"]}):
            check_receipt(self.a.url, self.a.vkey(), ev.receipt(**over))
            r = self.receipt_cli(ev.receipt(**over))
            self.assertEqual(r.returncode, 0, (over, r.stdout, r.stderr))
        # a changed text, a changed nonce, a changed leaf index: both refuse
        changed_text = ev.payload.replace("两个星期".encode(), "两个月份".encode())
        self.assertNotEqual(changed_text, ev.payload)
        bad_nonce = bytes([ev.nonce[0] ^ 1]) + ev.nonce[1:]
        bad = {
            "text": ev.receipt(private=base64.b64encode(changed_text).decode()),
            "text-by-case": ev.receipt(private=base64.b64encode(changed_text).decode(),
                                       event_id=None),
            "nonce": ev.receipt(nonce=bad_nonce.hex()),
            "leaf": ev.receipt(leaf_index=got["leaf"] + 1),
            "leaf-beyond": ev.receipt(leaf_index=10 ** 6),
        }
        for what, receipt in bad.items():
            with self.assertRaises(ReceiptError, msg=what):
                check_receipt(self.a.url, self.a.vkey(), receipt)
            r = self.receipt_cli(receipt)
            self.assertEqual(r.returncode, 1, (what, r.stdout, r.stderr))
            self.assertIn("核对未通过", r.stdout, what)
            self.assertNotIn("核对通过", r.stdout, what)
        # a malformed receipt or a wrong key: refused with a reason
        r = self.receipt_cli({"type": "PETITION_SUBMITTED", "nonce": "zz"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("nonce", r.stdout)
        other = self.c.path("keys", "other")
        self.a.qfctl("audit", "keygen", "--name", "qingfeng.local/audit/v2", "--out", other)
        path = self.c.path("receipts", "good.json")
        with open(path, "w") as f:
            json.dump(good, f)
        r = self.a.qfctl("audit", "receipt", "--url", self.a.url, "--vkey",
                         other + ".vkey", path)
        self.assertEqual(r.returncode, 1, r.stdout)
        r = self.a.qfctl("audit", "receipt", "--url", self.a.url, path)
        self.assertEqual(r.returncode, 2)

    def test_receipts_as_intake_gives_them(self):
        """Intake's receipts carry more (partition, seq, the commitment) and,
        for an event that is all public or whose private part retention
        deleted, no opening: then the record itself is checked."""
        self.start()
        cid = new_case_id()
        ev = whole_petition(self.intake, cid, "垃圾站夜里十二点还在清运，吵得睡不着。")
        export = self.intake.emit_whole("DATA_EXPORTED", key="B03", case_id=cid,
                                        payload={"case_id": cid, "at_ms": 1796000000000})
        self.signed(2)
        c = commitment(ev.nonce, ev.payload).hex()
        full = ev.receipt(partition=ev.part, seq=ev.seq, commitment=c)
        public = export.receipt(nonce=None, private=None)
        expired = ev.receipt(nonce=None, private=None, commitment=c, private_expired=True)
        for what, receipt, says in (("intake's", full, "垃圾站夜里十二点"),
                                    ("all public", public, "全部公开"),
                                    ("no opening", expired, "回执不含原文")):
            check_receipt(self.a.url, self.a.vkey(), receipt)
            r = self.receipt_cli(receipt)
            self.assertEqual(r.returncode, 0, (what, r.stdout, r.stderr))
            self.assertIn(says, r.stdout, what)
        # a commitment that is not the opening's, or not the leaf's: refused
        other = commitment(ev.nonce, ev.payload + b"x").hex()
        for what, receipt in (("contradicts", ev.receipt(commitment=other)),
                              ("not the leaf's", ev.receipt(nonce=None, private=None,
                                                            commitment=other)),
                              ("half an opening", ev.receipt(nonce=None))):
            with self.assertRaises(ReceiptError, msg=what):
                check_receipt(self.a.url, self.a.vkey(), receipt)
            r = self.receipt_cli(receipt)
            self.assertEqual(r.returncode, 1, (what, r.stdout, r.stderr))

    def test_receipt_before_its_checkpoint_is_not_yet_ok(self):
        # a log that signs rarely: the leaf is there, its checkpoint not yet
        a = self.start(checkpoint={"every_seconds": 3600})
        ev = whole_petition(self.intake, new_case_id(), "楼道里堆满杂物，堵住了消防通道。")
        a.wait_size(1)
        r = self.receipt_cli(ev.receipt())
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("尚未进入已签名的检查点", r.stdout)
        st, _ = a.sign_now()
        self.assertEqual(st, 201)
        r = self.receipt_cli(ev.receipt())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class PrivateReadTest(Base):
    cluster_name = "audit-private-read"

    def test_who_may_read_and_every_read_is_logged(self):
        self.start()
        plain = new_case_id()
        self.intake.emit("CASE_ASSIGNED", key="B01", case_id=plain,
                         payload={"case_id": plain, "assignee": "s04"})  # no private part
        cid = new_case_id()
        ev = whole_petition(self.intake, cid, "水管漏水，请尽快来修。" + MARK,
                            parties=["s01"])
        report = new_case_id()
        rev = whole_petition(self.intake, report, "举报某干部收受好处。" + MARK,
                             sensitive=True, concerns_staff="s02")
        self.signed(3)
        i_plain = self.a.leaves_of(plain)[0]
        i_case, i_report = self.a.leaf_of(ev.event_id), self.a.leaf_of(rev.event_id)
        self.assertEqual(self.a.leaf(i_case)["case_id"], cid)
        # no token, an unknown token: 401; a role the policy does not allow: 403
        st, j = self.a.private(i_case, token=None)
        self.assertEqual((st, j["code"]), (401, "missing_token"))
        st, j = self.a.private(i_case, token="qf-dev-nobody")
        self.assertEqual((st, j["code"]), (401, "invalid_token"))
        for staff in ("s03", "s04", "s07"):
            st, j = self.a.private(i_case, token="qf-dev-" + staff)
            self.assertEqual((st, j["code"]), (403, "forbidden_role"), staff)
        # a reason is required
        for reason in (None, "", "   "):
            st, j = self.a.private(i_case, token="qf-dev-s02", reason=reason)
            self.assertEqual((st, j["code"]), (400, "missing_reason"), repr(reason))
        # the person a report concerns, and a party of a case: to them the
        # private part is not there (the access policy's 404)
        st, j = self.a.private(i_report, token="qf-dev-s02")
        self.assertEqual((st, j["code"]), (404, "not_found"))
        st, j = self.a.private(i_case, token="qf-dev-s01")
        self.assertEqual((st, j["code"]), (404, "not_found"))
        # nothing private, nothing there
        st, j = self.a.private(i_plain, token="qf-dev-s01")
        self.assertEqual((st, j["code"]), (404, "no_private_part"))
        st, j = self.a.private(99, token="qf-dev-s01")
        self.assertEqual((st, j["code"]), (404, "leaf_not_found"))
        self.assertEqual(self.a.size(), 3)  # refusals are not reads: nothing logged
        # a good read: the whole payload, the opening, and a PRIVATE_READ leaf
        reason = "核实举报线索 " + MARK + "-REASON"
        st, j = self.a.private(i_case, token="qf-dev-s02", reason=reason)
        self.assertEqual(st, 200, j)
        self.assertEqual(base64.b64decode(j["payload"]), ev.payload)
        self.assertEqual(j["nonce"], ev.nonce.hex())
        self.assertEqual(j["private"]["text"], "水管漏水，请尽快来修。" + MARK)
        self.assertEqual(j["private_commitment"], self.a.leaf(i_case)["private_commitment"])
        read = self.a.leaf(j["read_leaf"])
        self.assertEqual(read["type"], "PRIVATE_READ")
        self.assertEqual(read["case_id"], cid)
        self.assertEqual(read["producer"], "audit")
        self.assertEqual(read["event"]["payload"]["actor"]["staff_id"], "s02")
        self.assertEqual(int(read["event"]["payload"]["leaf_index"]), i_case)
        self.assertNotIn(MARK, json.dumps(read, ensure_ascii=False))  # the reason is private
        self.assertTrue(read["private_commitment"])
        # on an integrity report even who read it is not public
        st, j2 = self.a.private(i_report, token="qf-dev-s01", reason="核查")
        self.assertEqual(st, 200, j2)
        self.assertEqual(j2["private"]["concerns_staff"], "s02")
        read2 = self.a.leaf(j2["read_leaf"])
        self.assertNotIn("actor", read2["event"]["payload"])
        self.assertEqual(read2["case_id"], report)
        # the reads are in the case's history and in the signed log, complete
        st, h = self.a.json("/v1/cases/%s/history" % cid)
        self.assertIn("PRIVATE_READ", [l["type"] for l in h["leaves"]])
        self.signed(5)
        r = self.a.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # and on audit's own stream, with the reason in its private part
        r = self.a.qfctl("watch", "--from-start", "--json", "--type", "PRIVATE_READ",
                         "--count", "2", "--timeout", "20",
                         "%s,%s" % (self.a.pub, self.a.replay))
        self.assertEqual(r.returncode, 0, r.stderr)
        evs = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(len(evs), 2)
        self.assertEqual(evs[0]["payload"]["reason"], reason)
        # the private part of a read can itself be read, under the policy of
        # the case it belongs to (s01 is a party of this one)
        st, j3 = self.a.private(j["read_leaf"], token="qf-dev-s01", reason="复核查阅记录")
        self.assertEqual(st, 404)
        st, j3 = self.a.private(j["read_leaf"], token="qf-dev-s02", reason="复核查阅记录")
        self.assertEqual(st, 200, j3)
        self.assertEqual(j3["private"]["reason"], reason)

    def test_private_reads_off_without_tokens(self):
        a = self.start(tokens=False)
        whole_petition(self.intake, new_case_id(), "噪音扰民。")
        a.wait_size(1)
        st, j = a.private(0)
        self.assertEqual((st, j["code"]), (503, "staff_access_off"))
        st, j = a.json("/v1/checkpoint", "POST", token="qf-dev-s01")
        self.assertEqual((st, j["code"]), (503, "staff_access_off"))


class RetentionTest(Base):
    cluster_name = "audit-retention"

    def test_expired_private_parts_are_gone_and_the_log_verifies(self):
        self.start()
        gone, kept = new_case_id(), new_case_id()
        secret = "电梯又困人了，物业说没钱修 " + MARK + "-GONE"
        evs = [whole_petition(self.intake, gone, secret),
               self.router.emit_whole("CASE_ASSIGNED", key="B03", case_id=gone,
                                      payload={"case_id": gone, "building": "B03",
                                               "assignee": "s04",
                                               "reason": "转交 " + MARK + "-GONE"}),
               whole_petition(self.intake, kept, "另一户的诉求 " + MARK + "-KEPT"),
               self.intake.emit_whole("VISIT_RECORDED", key="s02",
                                      payload={"visit_id": "V7781", "building": "B05",
                                               "date": "2026-11-02", "household": True,
                                               "findings": "低保户家中 " + MARK + "-VISIT"})]
        self.signed(4)
        i_gone, i_assigned, i_kept, i_visit = [self.a.leaf_of(e.event_id) for e in evs]
        before = self.a.checkpoint()
        for i in range(4):
            st, _ = self.a.private(i, token="qf-dev-s01", reason="回访核实")
            self.assertEqual(st, 200, i)
        self.signed(8)
        # retention: the router says the case's (and the visit's) time is up
        self.router.emit("PRIVATE_EXPIRED", key="B03", case_id=gone,
                         payload={"subject": gone, "case_id": gone, "retention_days": 365,
                                  "final_ms": 1760000000000})
        self.router.emit("PRIVATE_EXPIRED", key="visit",
                         payload={"subject": "visit:V7781", "retention_days": 365})
        self.signed(10)
        for i in (i_gone, i_assigned, i_visit):
            st, j = self.a.private(i, token="qf-dev-s01", reason="再次核实")
            self.assertEqual((st, j["code"]), (404, "private_gone"), i)
        st, j = self.a.private(i_kept, token="qf-dev-s01", reason="再次核实")
        self.assertEqual(st, 200, j)
        # the log, every proof and the earlier checkpoint: still valid
        r = self.a.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        state = self.c.path("state.ckpt")
        with open(state, "w") as f:
            f.write(before)
        r = self.a.verify("--state", state, "--quick")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # and nothing of the expired private parts is in any store file; the
        # one kept is there only sealed
        self.a.stop()
        files = self.a.data_files()
        self.assertTrue(any(p.endswith("data.mdb") for p in files))
        for path, data in files.items():
            for planted in (MARK + "-GONE", MARK + "-VISIT", MARK + "-KEPT", "电梯又困人了"):
                self.assertFalse(planted.encode() in data, (path, planted))
        self.a.start()
        st, j = self.a.private(i_kept, token="qf-dev-s01", reason="重启后核实")
        self.assertEqual(st, 200, j)


class RouterRetentionTest(unittest.TestCase):
    """The same through the real router: its retention schedule, not a test
    producer, says when a case's time is up."""

    def test_the_routers_expiry_forgets_audits_copies(self):
        c = Cluster("audit-router-retention")
        self.addCleanup(c.close)
        intake = PrivEmitter(c, "intake")
        r = Router(c, [intake], extra="retention = { days = 1; visit_days = 1; };")
        w = Watch(c, r)
        a = Audit(c, [intake, r])
        cid = new_case_id()
        plant = MARK + "-ROUTER"
        whole_petition(intake, cid, "单元门的门禁坏了，谁都能进来 " + plant)
        w.wait_for("CASE_ASSIGNED", cid, timeout=20)
        for kind, staff, extra in (("ACTION_ACCEPT", "s04", {}),
                                   ("ACTION_RESOLVE", "s04", {"result": "已修好"}),
                                   ("ACTION_CLOSE", "s01", {})):
            self.assertEqual(w.result(action(intake, cid, "B03", kind, staff, **extra),
                                      timeout=20)["status"], 200, kind)
        w.wait_for("CASE_CLOSED", cid, timeout=20)

        def history():
            st, h = a.json("/v1/cases/%s/history" % cid)
            return h["leaves"] if st == 200 else []
        wait_until(lambda: "CASE_CLOSED" in [l["type"] for l in history()], timeout=20,
                   what="the closing in the log")
        private = [l["index"] for l in history() if l["private_commitment"]]
        self.assertGreaterEqual(len(private), 2)  # the petition, the router's notes
        for i in private:
            st, _ = a.private(i, token="qf-dev-s02", reason="结案复核")
            self.assertEqual(st, 200, i)
        # "two days later" the router's retention runs
        r.stop()
        r.start(clock_offset_ms=2 * DAY)
        w.wait_for("PRIVATE_EXPIRED", cid, timeout=30)
        wait_until(lambda: "PRIVATE_EXPIRED" in [l["type"] for l in history()], timeout=20,
                   what="the expiry in the log")
        for i in private + [l["index"] for l in history() if l["type"] == "PRIVATE_READ"]:
            st, j = a.private(i, token="qf-dev-s02", reason="再次复核")
            self.assertEqual((st, j["code"]), (404, "private_gone"), i)
        r.stop()  # it would keep moving the log; what is there must verify
        a.wait_checkpoint(a.size())
        res = a.verify()
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        a.stop()
        for path, data in a.data_files().items():
            self.assertFalse(plant.encode() in data, path)  # (no dump of the file)


class PublicStreamTest(Base):
    cluster_name = "audit-public"

    def watch_public(self, count, url=True):
        args = [binary("qfctl"), "watch", "--public", self.a.public, "--json",
                "--count", str(count), "--timeout", str(int(60 * SLOW))]
        if url:
            args += ["--url", self.a.url]
        out = open(self.c.path("public-watch-%d.out" % count), "wb+")
        self.addCleanup(out.close)
        p = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, cwd=self.c.dir)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p, out

    def test_every_leaf_and_no_private_byte(self):
        self.start()
        whole_petition(self.intake, new_case_id(), "启动前的诉求 " + MARK)
        self.a.wait_size(1)
        p, out = self.watch_public(8)
        time.sleep(1.5 * SLOW)  # the subscription reaches the publisher
        cids = [new_case_id() for _ in range(3)]
        for cid in cids:
            whole_petition(self.intake, cid, "电动车在楼道充电 " + MARK)
            self.router.emit_whole("CASE_ASSIGNED", key="B03", case_id=cid,
                                   payload={"case_id": cid, "building": "B03",
                                            "assignee": "s04", "reason": MARK})
        report = new_case_id()
        whole_petition(self.intake, report, "举报 " + MARK, sensitive=True,
                       concerns_staff="s05")
        self.a.wait_size(8)
        st, j = self.a.private(1, token="qf-dev-s02", reason="核实 " + MARK)
        self.assertEqual(st, 200, j)
        p.wait(60 * SLOW)
        _, err = p.communicate()
        self.assertEqual(p.returncode, 0, err)
        out.seek(0)
        raw = out.read()
        self.assertNotIn(MARK.encode(), raw)
        lines = [json.loads(l) for l in raw.decode("utf-8").splitlines()]
        got = {l["leaf_index"]: l for l in lines}
        self.assertEqual(sorted(got), list(range(1, 9)))
        for i, l in got.items():
            leaf = self.a.leaf(i)
            self.assertEqual(l["data"], leaf["data"], i)  # the leaf, byte for byte
            self.assertNotIn(MARK.encode(), base64.b64decode(l["data"]))
        # the sensitive case's envelope does not place it (producers' streams
        # interleave in any order: find it by its case)
        rep = [l for l in lines if l["case_id"] == report]
        self.assertEqual(len(rep), 1)
        self.assertEqual(envelope(base64.b64decode(rep[0]["data"]))["partition_key"],
                         "sensitive")

    def test_missed_leaves_are_filled_from_the_log(self):
        self.start()
        p, out = self.watch_public(6)
        time.sleep(1.5 * SLOW)
        whole_petition(self.intake, new_case_id(), "第一条")
        self.a.wait_size(1)
        wait_until(lambda: os.path.getsize(out.name) > 0, timeout=20, what="first leaf")
        # stop publishing for a while: the watcher sees a jump it must fill
        self.a.stop()
        self.a.start()
        for i in range(5):
            if i == 4:
                time.sleep(1 * SLOW)  # the last one surely reaches the subscriber
            whole_petition(self.intake, new_case_id(), "第 %d 条" % (i + 2))
        p.wait(60 * SLOW)
        _, err = p.communicate()
        self.assertEqual(p.returncode, 0, err)
        out.seek(0)
        idx = [json.loads(l)["leaf_index"] for l in out.read().decode().splitlines()]
        self.assertEqual(idx, list(range(0, 6)))


class PublicOutputsTest(Base):
    cluster_name = "audit-public-outputs"

    def test_no_public_output_carries_a_private_value(self):
        self.start()
        cid, report = new_case_id(), new_case_id()
        whole_petition(self.intake, cid, "下水道堵了 " + MARK)
        self.router.emit_whole("CASE_PROGRESS", key="B03", case_id=cid,
                               payload={"case_id": cid, "building": "B03",
                                        "progress": "已联系 " + MARK, "assignee": "s04"})
        self.intake.emit_whole("CONTACT_VIEWED", key="B03", case_id=cid,
                               payload={"case_id": cid, "reason": "回访 " + MARK,
                                        "actor": {"staff_id": "s07", "role": "staff"}})
        whole_petition(self.intake, report, "举报 " + MARK, sensitive=True,
                       concerns_staff="s06")
        # the person concerned handles the report: a self-judging alert
        self.router.emit_whole("CASE_ASSIGNED", key="sensitive", case_id=report,
                               sensitive=True,
                               payload={"case_id": report, "assignee": "s06",
                                        "concerns_staff": "s06", "building": "B09"})
        self.signed(5)
        self.a.wait_alerts(1, kind="self_judging")
        st, j = self.a.private(1, token="qf-dev-s01", reason="核实 " + MARK)
        self.assertEqual(st, 200)
        self.signed(6)
        outputs = {}
        for path in ("/checkpoint", "/v1/log", "/v1/checkpoints", "/v1/leaves?limit=1000",
                     "/v1/cases/%s/history?proof=1" % cid,
                     "/v1/cases/%s/history?proof=1" % report, "/v1/alerts", "/v1/streams",
                     "/" + tile_path("entries", 0, 6), "/" + tile_path(0, 0, 6)):
            st, _, body = self.a.get(path)
            self.assertEqual(st, 200, path)
            outputs[path] = body
        for i in range(6):
            outputs["leaf %d" % i] = self.a.get("/v1/leaves/%d" % i)[2]
        for what, body in outputs.items():
            self.assertNotIn(MARK.encode(), body, what)
            self.assertNotIn("139****0427".encode(), body, what)  # never public
        self.assertEqual(len(parse_bundle(outputs["/" + tile_path("entries", 0, 6)])), 6)
        # the alert about the report names nobody in public
        al = self.a.alerts(kind="self_judging")[0]
        self.assertEqual(al["case_id"], report)
        self.assertEqual((al["staff_id"], al["detail"]), ("", ""))
        hist = json.loads(outputs["/v1/cases/%s/history?proof=1" % report])
        for leaf in hist["leaves"]:
            self.assertNotIn("s06", json.dumps([leaf["event"], leaf["summary"]]))


if __name__ == "__main__":
    unittest.main()
