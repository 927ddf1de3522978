"""The receipt page of the audit service (GET /receipt) in a real browser
(Debian's chromium, headless, phone-sized): a resident pastes a receipt and
the page's script checks it in the browser with WebCrypto (SHA-256,
Ed25519) and RFC 9162 inclusion, fetching only public data: a good receipt
is OK and shows the words as recorded, a tampered one is not, and no
request the page made carries the text or the nonce. Screenshots go to the
cluster directory (QF_KEEP=1 keeps it)."""
import json
import os
import unittest

from tests.harness.qf import Cluster
from tests.harness.svc_audit import Audit, PrivEmitter, commitment
from tests.harness.svc_disclosure import Browser
from tests.harness.svc_router import new_case_id

WORDS = "5栋门口的排水沟被建筑垃圾堵死，一下雨就淹到单元门（住户邵秋菊反映）。"


@unittest.skipUnless(os.path.exists("/usr/bin/chromium"), "chromium not installed")
class ReceiptPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("audit-receipt-page")
        cls.intake = PrivEmitter(cls.c, "intake")
        cls.a = Audit(cls.c, [cls.intake])
        cls.cid = new_case_id()
        cls.ev = cls.intake.emit_whole(
            "PETITION_SUBMITTED", key="B05", case_id=cls.cid,
            payload={"case_id": cls.cid, "category": "facility_repair", "building": "B05",
                     "description": WORDS, "text": WORDS, "channel": "app",
                     "submitted_ms": 1796000000000})
        for i in range(4):
            c = new_case_id()
            cls.intake.emit_whole("PETITION_SUBMITTED", key="B01", case_id=c,
                                  payload={"case_id": c, "text": "其他诉求 %d" % i})
        cls.a.wait_size(5)
        cls.a.wait_checkpoint(5)

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def check(self, b, receipt):
        """Paste the receipt, press the button, wait for the verdict."""
        b.eval("document.getElementById('receipt').value = %s" %
               json.dumps(json.dumps(receipt, ensure_ascii=False)))
        b.eval("document.getElementById('check').click()")
        b.wait_for("document.getElementById('result').hasAttribute('data-ok')", timeout=20)
        return (b.eval("document.getElementById('result').getAttribute('data-ok')"),
                b.eval("document.getElementById('result').innerText"))

    def test_good_and_tampered_receipts(self):
        with Browser(self.c) as b:
            b.open(self.a.url + "/receipt")
            self.assertIn("核对诉求回执", b.eval("document.body.innerText"))
            # accessible and phone-sized: every input has a label, nothing
            # wider than the screen
            self.assertTrue(b.eval(
                "Array.prototype.every.call(document.querySelectorAll('textarea,input'),"
                "function(e){return !!document.querySelector('label[for=\"'+e.id+'\"]');})"))
            self.assertLessEqual(b.eval("document.documentElement.scrollWidth"), 412)
            self.assertEqual(b.eval("document.documentElement.lang"), "zh-CN")
            # the page names the key it uses, and says where it came from
            b.wait_for("document.getElementById('vkey').textContent.indexOf('+') > 0")
            self.assertEqual(b.eval("document.getElementById('vkey').textContent"),
                             self.a.vkey())
            ok, text = self.check(b, self.ev.receipt())
            b.screenshot(self.c.path("screenshots", "receipt-ok.png"))
            self.assertEqual(ok, "true", text)
            self.assertIn("核对通过", text)
            self.assertIn(WORDS, text)
            # found without an event id too (the case's history)
            ok, text = self.check(b, self.ev.receipt(event_id=None))
            self.assertEqual(ok, "true", text)
            # without the opening (retention deleted it): the record only
            c = commitment(self.ev.nonce, self.ev.payload).hex()
            ok, text = self.check(b, self.ev.receipt(nonce=None, private=None,
                                                     commitment=c, private_expired=True))
            self.assertEqual(ok, "true", text)
            self.assertIn("回执不含原文", text)
            self.assertNotIn(WORDS, text)
            # tampered: the text, the nonce, the leaf index
            import base64
            changed = self.ev.payload.replace("建筑垃圾".encode(), "生活垃圾".encode())
            nonce = bytes([self.ev.nonce[0] ^ 0x80]) + self.ev.nonce[1:]
            for what, r in (("text", self.ev.receipt(private=base64.b64encode(changed).decode())),
                            ("nonce", self.ev.receipt(nonce=nonce.hex())),
                            ("leaf", self.ev.receipt(
                                leaf_index=(self.a.leaf_of(self.ev.event_id) + 1) % 5)),
                            ("commitment", self.ev.receipt(commitment="00" * 32)),
                            ("garbage", {"hello": 1})):
                ok, text = self.check(b, r)
                self.assertEqual(ok, "false", (what, text))
                self.assertIn("核对未通过", text, what)
            b.screenshot(self.c.path("screenshots", "receipt-bad.png"))
            # no script but ours, and the receipt text never in a request
            self.assertEqual(b.eval("document.querySelectorAll('script').length"), 1)
            urls = b.eval("performance.getEntriesByType('resource').map(function(e)"
                          "{return e.name;}).join('\\n')")
            self.assertNotIn("排水沟", urls)
            self.assertNotIn(self.ev.nonce.hex(), urls)
            self.assertIn("/v1/proof/inclusion", urls)
        st, hd, _ = self.a.get("/receipt")
        self.assertEqual(st, 200)
        self.assertIn("script-src 'self'", hd.get("content-security-policy", ""))
        self.assertIn("form-action 'none'", hd.get("content-security-policy", ""))


if __name__ == "__main__":
    unittest.main()
