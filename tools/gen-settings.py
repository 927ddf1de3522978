#!/usr/bin/python3
"""gen-settings.py BUILD: write docs/SETTINGS.md from the services' own tables.

Each service prints the table it checks its configuration against
(`qf-<service> --settings`); this joins them into one reference, so that the
documented settings, defaults and bounds are the ones the programs enforce.
`--check` compares instead of writing (tests/integration/test_settings_doc.py
runs it, so the file cannot drift from the code).
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "SETTINGS.md")
SERVICES = [
    ("intake", "qf-intake", "config/intake.cfg", "docs/services/intake.md"),
    ("router", "qf-router", "config/router.cfg", "docs/services/router.md"),
    ("notifier", "qf-notifier", "config/notifier.cfg", "docs/services/notifier.md"),
    ("disclosure-publisher", "qf-disclosure", "config/disclosure.cfg",
     "docs/services/disclosure.md"),
    ("audit", "qf-audit", "config/audit.cfg", "docs/services/audit.md"),
]

HEAD = """# Settings reference

Every setting of every service, with its type, default and bounds, as the
programs check them: this file is generated from the services' settings
tables (`qf-<service> --settings`) by `make settings-doc`, and a test fails
when it differs from what the binaries print. Settings are written in
libconfig syntax, grouped by the part before the dot:
`http = { port = 8080; };` sets `http.port`. A setting not in the table is an
error (a typo is never silently ignored), and every error names the file,
the line and the setting. "group or list" settings have a shape of their own,
described in the service's document. `--check-config` checks a file without
starting the service.
"""


def generate(build):
    out = [HEAD]
    for name, binary, cfg, doc in SERVICES:
        path = os.path.join(build, "bin", binary)
        table = subprocess.run([path, "--settings"], check=True, capture_output=True,
                               text=True).stdout
        out.append("\n## %s\n\n`%s`, default file `%s`; more in [%s](%s).\n\n%s" %
                   (name, binary, cfg, doc.split("/")[-1], doc[len("docs/"):], table))
    return "".join(out)


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    build = args[0] if args else "build"
    if not os.path.isabs(build):
        build = os.path.join(ROOT, build)
    text = generate(build)
    if "--check" in sys.argv:
        with open(DOC, encoding="utf-8") as f:
            if f.read() != text:
                print("docs/SETTINGS.md is out of date: run make settings-doc",
                      file=sys.stderr)
                return 1
        return 0
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
