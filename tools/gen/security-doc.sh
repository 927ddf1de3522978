#!/bin/sh
# security-doc.sh BUILD [--check]: write the access-policy table of
# docs/SECURITY.md from `qfctl policy` (between the BEGIN/END policy
# markers); with --check, change nothing and fail when it differs.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
doc="$root/docs/SECURITY.md"
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.table"' EXIT
(cd "$root" && "$build/bin/qfctl" policy --community config/community.cfg) >"$tmp.table"
awk -v table="$tmp.table" '
	/^<!-- BEGIN policy/ { print; while ((getline l < table) > 0) print l; skip = 1; next }
	/^<!-- END policy/ { skip = 0 }
	!skip { print }
' "$doc" >"$tmp"
if [ "${2:-}" = "--check" ]; then
	if ! cmp -s "$tmp" "$doc"; then
		echo "docs/SECURITY.md: the policy table differs from qfctl policy (run make security-doc)" >&2
		exit 1
	fi
	exit 0
fi
cp "$tmp" "$doc"
