"""Every relative link in the repository's Markdown (README.md, docs/) points
at a file that exists, and every #anchor at a heading of that file, as
GitHub renders it (lower case, spaces to '-', punctuation but '-' and '_'
dropped)."""
import glob
import os
import re
import unittest

from tests.harness.qf import ROOT

LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(path):
    out = set()
    in_code = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                in_code = not in_code
            if in_code or not line.startswith("#"):
                continue
            text = line.lstrip("#").strip().lower()
            slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
            out.add(slug)
    return out


class DocLinksTest(unittest.TestCase):
    def test_relative_links_resolve(self):
        files = [os.path.join(ROOT, "README.md")] + sorted(
            glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
        checked, bad = 0, []
        for f in files:
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
            for m in LINK.finditer(text):
                link = m.group(1)
                if re.match(r"^[a-z][a-z0-9+.-]*:", link):
                    continue  # http:, mailto: ...
                path, _, frag = link.partition("#")
                target = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
                checked += 1
                where = "%s: %s" % (os.path.relpath(f, ROOT), link)
                if not os.path.exists(target):
                    bad.append(where + " (no such file)")
                elif frag and target.endswith(".md") and frag not in anchors(target):
                    bad.append(where + " (no such heading)")
        self.assertGreater(checked, 0)
        self.assertEqual(bad, [])

    def test_every_common_module_on_the_map(self):
        """docs/ARCHITECTURE.md's table of common/ names every module."""
        with open(os.path.join(ROOT, "docs", "ARCHITECTURE.md"), encoding="utf-8") as f:
            text = f.read()
        modules = sorted(os.path.basename(h)[:-2]
                         for h in glob.glob(os.path.join(ROOT, "common", "*.h")))
        self.assertTrue(modules)
        missing = [m for m in modules if "| `%s` |" % m not in text]
        self.assertEqual(missing, [], "common/ modules missing from docs/ARCHITECTURE.md")


if __name__ == "__main__":
    unittest.main()
